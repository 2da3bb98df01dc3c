// Crash-safe record storage for the alertmanager's state (silences, notification log, alerts,
// history): a snapshot file plus an append-only log, both of checksummed JSON lines. Format in
// docs/format/alertmanager-state.md. A torn or corrupt last line (kill -9 mid-write) is cut.
// Thread-safety: not thread-safe; owners serialize calls with their own mutex.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "util/status.h"

namespace sremon::alertmanager {

class Journal {
 public:
  Journal() = default;
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Opens <dir>/<name>.snap and <dir>/<name>.log (creating dir), calling on_record for each
  // valid record of the snapshot and then of the log, in order. An empty dir disables
  // persistence (every call succeeds and writes nothing).
  Status Open(const std::string& dir, const std::string& name,
              const std::function<void(const std::string& record)>& on_record);
  // Appends one record (no newlines inside). sync = fsync before returning.
  Status Append(const std::string& record, bool sync);
  // Replaces snapshot and log by `records` (atomic rename), making the log empty.
  Status Compact(const std::vector<std::string>& records);

 private:
  std::string dir_, name_;
  FILE* log_ = nullptr;
};

}  // namespace sremon::alertmanager
