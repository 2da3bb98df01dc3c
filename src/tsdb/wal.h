// The write-ahead log: numbered segment files of checksummed records (docs/format/tsdb.md,
// "WAL"). The WAL does not interpret payloads; the head defines the record types.
// Thread-safety: thread-safe; Append() calls are serialized, Sync() may run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "util/env.h"
#include "util/status.h"
#include "util/thread_annotations.h"

namespace sremon::tsdb {

struct WalReplayStats {
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t truncated_segments = 0;  // segments whose torn/corrupt tail was cut
};

class Wal {
 public:
  static constexpr uint64_t kDefaultSegmentBytes = 128 << 20;

  // Reads every segment of dir in order and calls fn for each valid record. A torn or corrupt
  // record ends its segment: the segment is cut there (logged as a warning) and replay goes on
  // with the next segment. Errors only when files cannot be read at all.
  static Status Replay(Env* env, const std::string& dir, const std::function<void(std::string_view)>& fn,
                       WalReplayStats* stats);

  // Opens the WAL for writing, starting a new segment after the existing ones.
  static Result<std::unique_ptr<Wal>> Open(Env* env, const std::string& dir,
                                           uint64_t segment_bytes = kDefaultSegmentBytes);
  ~Wal();

  // Writes one record into the OS page cache. On failure (disk full) the partial record is cut
  // back so the segment stays valid, and Unavailable is returned.
  Status Append(std::string_view payload);
  // fdatasync of the current segment if anything was written since the last Sync().
  Status Sync();
  // Closes the current segment (fsynced) and starts a new one; returns the new segment's number.
  // Every record appended before the call is in a segment with a smaller number.
  Result<uint64_t> Rotate();
  // Removes segments numbered below seg (their contents are in blocks now).
  Status RemoveBefore(uint64_t seg);
  uint64_t TotalBytes() const;
  Status Close();

 private:
  Wal(Env* env, std::string dir, uint64_t segment_bytes) : env_(env), dir_(std::move(dir)), segment_bytes_(segment_bytes) {}
  Status OpenSegmentLocked(uint64_t seg) REQUIRES(mu_);
  std::string SegmentPath(uint64_t seg) const;

  Env* const env_;
  const std::string dir_;
  const uint64_t segment_bytes_;
  Mutex sync_mu_;  // one fsync at a time; taken before mu_
  mutable Mutex mu_ ACQUIRED_AFTER(sync_mu_);
  std::shared_ptr<WritableFile> file_ GUARDED_BY(mu_);  // null after a failed rotation
  uint64_t seg_ GUARDED_BY(mu_) = 0;
  uint64_t closed_bytes_ GUARDED_BY(mu_) = 0;  // bytes of segments before seg_
  uint64_t first_seg_ GUARDED_BY(mu_) = 0;
  bool dirty_ GUARDED_BY(mu_) = false;
  std::string buf_ GUARDED_BY(mu_);
};

}  // namespace sremon::tsdb
