// Writes rule results back over Prometheus remote_write 1.0 (snappy-compressed protobuf
// prompb.WriteRequest): recording-rule samples, ALERTS and ALERTS_FOR_STATE.
// The encoder is a minimal hand-written prompb writer (WriteRequest/TimeSeries/Label/Sample).
// Thread-safety: Push() from any thread; one sender thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "obs/metrics.h"
#include "rules/rule.h"

namespace sremon::rules {

// prompb.WriteRequest bytes (uncompressed), one TimeSeries per sample.
std::string EncodeWriteRequest(const std::vector<OutSample>& samples);
// Snappy block compression, as remote_write requires.
std::string SnappyCompress(const std::string& raw);

struct RemoteWriteOptions {
  std::string url;  // full URL (http://host:8428/api/v1/write); a bare host:port gets /api/v1/write
  std::chrono::milliseconds flush_interval{1000};
  size_t max_batch = 10000;
  size_t queue_capacity = 100000;  // samples; the oldest are dropped beyond
  int max_attempts = 5;
  std::chrono::milliseconds timeout{10000};
};

class RemoteWriter {
 public:
  explicit RemoteWriter(RemoteWriteOptions options);
  ~RemoteWriter();
  void Start();
  // Flushes what is queued (bounded by drain), then stops.
  void Stop(std::chrono::milliseconds drain = std::chrono::milliseconds(3000));
  void Push(std::vector<OutSample> samples);
  uint64_t sent() const;
  uint64_t dropped() const;

 private:
  void Loop();
  bool Post(const std::string& body);

  RemoteWriteOptions options_;
  std::string url_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<OutSample> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;
  std::chrono::steady_clock::time_point drain_deadline_;
  uint64_t sent_ = 0, dropped_ = 0;
  std::thread thread_;
  prometheus::Counter *sent_metric_, *dropped_metric_, *errors_metric_;
};

}  // namespace sremon::rules
