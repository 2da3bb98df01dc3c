// Exposition parser throughput on one core: MB/s and samples/s for a node_exporter-like page
// (counters, gauges, histogram buckets with 4-6 labels), in both formats.
// Usage: expo_parse_bench [series=10000] [seconds=2]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "expo/parser.h"

namespace {

std::string MakePage(int series, bool openmetrics) {
  std::string out;
  const char* modes[] = {"idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"};
  int n = 0;
  for (int fam = 0; n < series; ++fam) {
    std::string name = "node_metric_family_" + std::to_string(fam);
    out += "# HELP " + name + " A node_exporter-like family number " + std::to_string(fam) + ".\n";
    out += "# TYPE " + name + (fam % 3 == 2 ? " histogram\n" : fam % 3 == 1 ? " gauge\n" : " counter\n");
    for (int i = 0; i < 50 && n < series; ++i, ++n) {
      out += name;
      if (fam % 3 == 2) out += "_bucket";
      out += "{cpu=\"" + std::to_string(i % 16) + "\",instance=\"host-" + std::to_string(fam % 20) +
             ":9100\",job=\"node\",mode=\"" + modes[i % 8] + "\"";
      if (fam % 3 == 2) out += ",le=\"" + std::to_string(i * 0.25) + "\"";
      out += "} " + std::to_string(123456.789 + i * 17.5) + "\n";
    }
  }
  if (openmetrics) out += "# EOF\n";
  return out;
}

void Run(const char* label, const std::string& page, sremon::expo::Format format, double seconds) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  size_t bytes = 0, samples = 0;
  double elapsed = 0;
  do {
    sremon::expo::Parser p(page, format);
    for (auto e = p.Next(); e != sremon::expo::Entry::kEnd; e = p.Next()) {
      if (e == sremon::expo::Entry::kSeries) ++samples;
    }
    if (!p.status().ok()) {
      std::fprintf(stderr, "parse error: %s\n", p.status().ToString().c_str());
      std::exit(1);
    }
    bytes += page.size();
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  std::printf("%-16s %8.1f MB/s per core  %6.2f M samples/s\n", label, bytes / elapsed / 1e6,
              samples / elapsed / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  int series = argc > 1 ? std::atoi(argv[1]) : 10000;
  double seconds = argc > 2 ? std::atof(argv[2]) : 2.0;
  std::string text = MakePage(series, false);
  std::string om = MakePage(series, true);
  std::printf("page: %d series, %zu bytes\n", series, text.size());
  Run("text 0.0.4", text, sremon::expo::Format::kPrometheusText, seconds);
  Run("openmetrics 1.0", om, sremon::expo::Format::kOpenMetrics, seconds);
  return 0;
}
