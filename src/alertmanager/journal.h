// Crash-safe record storage for the alertmanager's state (silences, notification log, alerts,
// history): a snapshot file plus an append-only log, both of checksummed JSON lines. Format in
// docs/format/alertmanager-state.md. A torn or corrupt last line (kill -9 mid-write) is cut, and
// so is the partial line of a failed append, before the next record is written.
// Files are written only through the Env (tests inject faults: journal_test.cc).
// Thread-safety: not thread-safe; owners serialize calls with their own mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "util/env.h"
#include "util/status.h"

namespace sremon::alertmanager {

class Journal {
 public:
  // env is not owned and must outlive the journal.
  explicit Journal(Env* env = Env::Default()) : env_(env) {}
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Opens <dir>/<name>.snap and <dir>/<name>.log (creating dir), calling on_record for each
  // valid record of the snapshot and then of the log, in order. An empty dir disables
  // persistence (every call succeeds and writes nothing).
  Status Open(const std::string& dir, const std::string& name,
              const std::function<void(const std::string& record)>& on_record);
  // Appends one record (no newlines inside). sync = fsync before returning. On error nothing of
  // the record stays in the log (it is cut now, or before the next append if the cut fails).
  Status Append(const std::string& record, bool sync);
  // Replaces snapshot and log by `records` (atomic rename), making the log empty. On error the
  // previous snapshot and log stay in place.
  Status Compact(const std::vector<std::string>& records);

 private:
  std::string LogPath() const { return dir_ + "/" + name_ + ".log"; }
  std::string SnapPath() const { return dir_ + "/" + name_ + ".snap"; }

  Env* const env_;
  std::string dir_, name_;
  std::unique_ptr<WritableFile> log_;
  uint64_t good_bytes_ = 0;  // log bytes up to the end of the last record fully appended
};

}  // namespace sremon::alertmanager
