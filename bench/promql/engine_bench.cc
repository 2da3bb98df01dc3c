// In-process PromQL engine latency on MemStorage: ~10k node_exporter-like series, instant and
// range queries, median of N runs. Isolates the engine from HTTP and JSON encoding.
//
//   ./build/bench/promql/promql_engine_bench [--hosts 100] [--hours 6] [--scrape 30] [--runs 5]
#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "promql/engine.h"
#include "storage/mem_storage.h"

using namespace sremon;

// CPU time of the process (the query thread and the engine's helper threads for large
// selectors; nothing else runs during a query): steadier than wall time on a shared machine.
static double CpuMs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  CLI::App app("PromQL engine latency on MemStorage");
  int hosts = 100, hours = 6, scrape_s = 30, runs = 5;
  app.add_option("--hosts", hosts, "hosts; each has 96 series (default 100 -> ~10k series)");
  app.add_option("--hours", hours, "hours of data (default 6)");
  app.add_option("--scrape", scrape_s, "scrape interval in seconds (default 30)");
  app.add_option("--runs", runs, "runs per query; the median is printed (default 5)");
  std::string only;
  app.add_option("--only", only, "run only queries containing this text (default: all)");
  CLI11_PARSE(app, argc, argv);

  storage::MemStorage db;
  const int64_t end = int64_t{hours} * 3600 * 1000;
  const char* modes[] = {"user", "system", "idle", "iowait"};
  std::vector<model::Labels> series;
  for (int h = 0; h < hosts; ++h) {
    std::string inst = fmt::format("host-{}:9100", h);
    std::string job = h % 2 ? "node" : "node2";
    for (int cpu = 0; cpu < 16; ++cpu) {
      for (const char* m : modes) {
        series.push_back(model::Labels{{"__name__", "node_cpu_seconds_total"}, {"instance", inst}, {"job", job},
                                       {"cpu", std::to_string(cpu)}, {"mode", m}});
      }
    }
    for (const char* le : {"0.1", "0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "+Inf"}) {
      series.push_back(model::Labels{{"__name__", "http_request_duration_seconds_bucket"}, {"instance", inst},
                                     {"job", job}, {"le", le}});
    }
    series.push_back(model::Labels{{"__name__", "memory_bytes"}, {"instance", inst}, {"job", job}});
    series.push_back(model::Labels{{"__name__", "up"}, {"instance", inst}, {"job", job}});
    for (int d = 0; d < 18; ++d) {
      series.push_back(model::Labels{{"__name__", "disk_bytes"}, {"instance", inst}, {"job", job},
                                     {"device", fmt::format("sd{}", d)}});
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  size_t samples = 0;
  // Commit in batches: every MemStorage commit copies the series map (copy-on-write).
  auto a = db.NewAppender();
  for (size_t i = 0; i < series.size(); ++i) {
    double v = 0;
    for (int64_t t = 0; t <= end; t += scrape_s * 1000) {
      v += 1 + static_cast<double>((i * 31 + t / 1000) % 7);
      a->Append(series[i], t, v);
      ++samples;
    }
    if (i % 1000 == 999 || i + 1 == series.size()) {
      a->Commit();
      a = db.NewAppender();
    }
  }
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << fmt::format("{} series, {} samples loaded in {:.1f}s\n", db.NumSeries(), samples, load_s);

  promql::Engine engine;
  struct Q {
    const char* expr;
    int64_t range_ms;  // 0: instant
  };
  const Q queries[] = {
      {"sum by (mode) (rate(node_cpu_seconds_total[5m]))", 0},
      {"sum by (mode) (rate(node_cpu_seconds_total[5m]))", 3600 * 1000},
      {"sum by (mode) (rate(node_cpu_seconds_total[5m]))", end - 3600 * 1000},
      {"histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))", 0},
      {"histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))", 3600 * 1000},
      {"topk(5, rate(node_cpu_seconds_total{mode=\"user\"}[5m]))", 3600 * 1000},
      {"max_over_time(memory_bytes[1h])", 3600 * 1000},
      {"rate(node_cpu_seconds_total{instance=~\"host-1.*\", mode!=\"idle\"}[5m])", 3600 * 1000},
      {"count by (job) (up)", 3600 * 1000},
      {"disk_bytes / on(instance, job) group_left sum by (instance, job) (disk_bytes)", 0},
      {"disk_bytes / on(instance, job) group_left sum by (instance, job) (disk_bytes)", 3600 * 1000},
  };
  std::cout << fmt::format("{:<90} {:>10} {:>10} {:>10} {:>12}\n", "query", "range", "wall ms", "cpu ms",
                           "samples");
  for (const auto& q : queries) {
    if (!only.empty() && std::string(q.expr).find(only) == std::string::npos) continue;
    std::vector<double> times, cpu;
    int64_t loaded = 0;
    for (int r = 0; r < runs; ++r) {
      auto s = std::chrono::steady_clock::now();
      double c0 = CpuMs();
      auto res = q.range_ms ? engine.RangeQuery(db, q.expr, end - q.range_ms, end, 60'000)
                            : engine.InstantQuery(db, q.expr, end);
      times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
      cpu.push_back(CpuMs() - c0);
      if (!res.ok()) {
        std::cerr << q.expr << ": " << res.status().message() << "\n";
        return 1;
      }
      loaded = res->stats.total_samples;
    }
    std::sort(times.begin(), times.end());
    std::sort(cpu.begin(), cpu.end());
    std::string range = q.range_ms ? fmt::format("{}h/60s", q.range_ms / 3600000) : "instant";
    std::cout << fmt::format("{:<90} {:>10} {:>10.2f} {:>10.2f} {:>12}\n", q.expr, range, times[times.size() / 2],
                             cpu[cpu.size() / 2], loaded);
  }
  return 0;
}
