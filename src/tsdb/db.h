// The TSDB engine behind storage::Storage: a series index, an in-memory head of compressed
// samples protected by a write-ahead log, and immutable time-partitioned blocks on disk that are
// merged in the background and dropped whole by retention. On-disk format: docs/format/tsdb.md.
//
// Durability contract ("acknowledged"): Commit() returns ok only after the batch's WAL record has
// been written with write(2) into the WAL segment, i.e. it is in the kernel's page cache. That
// survives kill -9 of the process (the test in crash_test.cc). A background thread fsyncs the WAL
// at least every Options::fsync_interval_ms, and Close()/ForceFlush() fsync before returning, so a
// power loss can lose at most the last fsync_interval_ms of acknowledged writes.
//
// Thread-safety: DB is thread-safe. Appenders are used by one thread each (many may exist);
// Queriers are used by one query at a time and see the data committed before their creation
// (plus possibly later data). Appenders, Queriers and the SeriesSets/Series they return must
// be destroyed before the DB; sample iterators are self-contained.
//
// Memory: the head keeps a series in its index while it receives samples; a series that got
// none for a whole flush interval is forgotten by the head (its data stays in blocks, and it
// comes back with its next sample), so series churn does not grow memory without bound.
//
// Locking (db_impl.h; written as GUARDED_BY/REQUIRES/ACQUIRED_AFTER and checked by clang's
// -Wthread-safety, util/thread_annotations.h). The DB's mutexes, outermost first: a thread that
// holds one takes only mutexes further down the list, never one above it.
//   1. flush_mu_    one flush, merge, delete or retention pass at a time. Held for seconds (blocks
//                   are written under it); appends and queries never wait for it.
//   2. commit_mu_   orders WAL writes with head updates: Commit(), the head's hand-over to a flush
//                   (Freeze), the delete record, WAL replay, Close().
//      apply_mu_    (shared) a committed batch being applied to the head: taken under commit_mu_
//                   after the WAL append, kept after commit_mu_ is released, so that two commits
//                   apply at once. Exclusive (after commit_mu_) for whoever needs every logged
//                   batch applied: Freeze, CollectGarbage, DeleteSeries, replay, Close().
//   3. index_mu_    (shared) the head's series list, hash table and postings: shared to look up
//                   and list, exclusive to add, delete or forget series.
//   4. state_mu_    the block list and the frozen heads (held only to copy or swap them), and
//      epoch_mu_    the epoch counter and the pinned epochs. Never held together.
//   5. MemSeries::mu()  one series' samples (HeadData): 4096 striped locks shared by series ids.
//                   Innermost, and never two at once (two series may share a stripe).
// Leaves (nothing is taken while they are held): the WAL's sync_mu_ then mu_ (appended and
// rotated under commit_mu_, fsynced under nothing or commit_mu_), Block::cache_mu_ (a block's
// frame cache). bg_mu_ (waking the background threads) is taken alone.
// The nested paths:
//   CollectGarbage  flush -> commit -> apply -> index (exclusive) -> state, then epoch, then each series
//   Freeze          flush -> commit -> apply -> WAL rotate; index (shared) -> each series; then state
//   DeleteSeries    flush -> commit -> apply -> WAL append; index (exclusive) -> each series
//   Commit          commit -> index (a series deleted since Append), WAL append, apply (shared);
//                   commit released; each series; apply released
//   queries         index (shared) -> series; state alone; epoch alone (Pin/Unpin)
// Some fields of MemSeries (head.h) are guarded by index_mu_ or commit_mu_, which clang cannot
// name from there; their comments say which.
// Lifetime of head series: appenders and queriers hold raw MemSeries pointers under an epoch
// pin. CollectGarbage unlinks an idle series and frees it only once every pin older than its
// removal is released (DBImpl::Pin, CollectGarbage); DeleteSeries unlinks and empties a series
// but keeps it allocated (marked deleted) until the DB is closed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/labels.h"
#include "storage/storage.h"
#include "util/status.h"

namespace sremon {
class Env;  // util/env.h
}  // namespace sremon

namespace sremon::tsdb {

struct Options {
  std::string dir;                                   // -storageDataPath
  int64_t retention_ms = 31LL * 24 * 3600 * 1000;    // -retentionPeriod
  int64_t fsync_interval_ms = 1000;                  // WAL fsync at least this often, and on Close();
                                                     // 0 = fsync in every Commit()
  size_t max_labels_per_series = 30;                 // -maxLabelsPerTimeseries (over: reject, counted)
  size_t max_label_value_len = 16 * 1024;            // -maxLabelValueLen (over: truncate, counted)

  // Tuning (defaults fit a node_exporter-like load; tests shrink them).
  int64_t partition_ms = 24LL * 3600 * 1000;         // blocks never span a partition boundary
  uint64_t max_head_samples = 8'000'000;             // flush the head to a block beyond this
  int64_t head_flush_interval_ms = 15LL * 60 * 1000; // ...or when the head is this old
  size_t merge_min_blocks = 8;                       // background merge of a partition from here
  bool background = true;                            // run the fsync/flush/merge/retention thread
  // Clock for retention (ms since the epoch); tests replace it. Null = wall clock.
  int64_t (*now_ms)() = nullptr;
  // File layer; null = the process-wide POSIX Env. Tests inject faults through it (util/fault_injection_env.h).
  Env* env = nullptr;
};

struct Stats {
  uint64_t series = 0;                // series in the in-memory index
  uint64_t samples_in_head = 0;       // samples not yet in blocks
  uint64_t blocks = 0;
  uint64_t disk_bytes = 0;            // blocks + WAL
  uint64_t wal_bytes = 0;
  uint64_t samples_ingested_total = 0;
  uint64_t rejected_samples_total = 0;          // all rejections below and others (too old...)
  uint64_t rejected_too_many_labels_total = 0;  // over max_labels_per_series
  uint64_t truncated_label_values_total = 0;    // over max_label_value_len
  uint64_t out_of_order_samples_total = 0;      // accepted, stored out of order
  uint64_t wal_write_errors_total = 0;          // Commit() failed to write the WAL
  uint64_t flushes_total = 0;
  uint64_t merges_total = 0;
  uint64_t corrupt_blocks_total = 0;            // set aside at open
  uint64_t series_collected_total = 0;          // idle series forgotten by the head (still in blocks)
  uint64_t wal_replayed_samples = 0;            // at the last Open()
  double wal_replay_seconds = 0;
};

class DB : public storage::Storage {
 public:
  // Opens or creates the database in options.dir and replays the WAL (progress logged, rate
  // reported). A torn WAL tail is cut with a warning; corrupt blocks are moved to dir/corrupt.
  static Result<std::unique_ptr<DB>> Open(const Options& options);
  ~DB() override;

  // Stops background work, fsyncs the WAL. Idempotent; the destructor calls it.
  virtual Status Close() = 0;
  // Makes recent data durable (WAL fsync) and writes the head into blocks.
  virtual Status ForceFlush() = 0;
  // Flushes, then merges every partition into one block.
  virtual Status ForceMerge() = 0;
  // Deletes every sample of the series matching all matchers; returns how many series matched.
  virtual Result<uint64_t> DeleteSeries(const std::vector<model::Matcher>& matchers) = 0;
  virtual Stats GetStats() const = 0;

 protected:
  DB() = default;
};

}  // namespace sremon::tsdb
