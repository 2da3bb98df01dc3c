// The file layer (leveldb Env): every module that keeps data in files (the TSDB, the
// alertmanager's journals, the remote_write queue) writes and lists them through it, so tests can
// inject faults (disk full, short write, failed fsync, crash) with FaultInjectionEnv
// (util/fault_injection_env.h).
// Thread-safety: Env methods are thread-safe; a WritableFile/RandomAccessFile is used by one
// thread at a time unless stated.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace sremon {

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
  // CreateDir for dir and each missing parent (mkdir -p).
  Status CreateDirs(const std::string& dir);
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
};

}  // namespace sremon
