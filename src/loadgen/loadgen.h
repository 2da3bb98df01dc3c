// The load generator behind `sremon load`: keep-alive HTTP/1.1 connections from one I/O
// thread, a target rate (or as fast as possible), a weighted mix of paths, and a run bounded
// by time and by request count. Used by the high-traffic drill (HighRequestRate) and the
// error-budget drill.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/latency.h"
#include "util/status.h"

namespace sremon::loadgen {

struct WeightedPath {
  std::string path;  // starts with '/', may carry a query
  int weight = 1;
};

// "/health=2" → {"/health", 2}; "/" → weight 1. The weight follows the last '='.
Result<WeightedPath> ParseWeightedPath(std::string_view spec);

// Smooth weighted round robin (as nginx balances upstreams): over any sum(weights) consecutive
// picks each path comes up exactly `weight` times, evenly spread.
class PathMix {
 public:
  explicit PathMix(std::vector<WeightedPath> paths);
  size_t Next();  // index into paths()
  const std::vector<WeightedPath>& paths() const { return paths_; }

 private:
  std::vector<WeightedPath> paths_;
  std::vector<int64_t> current_;
  int64_t total_ = 0;
};

struct LoadOptions {
  std::string url = "http://127.0.0.1:8080";  // scheme, host, port; its path is the default mix
  std::vector<WeightedPath> paths;            // empty: the URL's path with weight 1
  std::string method = "GET";
  double rate = 0;                            // requests per second in total; 0 = as fast as possible
  std::chrono::milliseconds duration{10000};  // 0 = no time bound (then max_requests must be set)
  int64_t max_requests = 0;                   // 0 = no count bound
  int concurrency = 4;                        // connections
  bool keep_alive = true;
  std::chrono::milliseconds timeout{10000};   // per request (connect + write + read)
  std::chrono::milliseconds progress_interval{1000};
};

// Counts so far, for the progress callback and the final report.
struct LoadStats {
  double elapsed_seconds = 0;
  int64_t sent = 0;
  int64_t responses = 0;     // any HTTP answer
  int64_t errors = 0;        // transport errors + non-2xx/3xx answers
  int64_t connect_errors = 0;
  int64_t timeouts = 0;
  int64_t connections = 0;   // connections opened (1 per `concurrency` with keep-alive)
  std::map<int, int64_t> by_status;
  std::map<std::string, int64_t> by_path;
  LatencyHistogram latency;           // every answered request since the start
  LatencyHistogram interval_latency;  // since the previous progress report
  double interval_rate = 0;           // answers per second over the last interval
  double Rate() const { return elapsed_seconds > 0 ? static_cast<double>(responses) / elapsed_seconds : 0; }
};

// Validates options (URL, bounds, paths) before anything is sent.
Status ValidateLoadOptions(const LoadOptions& o);

// Runs the load; on_progress (may be null) is called every progress_interval from the I/O
// thread. Returns the final stats, or an error when the options are invalid or the host does
// not resolve. Transport errors during the run are counted, not returned.
Result<LoadStats> RunLoad(const LoadOptions& options, const std::function<void(const LoadStats&)>& on_progress);

// "1.23ms", "456µs", "2.1s".
std::string FormatLatency(double seconds);

}  // namespace sremon::loadgen
