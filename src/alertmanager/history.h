// Notification history — beyond upstream: every notification attempt (receiver, integration,
// group, alerts, rendered payload, result, time), kept for --data.retention in a Journal and
// served at GET /api/v2/history (docs/alertmanager.md).
// Thread-safety: thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "alertmanager/alert.h"
#include "alertmanager/journal.h"

namespace sremon::alertmanager {

struct HistoryRecord {
  uint64_t id = 0;
  int64_t time = 0;  // ms, when the attempt started
  std::string receiver, integration;  // integration: "webhook[0]"
  std::string group_key;
  std::string status;  // of the message: firing / resolved
  std::vector<Alert> alerts;
  std::string payload;  // what was sent (JSON body, or the e-mail message)
  std::string target;   // URL or SMTP address
  bool ok = false;
  std::string error;
  int http_status = 0;
  std::string response;  // first bytes of the answer
  int attempt = 1;
  double duration_seconds = 0;
  bool test = false;  // sent by test-receiver
};

class History {
 public:
  Status Open(const std::string& dir, int64_t retention_ms);
  uint64_t Add(HistoryRecord r);
  // Newest first. Empty filters match everything; alertname matches any alert of the record.
  std::vector<HistoryRecord> Query(const std::string& alertname, const std::string& receiver, size_t limit) const;
  void Maintenance();

 private:
  mutable std::mutex mu_;
  std::deque<HistoryRecord> records_;  // GUARDED_BY(mu_), oldest first
  Journal journal_;                    // GUARDED_BY(mu_)
  uint64_t next_id_ = 1;
  int64_t retention_ms_ = 120 * 3600 * 1000LL;
};

std::string HistoryToJson(const HistoryRecord& r);

}  // namespace sremon::alertmanager
