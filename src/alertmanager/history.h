// Notification history — beyond upstream: one record per notification (receiver, integration,
// group, alerts, an excerpt of the payload, and each delivery attempt with its result), kept
// for --data.retention in a Journal and served at GET /api/v2/history (docs/alertmanager.md).
// Every part a request can grow is bounded: a 40 MB payload sent to a receiver that keeps
// failing costs one 64 KiB excerpt, not 40 MB per retry, and the whole history stays under a
// byte cap in memory and on disk.
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

// One delivery attempt of a notification.
struct HistoryAttempt {
  int64_t time = 0;  // ms, when the attempt started
  bool ok = false;
  std::string error;
  int http_status = 0;
  std::string response;  // first bytes of the answer
  double duration_seconds = 0;
};

struct HistoryRecord {
  static constexpr size_t kPayloadExcerptBytes = 64 << 10;
  static constexpr size_t kMaxAlerts = 100;   // alerts kept (alerts_total counts them all)
  static constexpr size_t kMaxAttempts = 10;  // the first and the latest ones are kept

  uint64_t id = 0;
  int64_t time = 0;  // ms, when the first attempt started
  std::string receiver, integration;  // integration: "webhook[0]"
  std::string group_key;
  std::string status;  // of the message: firing / resolved
  std::vector<Alert> alerts;
  size_t alerts_total = 0;
  std::string payload;  // the first kPayloadExcerptBytes of what was sent
  size_t payload_bytes = 0;
  std::string payload_sha256;  // hex, of the whole payload
  std::string target;          // URL or SMTP address
  int attempts_total = 0;
  std::vector<HistoryAttempt> attempts;  // oldest first
  bool test = false;  // sent by test-receiver

  // Fills alerts, payload and its size and hash, bounded as above.
  void SetAlerts(const std::vector<Alert>& all);
  void SetPayload(const std::string& full);
  // Appends an attempt, dropping middle ones past kMaxAttempts.
  void AddAttempt(HistoryAttempt a);
  const HistoryAttempt& last() const;
};

class History {
 public:
  // max_bytes bounds the records in memory and the journal on disk (0 = the default, 64 MiB).
  Status Open(const std::string& dir, int64_t retention_ms, size_t max_bytes = 0);
  // A new record (with its first attempt); returns its id.
  uint64_t Add(HistoryRecord r);
  // Another attempt of record `id` (ignored when it is gone already).
  void AddAttempt(uint64_t id, HistoryAttempt a);
  // Newest first. Empty filters match everything; alertname matches any alert of the record.
  std::vector<HistoryRecord> Query(const std::string& alertname, const std::string& receiver, size_t limit) const;
  void Maintenance();
  size_t bytes() const;

 private:
  struct Entry {
    HistoryRecord record;
    size_t bytes = 0;  // of its journal record
  };
  void Put(HistoryRecord r);  // REQUIRES: mu_ held
  void CompactLocked();       // REQUIRES: mu_ held

  mutable std::mutex mu_;
  std::deque<Entry> records_;  // GUARDED_BY(mu_), oldest first
  size_t bytes_ = 0;           // GUARDED_BY(mu_), sum of records_[i].bytes
  size_t log_bytes_ = 0;       // GUARDED_BY(mu_), appended since the last compaction
  Journal journal_;            // GUARDED_BY(mu_)
  uint64_t next_id_ = 1;
  int64_t retention_ms_ = 120 * 3600 * 1000LL;
  size_t max_bytes_ = 64 << 20;
};

std::string HistoryToJson(const HistoryRecord& r);

}  // namespace sremon::alertmanager
