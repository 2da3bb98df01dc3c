// sremon's own Prometheus client: counters, gauges and histograms in labelled families, a
// registry, and the text format 0.0.4. It has the API (and output) of the subset of
// prometheus-cpp that the services used, which obs/metrics.h keeps spelt `prometheus::` with a
// namespace alias. Why not prometheus-cpp: Debian ships it only as a shared library, and a shared
// C++ library forces the shared libstdc++ on a binary run six times (docs/benchmarks.md,
// "footprint"); this is the part we need, in ~300 lines.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sremon::obs::prom {

// Label name → value of one series of a family.
using Labels = std::map<std::string, std::string>;

enum class MetricType { kCounter, kGauge, kHistogram };

// A point-in-time copy of one series, for serialization.
struct ClientMetric {
  Labels labels;
  double value = 0;  // counter, gauge
  // histogram
  uint64_t sample_count = 0;
  double sample_sum = 0;
  std::vector<std::pair<double, uint64_t>> buckets;  // upper bound → cumulative count, +Inf last
};

struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  std::vector<ClientMetric> metric;
};

// Monotonic: negative increments are ignored. Thread-safe, lock-free.
class Counter {
 public:
  static constexpr MetricType kType = MetricType::kCounter;
  void Increment(double v = 1.0) {
    if (v >= 0) value_.fetch_add(v, std::memory_order_relaxed);
  }
  double Value() const { return value_.load(std::memory_order_relaxed); }
  void Collect(ClientMetric* m) const { m->value = Value(); }

 private:
  std::atomic<double> value_{0};
};

// Thread-safe, lock-free.
class Gauge {
 public:
  static constexpr MetricType kType = MetricType::kGauge;
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Increment(double v = 1.0) { value_.fetch_add(v, std::memory_order_relaxed); }
  void Decrement(double v = 1.0) { value_.fetch_sub(v, std::memory_order_relaxed); }
  void SetToCurrentTime();
  double Value() const { return value_.load(std::memory_order_relaxed); }
  void Collect(ClientMetric* m) const { m->value = Value(); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets (le = upper bound, inclusive) plus +Inf, sum and count. Thread-safe: a
// short lock per observation keeps sum, count and buckets consistent with each other.
class Histogram {
 public:
  static constexpr MetricType kType = MetricType::kHistogram;
  using BucketBoundaries = std::vector<double>;
  explicit Histogram(BucketBoundaries bounds);  // sorted ascending, +Inf implied
  void Observe(double v);
  void Collect(ClientMetric* m) const;

 private:
  const BucketBoundaries bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; [bounds_.size()] is +Inf
  double sum_ = 0;
};

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type)
      : name_(std::move(name)), help_(std::move(help)), type_(type) {}
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }
  // Empty families (no series yet) are not exposed, as in prometheus-cpp.
  virtual bool Collect(MetricFamily* out) const = 0;

 protected:
  const std::string name_, help_;
  const MetricType type_;
};

// The series of one metric name, one per label set. Add returns the series for those labels,
// creating it on first use; references stay valid until Remove. Thread-safe.
template <typename T>
class Family : public FamilyBase {
 public:
  Family(std::string name, std::string help) : FamilyBase(std::move(name), std::move(help), T::kType) {}

  template <typename... Args>
  T& Add(const Labels& labels, Args&&... args) {
    std::lock_guard lock(mu_);
    auto it = metrics_.find(labels);
    if (it == metrics_.end()) {
      it = metrics_.emplace(labels, std::make_unique<T>(std::forward<Args>(args)...)).first;
    }
    return *it->second;
  }
  void Remove(T* metric) {
    std::lock_guard lock(mu_);
    std::erase_if(metrics_, [metric](const auto& kv) { return kv.second.get() == metric; });
  }
  bool Has(const Labels& labels) const {
    std::lock_guard lock(mu_);
    return metrics_.count(labels) > 0;
  }
  bool Collect(MetricFamily* out) const override {
    std::lock_guard lock(mu_);
    if (metrics_.empty()) return false;
    out->name = name_;
    out->help = help_;
    out->type = type_;
    out->metric.reserve(metrics_.size());
    for (const auto& [labels, m] : metrics_) {
      ClientMetric& cm = out->metric.emplace_back();
      cm.labels = labels;
      m->Collect(&cm);
    }
    return true;
  }

 private:
  mutable std::mutex mu_;
  std::map<Labels, std::unique_ptr<T>> metrics_;  // sorted: stable exposition order
};

// Every family of a process. Registering a name again returns the family already there (it
// must be of the same type: std::invalid_argument otherwise). Thread-safe.
class Registry {
 public:
  template <typename T>
  Family<T>& Add(const std::string& name, const std::string& help) {
    std::lock_guard lock(mu_);
    if (FamilyBase* existing = FindLocked(name, T::kType)) return static_cast<Family<T>&>(*existing);
    auto family = std::make_unique<Family<T>>(name, help);
    Family<T>& ref = *family;
    families_.push_back(std::move(family));
    return ref;
  }
  // Counters, then gauges, then histograms, each in registration order (prometheus-cpp's order).
  std::vector<MetricFamily> Collect() const;

 private:
  FamilyBase* FindLocked(const std::string& name, MetricType type);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
};

template <typename T>
class Builder {
 public:
  Builder& Name(std::string name) {
    name_ = std::move(name);
    return *this;
  }
  Builder& Help(std::string help) {
    help_ = std::move(help);
    return *this;
  }
  Family<T>& Register(Registry& registry) { return registry.Add<T>(name_, help_); }

 private:
  std::string name_, help_;
};

inline Builder<Counter> BuildCounter() { return {}; }
inline Builder<Gauge> BuildGauge() { return {}; }
inline Builder<Histogram> BuildHistogram() { return {}; }

// Text exposition format 0.0.4, as prometheus-cpp writes it (values with 16 significant digits).
class TextSerializer {
 public:
  std::string Serialize(const std::vector<MetricFamily>& families) const;
};

}  // namespace sremon::obs::prom
