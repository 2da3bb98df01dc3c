// PromQL query latency: ours vs VictoriaMetrics, both over HTTP, on the same node_exporter-like
// workload (default 24 h of 15 s samples). Prints the median latency of each query for both, the
// ratio ours/VM, and whether the answers agree.
//
//   ./build/bench/query/query_bench [--hosts 20] [--hours 24] [--runs 7]
//       [--ours-url http://127.0.0.1:8428]   # a running `sremon storage`; default: in-process
//                                            # MemStorage + engine + API on a free port
//
// Data goes to VictoriaMetrics (and to --ours-url) through /api/v1/import/prometheus, and to the
// in-process MemStorage through an Appender. Both sides get nocache=1 so VM's rollup cache does
// not answer repeated queries from memory.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/prom_api.h"
#include "http/http.h"
#include "promql/engine.h"
#include "storage/mem_storage.h"
#include "testutil/testutil.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::bench {
namespace {

using nlohmann::json;

struct Series {
  model::Labels labels;
  // Deterministic value generator: kind 0 counter, 1 gauge, 2 histogram bucket (cumulative).
  int kind = 0;
  double base = 0;
  double rate = 0;
};

// node_exporter-like series for `hosts` hosts plus an app histogram: ~150 series per host.
std::vector<Series> MakeSeries(int hosts) {
  std::vector<Series> out;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  const char* modes[] = {"idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"};
  const char* les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"};
  const char* handlers[] = {"/", "/api", "/login"};
  for (int h = 0; h < hosts; ++h) {
    std::string inst = fmt::format("host-{:02}:9100", h);
    for (int cpu = 0; cpu < 8; ++cpu) {
      for (int m = 0; m < 8; ++m) {
        out.push_back({{{"__name__", "node_cpu_seconds_total"}, {"job", "node"}, {"instance", inst},
                        {"cpu", std::to_string(cpu)}, {"mode", modes[m]}},
                       0, 1000 * u(rng), m == 0 ? 0.7 : 0.05 * u(rng)});
      }
    }
    for (const char* name : {"node_load1", "node_load5", "node_load15"}) {
      out.push_back({{{"__name__", name}, {"job", "node"}, {"instance", inst}}, 1, 2 * u(rng), 0.5});
    }
    out.push_back({{{"__name__", "node_memory_MemTotal_bytes"}, {"job", "node"}, {"instance", inst}}, 1, 16e9, 0});
    for (const char* name : {"node_memory_MemAvailable_bytes", "node_memory_MemFree_bytes", "node_memory_Cached_bytes",
                             "node_memory_Buffers_bytes"}) {
      out.push_back({{{"__name__", name}, {"job", "node"}, {"instance", inst}}, 1, 4e9 * (1 + u(rng)), 1e8});
    }
    for (const char* dev : {"eth0", "eth1", "lo"}) {
      for (const char* name : {"node_network_receive_bytes_total", "node_network_transmit_bytes_total",
                               "node_network_receive_packets_total", "node_network_transmit_packets_total"}) {
        out.push_back({{{"__name__", name}, {"job", "node"}, {"instance", inst}, {"device", dev}}, 0, 1e6 * u(rng),
                       1e4 * u(rng)});
      }
    }
    for (const char* mp : {"/", "/var", "/home"}) {
      for (const char* name : {"node_filesystem_avail_bytes", "node_filesystem_size_bytes", "node_filesystem_files_free"}) {
        out.push_back({{{"__name__", name}, {"job", "node"}, {"instance", inst}, {"mountpoint", mp}}, 1,
                       1e11 * u(rng), 1e6});
      }
    }
    out.push_back({{{"__name__", "up"}, {"job", "node"}, {"instance", inst}}, 3, 1, 0});
    std::string app = fmt::format("host-{:02}:8080", h);
    out.push_back({{{"__name__", "up"}, {"job", "app"}, {"instance", app}}, 3, 1, 0});
    for (const char* handler : handlers) {
      for (const char* code : {"200", "404", "500"}) {
        out.push_back({{{"__name__", "http_requests_total"}, {"job", "app"}, {"instance", app}, {"handler", handler},
                        {"code", code}},
                       0, 0, code[0] == '2' ? 10 * u(rng) : u(rng)});
      }
      for (size_t b = 0; b < std::size(les); ++b) {
        out.push_back({{{"__name__", "http_request_duration_seconds_bucket"}, {"job", "app"}, {"instance", app},
                        {"handler", handler}, {"le", les[b]}},
                       2, 0, 5.0 * static_cast<double>(b + 1) / std::size(les)});
      }
    }
  }
  return out;
}

// Value of series s at step i (deterministic, cheap).
double ValueAt(const Series& s, int64_t i, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  switch (s.kind) {
    case 0:
    case 2:
      return std::round(s.base + s.rate * 15 * static_cast<double>(i) * (0.9 + 0.2 * u(rng)));
    case 1:
      return std::round((s.base + s.rate * std::sin(static_cast<double>(i) / 240.0) * (0.5 + u(rng))) * 100) / 100;
    default:
      return 1;
  }
}

struct Timing {
  std::vector<double> ours, vm;
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Summary of how two answers relate: same series set, and the largest relative value difference.
std::string CompareAnswers(const std::string& a_body, const std::string& b_body) {
  json a, b;
  try {
    a = json::parse(a_body);
    b = json::parse(b_body);
  } catch (const std::exception&) {
    return "unparseable answer";
  }
  if (a.value("status", "") != "success" || b.value("status", "") != "success") {
    return fmt::format("error: ours {} / vm {}", a.value("error", "ok"), b.value("error", "ok"));
  }
  auto reduce = [](const json& j) {
    std::map<std::string, std::vector<std::pair<double, double>>> m;
    const json& r = j["data"]["result"];
    if (!r.is_array()) return m;
    for (const auto& s : r) {
      json metric = s["metric"];
      auto& pts = m[metric.dump()];
      if (s.contains("value")) {
        pts.push_back({s["value"][0].get<double>(), std::strtod(s["value"][1].get<std::string>().c_str(), nullptr)});
      }
      if (s.contains("values")) {
        for (const auto& p : s["values"]) {
          pts.push_back({p[0].get<double>(), std::strtod(p[1].get<std::string>().c_str(), nullptr)});
        }
      }
    }
    return m;
  };
  auto ma = reduce(a), mb = reduce(b);
  size_t missing = 0, extra = 0, point_mismatch = 0, points = 0;
  double max_rel = 0;
  for (const auto& [k, pa] : ma) {
    auto it = mb.find(k);
    if (it == mb.end()) {
      ++extra;
      continue;
    }
    std::map<double, double> pb(it->second.begin(), it->second.end());
    for (const auto& [t, v] : pa) {
      ++points;
      auto p = pb.find(t);
      if (p == pb.end()) {
        ++point_mismatch;
        continue;
      }
      double d = std::fabs(v - p->second);
      double scale = std::max(std::fabs(v), std::fabs(p->second));
      if (scale > 0 && std::isfinite(d)) max_rel = std::max(max_rel, d / scale);
    }
    if (pb.size() > pa.size()) point_mismatch += pb.size() - pa.size();
  }
  for (const auto& [k, pb] : mb) missing += ma.count(k) ? 0 : 1;
  if (missing == 0 && extra == 0 && point_mismatch == 0 && max_rel <= 1e-9) return "agree";
  return fmt::format("series {} vs {} (missing {}, extra {}), {} points, {} unmatched, max rel diff {:.2g}",
                     ma.size(), mb.size(), missing, extra, points, point_mismatch, max_rel);
}

Status Import(const std::string& base_url, const std::string& body) {
  auto r = http::Post(base_url + "/api/v1/import/prometheus", body, "text/plain", std::chrono::seconds(120));
  if (!r.ok()) return r.status();
  if (r->status / 100 != 2) return Status::Internal(fmt::format("import: HTTP {}: {}", r->status, r->body));
  return Status::Ok();
}

int Run(int argc, char** argv) {
  CLI::App app{"PromQL query latency: sremon vs VictoriaMetrics"};
  int hosts = 20, hours = 24, runs = 7;
  std::string ours_url, vm_bin = "victoria-metrics";
  app.add_option("--hosts", hosts, "hosts in the workload (~150 series each)");
  app.add_option("--hours", hours, "hours of 15 s samples");
  app.add_option("--runs", runs, "timed runs per query and side (median reported)");
  app.add_option("--ours-url", ours_url, "a running sremon storage to import into and query; default in-process");
  app.add_option("--vm", vm_bin, "victoria-metrics binary");
  CLI11_PARSE(app, argc, argv);

  const int64_t step_ms = 15'000;
  // Recent data (VM drops samples outside its retention), ending on a minute boundary so that
  // VM's step alignment of range queries changes nothing.
  const int64_t end_ms = (NowMs() / 60'000) * 60'000 - 10 * 60'000;
  const int64_t start_ms = end_ms - static_cast<int64_t>(hours) * 3600'000;
  const int64_t n_steps = (end_ms - start_ms) / step_ms + 1;
  auto series = MakeSeries(hosts);
  fmt::print("workload: {} hosts, {} series, {} h at 15 s = {} samples\n", hosts, series.size(), hours,
             series.size() * n_steps);

  testutil::TempDir dir;
  int vm_port = testutil::FreePort();
  std::string vm_url = fmt::format("http://127.0.0.1:{}", vm_port);
  testutil::Child vm({"/usr/bin/env", vm_bin, "-storageDataPath=" + dir.File("vm"), "-retentionPeriod=2",
                      fmt::format("-httpListenAddr=127.0.0.1:{}", vm_port), "-search.latencyOffset=0s",
                      "-search.disableCache", "-loggerLevel=ERROR"},
                     dir.File("vm.log"));
  if (!testutil::WaitHttpOk(vm_url + "/health", std::chrono::seconds(20))) {
    std::cerr << "victoria-metrics did not start:\n" << testutil::ReadFile(dir.File("vm.log"));
    return 1;
  }

  // Ours: in-process MemStorage + engine + API, unless a running service was given.
  storage::MemStorage mem;
  promql::Engine engine;
  std::unique_ptr<http::Server> server;
  bool in_process = ours_url.empty();
  if (in_process) {
    http::ServerOptions so;
    so.listen_addr = "127.0.0.1:0";
    so.worker_threads = 2;
    server = std::make_unique<http::Server>(so);
    api::RegisterPrometheusApi(*server, mem, engine, {});
    if (auto st = server->Start(); !st.ok()) {
      std::cerr << st.ToString() << "\n";
      return 1;
    }
    ours_url = fmt::format("http://127.0.0.1:{}", server->port());
  }

  // Ingest: one series at a time, all its samples, in ~16 MB import bodies.
  double t0 = MonotonicSeconds();
  std::string body;
  std::mt19937_64 rng(11);
  size_t done = 0;
  auto flush = [&]() -> Status {
    if (body.empty()) return Status::Ok();
    SREMON_RETURN_IF_ERROR(Import(vm_url, body));
    if (!in_process) SREMON_RETURN_IF_ERROR(Import(ours_url, body));
    body.clear();
    return Status::Ok();
  };
  for (const auto& s : series) {
    auto app_ = in_process ? mem.NewAppender() : nullptr;
    std::string prefix(s.labels.MetricName());
    bool first = true;
    for (const auto& l : s.labels) {
      if (l.name == model::kMetricName) continue;
      prefix += first ? "{" : ",";
      first = false;
      prefix += l.name + "=";
      AppendJsonString(&prefix, l.value);
    }
    prefix += first ? " " : "} ";
    for (int64_t i = 0; i < n_steps; ++i) {
      int64_t t = start_ms + i * step_ms;
      double v = ValueAt(s, i, rng);
      if (app_) {
        if (auto st = app_->Append(s.labels, t, v); !st.ok()) {
          std::cerr << "append: " << st.ToString() << "\n";
          return 1;
        }
      }
      body += prefix;
      AppendFloatG(&body, v);
      body += fmt::format(" {}\n", t);
    }
    if (app_ && !app_->Commit().ok()) return 1;
    if (body.size() > (16u << 20)) {
      if (auto st = flush(); !st.ok()) {
        std::cerr << st.ToString() << "\n";
        return 1;
      }
    }
    if (++done % 500 == 0) fmt::print("  ingested {}/{} series ({:.0f}s)\n", done, series.size(), MonotonicSeconds() - t0);
  }
  if (auto st = flush(); !st.ok()) {
    std::cerr << st.ToString() << "\n";
    return 1;
  }
  (void)http::Get(vm_url + "/internal/force_flush");
  // Wait until VM answers with every `up` series at the end of the data.
  std::string probe = fmt::format("/api/v1/query?query={}&time={}", http::UrlEncode("count(up)"), end_ms / 1000);
  for (int i = 0; i < 120; ++i) {
    auto r = http::Get(vm_url + probe);
    if (r.ok() && r->body.find(fmt::format("\"{}\"", 2 * hosts)) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  fmt::print("ingest done in {:.1f}s\n\n", MonotonicSeconds() - t0);

  const std::vector<std::string> queries = {
      "sum by (mode) (rate(node_cpu_seconds_total[5m]))",
      "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
      "topk(5, rate(http_requests_total[5m]))",
      "max_over_time(node_load1[1h])",
      "sum by (instance) (rate(node_network_receive_bytes_total{device=~\"eth[0-9]+\"}[5m]))",
      "count by (job) (up)",
      "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100",
      "avg by (instance) (1 - rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))",
  };
  struct Row {
    std::string kind, query, agreement;
    double ours = 0, vm = 0;
  };
  std::vector<Row> rows;
  auto time_get = [](const std::string& url, std::string* body) {
    double a = MonotonicSeconds();
    auto r = http::Get(url, std::chrono::seconds(120));
    double d = MonotonicSeconds() - a;
    *body = r.ok() ? r->body : r.status().ToString();
    return d;
  };
  for (const std::string kind : {"range", "instant"}) {
    for (const auto& q : queries) {
      std::string path =
          kind == "range"
              ? fmt::format("/api/v1/query_range?query={}&start={}&end={}&step=60&nocache=1", http::UrlEncode(q),
                            start_ms / 1000, end_ms / 1000)
              : fmt::format("/api/v1/query?query={}&time={}&nocache=1", http::UrlEncode(q), end_ms / 1000);
      std::string ours_body, vm_body;
      time_get(ours_url + path, &ours_body);  // warm-up
      time_get(vm_url + path, &vm_body);
      Timing t;
      for (int i = 0; i < runs; ++i) {  // interleaved so that noise hits both sides alike
        t.ours.push_back(time_get(ours_url + path, &ours_body));
        t.vm.push_back(time_get(vm_url + path, &vm_body));
      }
      rows.push_back({kind, q, CompareAnswers(ours_body, vm_body), Median(t.ours), Median(t.vm)});
      const Row& r = rows.back();
      fmt::print("{:7} {:>9.2f} ms {:>9.2f} ms {:>6.2f}x  {}\n        answers: {}\n", r.kind, r.ours * 1000,
                 r.vm * 1000, r.ours / r.vm, r.query, r.agreement);
    }
  }
  fmt::print("\n| kind | query | ours median (ms) | VictoriaMetrics median (ms) | ours/VM | answers |\n");
  fmt::print("|---|---|---:|---:|---:|---|\n");
  for (const auto& r : rows) {
    fmt::print("| {} | `{}` | {:.2f} | {:.2f} | {:.2f}x | {} |\n", r.kind, r.query, r.ours * 1000, r.vm * 1000,
               r.ours / r.vm, r.agreement);
  }
  if (server) server->Stop();
  return 0;
}

}  // namespace
}  // namespace sremon::bench

int main(int argc, char** argv) { return sremon::bench::Run(argc, argv); }
