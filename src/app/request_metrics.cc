#include "app/request_metrics.h"

#include <algorithm>

namespace sremon::app {

const std::vector<double>& DefaultLatencyBuckets() {
  static const std::vector<double> buckets = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                              0.5,   0.75, 1.0,   2.5,  5.0,   7.5, 10.0};
  return buckets;
}

RequestMetrics::RequestMetrics(prometheus::Registry& registry, const std::vector<std::string>& routes)
    : requests_(prometheus::BuildCounter()
                    .Name("app_requests_total")
                    .Help("Total HTTP requests by method, route path and status code.")
                    .Register(registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("app_request_latency_seconds")
                   .Help("HTTP request latency in seconds by route path.")
                   .Register(registry)),
      routes_(routes) {
  routes_.emplace_back(kOtherPath);
  counters_.resize(routes_.size() * kMethods.size());
  for (auto& slots : counters_) {
    slots = std::make_unique<CounterSlots>();
    for (auto& s : *slots) s.store(nullptr, std::memory_order_relaxed);
  }
  histograms_ = std::make_unique<std::atomic<prometheus::Histogram*>[]>(routes_.size());
  for (size_t i = 0; i < routes_.size(); ++i) histograms_[i].store(nullptr, std::memory_order_relaxed);
}

size_t RequestMetrics::RouteIndex(std::string_view path) const {
  // A handful of routes: a linear scan beats hashing.
  for (size_t i = 0; i + 1 < routes_.size(); ++i) {
    if (routes_[i] == path) return i;
  }
  return routes_.size() - 1;
}

size_t RequestMetrics::MethodIndex(std::string_view method) {
  for (size_t i = 0; i + 1 < kMethods.size(); ++i) {
    if (kMethods[i] == method) return i;
  }
  return kMethods.size() - 1;
}

void RequestMetrics::Observe(std::string_view method, std::string_view path, int status, double seconds) {
  size_t route = RouteIndex(path);
  size_t m = MethodIndex(method);
  status = std::clamp(status, kMinStatus, kMinStatus + kStatuses - 1);
  auto& slot = (*counters_[route * kMethods.size() + m])[status - kMinStatus];
  prometheus::Counter* c = slot.load(std::memory_order_acquire);
  if (c == nullptr) c = SlowCounter(route, m, status);
  c->Increment();
  prometheus::Histogram* h = histograms_[route].load(std::memory_order_acquire);
  if (h == nullptr) h = SlowHistogram(route);
  h->Observe(seconds);
}

prometheus::Counter* RequestMetrics::SlowCounter(size_t route, size_t method, int status) {
  std::lock_guard<std::mutex> lock(create_mu_);
  auto& slot = (*counters_[route * kMethods.size() + method])[status - kMinStatus];
  prometheus::Counter* c = slot.load(std::memory_order_acquire);
  if (c == nullptr) {
    c = &requests_.Add({{"method", std::string(kMethods[method])},
                        {"path", routes_[route]},
                        {"status", std::to_string(status)}});
    slot.store(c, std::memory_order_release);
  }
  return c;
}

prometheus::Histogram* RequestMetrics::SlowHistogram(size_t route) {
  std::lock_guard<std::mutex> lock(create_mu_);
  prometheus::Histogram* h = histograms_[route].load(std::memory_order_acquire);
  if (h == nullptr) {
    h = &latency_.Add({{"path", routes_[route]}}, DefaultLatencyBuckets());
    histograms_[route].store(h, std::memory_order_release);
  }
  return h;
}

}  // namespace sremon::app
