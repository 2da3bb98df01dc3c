// A latency histogram for the load generator: fixed log-linear buckets (1 µs wide up to 1 ms,
// then 1% wide up to 100 s), so percentiles are within 1% and recording is one increment.
// Not thread-safe: the load generator records from its one I/O thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sremon::loadgen {

class LatencyHistogram {
 public:
  LatencyHistogram();
  void Record(double seconds);
  void Merge(const LatencyHistogram& other);
  void Reset();
  uint64_t count() const { return count_; }
  double max() const { return max_; }
  // q in [0, 1]; 0 when empty. The upper bound of the bucket holding the q-th value.
  double Quantile(double q) const;

 private:
  static size_t BucketOf(double micros);
  static double UpperBoundMicros(size_t bucket);

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  double max_ = 0;
};

}  // namespace sremon::loadgen
