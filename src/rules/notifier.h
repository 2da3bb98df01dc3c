// Sends alerts to Alertmanagers over their v2 API (POST /api/v2/alerts), as Prometheus's
// notifier does: a bounded queue (oldest alerts dropped and counted when full), batches of at
// most max_batch alerts, each batch posted to every -notifier.url with retries and backoff.
// Thread-safety: Send() may be called from any thread; one sender thread per Notifier.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/labels.h"
#include "obs/metrics.h"
#include "rules/batch_queue.h"

namespace sremon::rules {

// One alert as Alertmanager's API receives it (postableAlert).
struct AlertMessage {
  model::Labels labels;
  std::map<std::string, std::string> annotations;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  std::string generator_url;
};

// The JSON array Alertmanager's POST /api/v2/alerts expects.
std::string EncodeAlerts(const std::vector<AlertMessage>& alerts);

struct NotifierOptions {
  std::vector<std::string> urls;  // base URLs (http://host:9093); /api/v2/alerts is appended
  size_t queue_capacity = 10000;
  size_t max_batch = 64;
  int max_attempts = 4;  // per batch and Alertmanager
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds timeout{10000};
};

class Notifier {
 public:
  explicit Notifier(NotifierOptions options);
  ~Notifier();  // Stop()
  void Start();
  // Sends what is queued (bounded by the timeout), then stops the sender thread.
  void Stop(std::chrono::milliseconds drain = std::chrono::milliseconds(3000));
  void Send(std::vector<AlertMessage> alerts);

  uint64_t dropped() const;
  uint64_t sent() const;    // alerts acknowledged by at least one Alertmanager
  uint64_t errors() const;  // batches that failed on some Alertmanager after all retries

 private:
  void Deliver(std::vector<AlertMessage> batch);
  bool PostWithRetry(const std::string& url, const std::string& body, size_t n);

  NotifierOptions options_;
  std::atomic<uint64_t> sent_{0}, errors_{0};
  prometheus::Counter* dropped_metric_;
  std::vector<prometheus::Counter*> sent_metrics_, error_metrics_;
  BatchQueue<AlertMessage> queue_;  // last: its thread stops before the members above go
};

}  // namespace sremon::rules
