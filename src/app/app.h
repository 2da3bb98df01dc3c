// The demo app served by `sremon app`: the reference Flask app's routes and metrics
// (routes /, /health, /metrics and the app_* metrics), plus the /chaos fault switch for incident drills.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "app/fault.h"
#include "app/request_metrics.h"
#include "http/http.h"
#include "util/status.h"

namespace sremon::app {

struct AppOptions {
  std::string listen_addr = "127.0.0.1:8080";
  FaultSettings faults;  // initial state of the fault switch
  // false: no request metrics (app_requests_total, app_request_latency_seconds). Only for
  // measuring what instrumentation costs; /metrics still serves process metrics.
  bool instrumentation = true;
  int io_threads = 0;  // 0 = one per core
};

// Thread-safety: Start()/Stop() from one thread; everything else is served concurrently.
class App {
 public:
  // The path label values requests can get; any other path is counted as kOtherPath.
  static const std::vector<std::string>& Routes();

  explicit App(AppOptions options);
  ~App();

  // Binds and serves. Error names the address when it is in use.
  Status Start();
  void Stop();
  int port() const { return server_.port(); }
  FaultSwitch& faults() { return faults_; }

 private:
  void AddRoutes();

  AppOptions options_;
  http::Server server_;
  FaultSwitch faults_;
  std::unique_ptr<RequestMetrics> metrics_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace sremon::app
