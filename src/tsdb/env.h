// The file layer of the TSDB (leveldb Env): everything that writes or lists files goes through
// it, so tests can inject faults (disk full, unwritable directory) with FaultInjectionEnv.
// Thread-safety: Env methods are thread-safe; a WritableFile/RandomAccessFile is used by one
// thread at a time unless stated.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace sremon::tsdb {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Writes all of data at the end of the file (write(2): page cache, not yet durable).
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;  // fdatasync
  // Cuts the file back to `size` bytes (used to undo a partially written record).
  virtual Status Truncate(uint64_t size) = 0;
  virtual Status Close() = 0;
  virtual uint64_t Size() const = 0;
};

// pread-based reads; safe for concurrent use.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  virtual uint64_t Size() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  static Env* Default();  // POSIX, process-wide

  // Opens for appending; truncate=true starts empty.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, bool truncate) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) = 0;
  virtual Status ReadFile(const std::string& path, std::string* out) = 0;
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;  // names, no . ..
  virtual Status CreateDir(const std::string& dir) = 0;  // ok if it exists
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
};

// Wraps another Env. While full() is set, every write-side call fails like ENOSPC (Append first
// writes `partial_bytes` of the data, as a real short write would), reads keep working.
class FaultInjectionEnv : public Env {
 public:
  explicit FaultInjectionEnv(Env* base) : base_(base) {}
  void SetFull(bool full) { full_ = full; }
  bool full() const { return full_; }
  void SetPartialBytes(size_t n) { partial_bytes_ = n; }
  size_t partial_bytes() const { return partial_bytes_; }
  Env* base() const { return base_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, bool truncate) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  Status ReadFile(const std::string& path, std::string* out) override { return base_->ReadFile(path, out); }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override { return base_->ListDir(dir); }
  Status CreateDir(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }
  Result<uint64_t> FileSize(const std::string& path) override { return base_->FileSize(path); }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }

  static Status NoSpace(const std::string& what);

 private:
  Env* base_;
  std::atomic<bool> full_{false};
  std::atomic<size_t> partial_bytes_{0};
};

}  // namespace sremon::tsdb
