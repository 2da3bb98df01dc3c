// A deterministic node_exporter-like workload (bench/README.md): per host, ~500 series of the
// shapes node_exporter and a Go service expose (CPU seconds counters with 2 decimals, byte
// counters, memory/filesystem gauges in 4 KiB steps, constant metadata gauges, temperatures,
// a request-duration histogram), scraped every interval with a few ms of jitter. The same
// options always produce the same series, timestamps and values, so the TSDB benchmark and the
// side-by-side VictoriaMetrics comparison (storagesvc) ingest identical data.
// Thread-safety: NodeWorkload is not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sremon::bench {

struct NodeWorkloadOptions {
  int hosts = 20;
  int64_t start_ms = 1'700'000'000'000LL;  // 2023-11-14T22:13:20Z
  int64_t interval_ms = 15'000;
  int64_t duration_ms = 24LL * 3600 * 1000;
  uint64_t seed = 1;
};

struct GenSeries {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name, without __name__
  int kind;  // internal: how values evolve
  double a, b;  // internal parameters
};

class NodeWorkload {
 public:
  explicit NodeWorkload(const NodeWorkloadOptions& o);
  const NodeWorkloadOptions& options() const { return o_; }
  int64_t steps() const { return o_.duration_ms / o_.interval_ms; }
  size_t series_per_host() const { return per_host_.size(); }
  size_t total_series() const { return per_host_.size() * o_.hosts; }
  // Series i of host h (labels include instance and job).
  const GenSeries& series(int host, size_t i) const { return all_[host * per_host_.size() + i]; }
  // Timestamp of `step` for `host` (scrape jitter included).
  int64_t Timestamp(int host, int64_t step) const;
  // Advances to the next step; call once per step before reading values (step 0 included).
  void NextStep();
  int64_t step() const { return step_; }
  // Current value of series i of host h at the current step.
  double Value(int host, size_t i) const { return values_[host * per_host_.size() + i]; }
  // Appends the Prometheus text exposition (with timestamps) of the current step, all hosts.
  void AppendText(std::string* out) const;

 private:
  NodeWorkloadOptions o_;
  std::vector<GenSeries> per_host_;
  std::vector<GenSeries> all_;
  std::vector<double> values_;
  std::vector<double> state_;
  int64_t step_ = -1;
  uint64_t rng_;
};

}  // namespace sremon::bench
