#include "loadgen/latency.h"

#include <algorithm>
#include <cmath>

namespace sremon::loadgen {

namespace {
constexpr double kLinearMicros = 1000;  // 1 µs buckets below 1 ms
constexpr double kGrowth = 1.01;        // then each bucket 1% wider than the last
constexpr double kMaxMicros = 100e6;    // 100 s; slower requests land in the last bucket
const size_t kLogBuckets = static_cast<size_t>(std::ceil(std::log(kMaxMicros / kLinearMicros) / std::log(kGrowth)));
}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(static_cast<size_t>(kLinearMicros) + kLogBuckets + 1, 0) {}

size_t LatencyHistogram::BucketOf(double micros) {
  if (!(micros > 0)) return 0;
  if (micros < kLinearMicros) return static_cast<size_t>(micros);
  double i = std::ceil(std::log(micros / kLinearMicros) / std::log(kGrowth));
  return static_cast<size_t>(kLinearMicros) + std::min(static_cast<size_t>(i), kLogBuckets);
}

double LatencyHistogram::UpperBoundMicros(size_t bucket) {
  if (bucket < kLinearMicros) return static_cast<double>(bucket + 1);
  return kLinearMicros * std::pow(kGrowth, static_cast<double>(bucket - static_cast<size_t>(kLinearMicros)));
}

void LatencyHistogram::Record(double seconds) {
  ++buckets_[BucketOf(seconds * 1e6)];
  ++count_;
  max_ = std::max(max_, seconds);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::Reset() {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = 0;
  max_ = 0;
}

double LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return i + 1 == buckets_.size() ? max_ : std::min(UpperBoundMicros(i) / 1e6, max_);
  }
  return max_;
}

}  // namespace sremon::loadgen
