// PromQL query latency: ours vs VictoriaMetrics, both over HTTP, on the same node_exporter-like
// workload (default 24 h of 15 s samples). Prints the median latency of each query for both, the
// ratio ours/VM, and whether the answers agree.
//
//   ./build/bench/query/query_bench [--hosts 4] [--hours 24] [--runs 15]
//       [--sremon ./build/src/sremon]        # start `sremon storage` (the TSDB) and use it
//       [--ours-url http://127.0.0.1:8428]   # or a running one; default: in-process
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
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/prom_api.h"
#include "gen/nodegen.h"
#include "http/http.h"
#include "promql/engine.h"
#include "storage/mem_storage.h"
#include "testutil/testutil.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::bench {
namespace {


using nlohmann::json;

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
      // VictoriaMetrics keeps __name__ in places where Prometheus drops it (max_over_time...).
      metric.erase("__name__");
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
  size_t missing = 0, extra = 0, point_mismatch = 0, points = 0, equal_points = 0, close_points = 0;
  std::string example;
  double max_rel = 0;
  for (const auto& [k, pa] : ma) {
    auto it = mb.find(k);
    if (it == mb.end()) {
      if (extra++ == 0) example += " e.g. only ours: " + k;
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
      if (d <= 1e-9 * scale || (std::isnan(v) && std::isnan(p->second))) ++equal_points;
      if (d <= 1e-2 * scale || (std::isnan(v) && std::isnan(p->second))) ++close_points;
      if (scale > 0 && std::isfinite(d)) max_rel = std::max(max_rel, d / scale);
    }
    if (pb.size() > pa.size()) point_mismatch += pb.size() - pa.size();
  }
  for (const auto& [k, pb] : mb) {
    if (ma.count(k)) continue;
    if (missing++ == 0) example += " e.g. only VM: " + k;
  }
  if (missing == 0 && extra == 0 && point_mismatch == 0 && max_rel <= 1e-9) return "agree";
  auto pct = [&](size_t n) { return points ? 100.0 * static_cast<double>(n) / static_cast<double>(points) : 0.0; };
  return fmt::format("series {} vs {} (only VM {}, only ours {}), {} points ({} unmatched), {:.1f}% equal, {:.1f}% "
                     "within 1%, max rel diff {:.2g}{}",
                     ma.size(), mb.size(), missing, extra, points, point_mismatch, pct(equal_points),
                     pct(close_points), max_rel, example);
}

Status Import(const std::string& base_url, const std::string& body) {
  auto r = http::Post(base_url + "/api/v1/import/prometheus", body, "text/plain", std::chrono::seconds(120));
  if (!r.ok()) return r.status();
  if (r->status / 100 != 2) return Status::Internal(fmt::format("import: HTTP {}: {}", r->status, r->body));
  return Status::Ok();
}

