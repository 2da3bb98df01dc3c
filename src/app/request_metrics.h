// Request instrumentation of the demo app: app_requests_total{method,path,status} and
// app_request_latency_seconds{path}, as the reference Flask app exposes them.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "obs/metrics.h"

namespace sremon::app {

// Label value for requests to a path that is not a route (404s): keeps cardinality bounded
// whatever URLs clients make up.
inline constexpr std::string_view kOtherPath = "other";
// Label value for methods outside the standard HTTP set.
inline constexpr std::string_view kOtherMethod = "OTHER";

// The Python client's default histogram buckets, which the reference app uses.
const std::vector<double>& DefaultLatencyBuckets();

// Thread-safe. The hot path (Observe) takes no lock and builds no label map: the prometheus-cpp
// Counter and Histogram of each (method, route, status) are created once, on first use, and
// cached in a fixed table of atomic pointers indexed by small integers.
class RequestMetrics {
 public:
  // routes: every path label value the app can produce; anything else becomes kOtherPath.
  RequestMetrics(prometheus::Registry& registry, const std::vector<std::string>& routes);

  // path: the matched route (or the raw path when no route matched: mapped to kOtherPath
  // unless it names a route, e.g. a 405 on a known path).
  void Observe(std::string_view method, std::string_view path, int status, double seconds);

 private:
  static constexpr int kMinStatus = 100;
  static constexpr int kStatuses = 500;  // 100..599
  static constexpr std::array<std::string_view, 10> kMethods = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", kOtherMethod};
  using CounterSlots = std::array<std::atomic<prometheus::Counter*>, kStatuses>;

  size_t RouteIndex(std::string_view path) const;
  static size_t MethodIndex(std::string_view method);
  prometheus::Counter* SlowCounter(size_t route, size_t method, int status);
  prometheus::Histogram* SlowHistogram(size_t route);

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  std::vector<std::string> routes_;  // routes_.back() is kOtherPath
  // [route * kMethods.size() + method], allocated up front so the hot path never reallocates.
  std::vector<std::unique_ptr<CounterSlots>> counters_;
  std::unique_ptr<std::atomic<prometheus::Histogram*>[]> histograms_;
  std::mutex create_mu_;  // serializes first-use creation only
};

}  // namespace sremon::app
