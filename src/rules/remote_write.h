// Writes rule results back over Prometheus remote_write 1.0 (snappy-compressed protobuf
// prompb.WriteRequest): recording-rule samples, ALERTS and ALERTS_FOR_STATE.
// Thread-safety: Push() from any thread; one sender thread.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "obs/metrics.h"
#include "rules/batch_queue.h"
#include "rules/rule.h"

namespace sremon::rules {

// The remote_write body (snappy-compressed prompb.WriteRequest), one TimeSeries per sample.
std::string EncodeWriteRequest(const std::vector<OutSample>& samples);

struct RemoteWriteOptions {
  std::string url;  // full URL (http://host:8428/api/v1/write); a bare host:port gets /api/v1/write
  std::chrono::milliseconds flush_interval{1000};
  size_t max_batch = 10000;
  size_t queue_capacity = 100000;  // samples; the oldest are dropped beyond
  int max_attempts = 5;
  std::chrono::milliseconds timeout{10000};
};

// vmalert's remotewrite.Client (ingest::RemoteWriteQueue is the storage's disk-queued forwarder).
class RemoteWriteClient {
 public:
  explicit RemoteWriteClient(RemoteWriteOptions options);
  ~RemoteWriteClient();
  void Start();
  // Flushes what is queued (bounded by drain), then stops.
  void Stop(std::chrono::milliseconds drain = std::chrono::milliseconds(3000));
  void Push(std::vector<OutSample> samples);
  uint64_t sent() const;
  uint64_t dropped() const;

 private:
  void Deliver(std::vector<OutSample> batch);
  bool Post(const std::string& body);

  RemoteWriteOptions options_;
  std::string url_;
  std::atomic<uint64_t> sent_{0};
  prometheus::Counter *sent_metric_, *dropped_metric_, *errors_metric_;
  BatchQueue<OutSample> queue_;  // last: its thread stops before the members above go
};

}  // namespace sremon::rules