int Run(int argc, char** argv) {
  CLI::App app{"PromQL query latency: sremon vs VictoriaMetrics"};
  int hosts = 4, hours = 24, runs = 15;
  std::string ours_url, vm_bin = "victoria-metrics", only, sremon_bin;
  app.add_option("--hosts", hosts, "hosts in the workload (~500 series each)");
  app.add_option("--hours", hours, "hours of 15 s samples");
  app.add_option("--runs", runs, "timed runs per query and side (median reported)");
  app.add_option("--ours-url", ours_url, "a running sremon storage to import into and query; default in-process");
  app.add_option("--sremon", sremon_bin, "start this sremon binary's `storage` service (TSDB) and benchmark it");
  app.add_option("--vm", vm_bin, "victoria-metrics binary");
  app.add_option("--only", only, "run only the queries containing this text (e.g. to profile one)");
  CLI11_PARSE(app, argc, argv);

  // The shared node_exporter-like workload (bench/gen), ending recently: VictoriaMetrics drops
  // samples outside its retention. The end is on a minute boundary so that VM's alignment of range
  // queries to the step changes nothing.
  NodeWorkloadOptions wo;
  wo.hosts = hosts;
  wo.duration_ms = static_cast<int64_t>(hours) * 3600'000;
  const int64_t end_ms = (NowMs() / 60'000) * 60'000 - 10 * 60'000;
  wo.start_ms = end_ms - wo.duration_ms;
  const int64_t start_ms = wo.start_ms;
  NodeWorkload work(wo);
  // nodegen has no `up` (the scraper adds it): one per host here, always 1.
  std::vector<model::Labels> up_labels;
  for (int h = 0; h < hosts; ++h) {
    up_labels.push_back(model::Labels{{"__name__", "up"}, {"job", "node"}, {"instance", fmt::format("host-{:02d}:9100", h)}});
  }
  fmt::print("workload: bench/gen nodegen, {} hosts, {} series, {} h at 15 s = {} samples\n", hosts,
             work.total_series() + hosts, hours, (work.total_series() + hosts) * (work.steps() + 1));

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

  // Ours: the storage service (started here or already running), else in-process MemStorage +
  // engine + API.
  std::unique_ptr<testutil::Child> sremon;
  if (!sremon_bin.empty()) {
    int port = testutil::FreePort();
    ours_url = fmt::format("http://127.0.0.1:{}", port);
    sremon = std::make_unique<testutil::Child>(
        std::vector<std::string>{sremon_bin, "storage", "-storageDataPath=" + dir.File("sremon"), "-retentionPeriod=2",
                                 fmt::format("-httpListenAddr=127.0.0.1:{}", port), "-loggerLevel=ERROR"},
        dir.File("sremon.log"));
    if (!testutil::WaitHttpOk(ours_url + "/health", std::chrono::seconds(20))) {
      std::cerr << "sremon storage did not start:\n" << testutil::ReadFile(dir.File("sremon.log"));
      return 1;
    }
  }
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

  // Ingest, step by step as scrapes arrive: VictoriaMetrics (and --ours-url) get the text
  // exposition in ~16 MB import bodies; the in-process MemStorage gets the samples per series in
  // one commit each at the end (its commits copy a series' samples, so per-step commits would be
  // quadratic).
  double t0 = MonotonicSeconds();
  std::string body;
  std::vector<std::vector<model::Sample>> samples(in_process ? work.total_series() + hosts : 0);
  auto flush = [&]() -> Status {
    if (body.empty()) return Status::Ok();
    SREMON_RETURN_IF_ERROR(Import(vm_url, body));
    if (!in_process) SREMON_RETURN_IF_ERROR(Import(ours_url, body));
    body.clear();
    return Status::Ok();
  };
  const size_t per_host = work.series_per_host();
  for (int64_t step = 0; step <= work.steps(); ++step) {
    work.NextStep();
    work.AppendText(&body);
    for (int h = 0; h < hosts; ++h) {
      int64_t t = work.Timestamp(h, step);
      body += up_labels[h].MetricName();
      body += fmt::format("{{instance=\"{}\",job=\"node\"}} 1 {}\n", up_labels[h].Get("instance"), t);
      if (in_process) {
        for (size_t i = 0; i < per_host; ++i) samples[h * per_host + i].push_back({t, work.Value(h, i)});
        samples[work.total_series() + h].push_back({t, 1});
      }
    }
    if (body.size() > (16u << 20)) {
      if (auto st = flush(); !st.ok()) {
        std::cerr << st.ToString() << "\n";
        return 1;
      }
    }
    if (step % 960 == 0) fmt::print("  step {}/{} ({:.0f}s)\n", step, work.steps(), MonotonicSeconds() - t0);
  }
  if (auto st = flush(); !st.ok()) {
    std::cerr << st.ToString() << "\n";
    return 1;
  }
  if (in_process) {
    for (size_t i = 0; i < samples.size(); ++i) {
      model::Labels ls;
      if (i < work.total_series()) {
        const auto& g = work.series(static_cast<int>(i / per_host), i % per_host);
        std::vector<model::Label> v{{"__name__", g.name}};
        for (const auto& [k, val] : g.labels) v.push_back({k, val});
        ls = model::Labels(std::move(v));
      } else {
        ls = up_labels[i - work.total_series()];
      }
      auto app_ = mem.NewAppender();
      for (const auto& smp : samples[i]) {
        if (auto st = app_->Append(ls, smp.t, smp.v); !st.ok()) {
          std::cerr << "append: " << st.ToString() << "\n";
          return 1;
        }
      }
      if (!app_->Commit().ok()) return 1;
      std::vector<model::Sample>().swap(samples[i]);
    }
  }
  (void)http::Get(vm_url + "/internal/force_flush");
  // Wait until both answer with every `up` series at the end of the data.
  std::string probe = fmt::format("/api/v1/query?query={}&time={}", http::UrlEncode("count(up)"), end_ms / 1000);
  for (const std::string& base : {vm_url, ours_url}) {
    for (int i = 0; i < 120; ++i) {
      auto r = http::Get(base + probe);
      if (r.ok() && r->body.find(fmt::format("\"{}\"", hosts)) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  fmt::print("ingest done in {:.1f}s\n\n", MonotonicSeconds() - t0);

  const std::vector<std::string> queries = {
      "sum by (mode) (rate(node_cpu_seconds_total[5m]))",
      "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
      "topk(5, rate(node_network_receive_bytes_total[5m]))",
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
      if (!only.empty() && q.find(only) == std::string::npos) continue;
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
