// The notification log (nflog): for each (receiver integration, group) the alerts last
// notified as firing and as resolved, and when. Dedup decisions read it; it is persisted to a
// Journal (fsynced per entry) so a restart does not re-send what was already sent.
// Thread-safety: thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "alertmanager/alert.h"
#include "alertmanager/journal.h"
#include "util/time.h"

namespace sremon::alertmanager {

struct NflogEntry {
  std::string receiver;   // "group/integration/index", e.g. "team-x/webhook/0"
  std::string group_key;
  std::set<uint64_t> firing, resolved;
  int64_t timestamp = 0;
  int64_t expires_at = 0;
};

class NotificationLog {
 public:
  explicit NotificationLog(Clock clock = NowMs) : clock_(std::move(clock)) {}
  Status Open(const std::string& dir);
  bool Query(const std::string& receiver, const std::string& group_key, NflogEntry* out) const;
  Status Log(NflogEntry e);
  // Drops expired entries and compacts the journal.
  void Maintenance();
  size_t size() const;

 private:
  const Clock clock_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, NflogEntry> entries_;  // GUARDED_BY(mu_)
  Journal journal_;                                                    // GUARDED_BY(mu_)
};

}  // namespace sremon::alertmanager
