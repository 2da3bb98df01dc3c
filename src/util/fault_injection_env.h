// An Env for tests that injects the faults a durable file must survive (leveldb's
// FaultInjectionTestEnv): disk full with a short write, a failed fsync, and a crash at any point
// followed by a power loss. Wraps another Env (normally Env::Default()) and passes reads through.
//
//   SetFull(true)            every write-side call fails like ENOSPC; Append first writes
//                            partial_bytes of its data, as a real short write does.
//   SetSyncFails(true)       Sync/SyncDir fail like EIO (the data stays in the page cache).
//   Crash() / SetCrashBeforeRename(true)
//                            the process "dies" now / at the next RenameFile: from then on
//                            every write-side call fails and writes nothing.
//   Restart()                the process starts again after a crash that the machine survived
//                            (kill -9: everything written stays); the Env works again.
//   PowerLoss()              what a machine crash keeps: each file written through this Env is
//                            cut back to its size at its last Sync, and a file created since its
//                            directory's last SyncDir disappears. Renames are kept (with only
//                            the renamed file's synced bytes: the empty file that a rename
//                            before fsync leaves). Then the Env works normally again.
//                            REQUIRES: the files opened before are closed (owners destroyed).
//
// Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "util/env.h"

namespace sremon {

class FaultInjectionEnv : public Env {
 public:
  explicit FaultInjectionEnv(Env* base) : base_(base) {}
  void SetFull(bool full) { full_ = full; }
  bool full() const { return full_; }
  void SetPartialBytes(size_t n) { partial_bytes_ = n; }
  size_t partial_bytes() const { return partial_bytes_; }
  void SetSyncFails(bool fails) { sync_fails_ = fails; }
  void SetCrashBeforeRename(bool crash) { crash_before_rename_ = crash; }
  void Crash() { dead_ = true; }
  void Restart() {
    dead_ = false;
    crash_before_rename_ = false;
  }
  bool crashed() const { return dead_; }
  bool sync_fails() const { return sync_fails_; }
  Status PowerLoss();
  Env* base() const { return base_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, bool truncate) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  Status ReadFile(const std::string& path, std::string* out) override { return base_->ReadFile(path, out); }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override { return base_->ListDir(dir); }
  Status CreateDir(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override;
  Result<uint64_t> FileSize(const std::string& path) override { return base_->FileSize(path); }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }

  // The injected failures, for FaultWritableFile and tests that check messages.
  static Status NoSpace(const std::string& what);
  static Status SyncFailed(const std::string& what);
  static Status Dead(const std::string& what);
  // Records that `path` now has `size` bytes on stable storage (a successful Sync).
  void NoteSynced(const std::string& path, uint64_t size);
  void NoteTruncated(const std::string& path, uint64_t size);

 private:
  struct FileState {
    uint64_t synced_bytes = 0;  // survives PowerLoss()
    bool dir_synced = false;    // its directory entry survives PowerLoss()
  };
  Env* base_;
  std::atomic<bool> full_{false};
  std::atomic<size_t> partial_bytes_{0};
  std::atomic<bool> sync_fails_{false};
  std::atomic<bool> crash_before_rename_{false};
  std::atomic<bool> dead_{false};
  std::mutex mu_;
  std::map<std::string, FileState> files_;  // GUARDED_BY(mu_): files written through this Env
};

}  // namespace sremon
