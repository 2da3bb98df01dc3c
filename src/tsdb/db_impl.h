// The DB's implementation, shared by the files that hold its parts (internal to src/tsdb):
//   db.cc         open, WAL replay, close, background threads, stats
//   appender.cc   appenders: series lookup and creation, limits, commit (WAL record + head)
//   flush.cc      head -> blocks: freeze, write, publish, idle-series garbage collection
//   merge.cc      merging a partition's blocks into one
//   retention.cc  dropping partitions past the retention period; deleting series
//   querier.cc    queriers: the merged view of blocks, frozen heads and the head
// Locking and the lifetime of head series: db.h.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/labels.h"
#include "storage/storage.h"
#include "tsdb/block.h"
#include "tsdb/db.h"
#include "tsdb/head.h"
#include "tsdb/index.h"
#include "tsdb/wal.h"
#include "util/env.h"
#include "util/thread_annotations.h"
#include "util/time.h"

namespace sremon::tsdb {

using model::Labels;
using model::Matcher;
using model::Sample;
using storage::kMaxTime;
using storage::kMinTime;
using storage::SampleIterator;

// WAL payloads are sequences of entries (docs/format/tsdb.md, "WAL records").
constexpr uint8_t kEntrySeries = 1;
constexpr uint8_t kEntrySamples = 2;
constexpr uint8_t kEntryDelete = 3;

constexpr int kMergeZstdLevel = 9;

// Head data moved out at a flush, queryable until its blocks are written. Immutable.
struct FrozenHead {
  static constexpr uint32_t kNone = UINT32_MAX;
  uint64_t wal_seg = 0;  // WAL segments below this hold only data of this and older heads
  uint64_t samples = 0;
  // The series' data side by side (one allocation, not one per series: freeing a million small
  // boxes at once is what chunk_pool.h explains), found through `at`, by series id.
  std::vector<HeadData> data;
  std::vector<uint32_t> at;  // series id -> index in data, or kNone
  const HeadData* Get(uint32_t id) const { return id < at.size() && at[id] != kNone ? &data[at[id]] : nullptr; }
};

struct Pending {
  MemSeries* s;
  int64_t t;
  double v;
};

class DBImpl;

class AppenderImpl : public storage::Appender {
 public:
  AppenderImpl(DBImpl* db, int64_t min_valid_t) : db_(db), min_valid_t_(min_valid_t) {}
  ~AppenderImpl() override { Unpin(); }
  Status Append(const Labels& labels, int64_t t, double v) override;
  // The reference is the MemSeries pointer: the appender's epoch pin, taken at its first sample
  // and held until it is destroyed, keeps the series alive.
  Status AppendWithRef(storage::SeriesRef* ref, const Labels& labels, int64_t t, double v) override;
  Status Commit() override;
  void Rollback() override { batch_.clear(); }

 private:
  void Unpin();
  DBImpl* db_;
  int64_t min_valid_t_;
  std::vector<Pending> batch_;
  // Holds MemSeries pointers (the batch, the references handed out): garbage collection must
  // not free them. Appenders are short-lived (a request, a scrape), so the pin is too.
  bool pinned_ = false;
  uint64_t epoch_ = 0;
};

class QuerierImpl;

class DBImpl : public DB {
 public:
  explicit DBImpl(const Options& o) : opts_(o), env_(o.env ? o.env : Env::Default()) {
    blocks_dir_ = opts_.dir + "/blocks";
    wal_dir_ = opts_.dir + "/wal";
  }
  // A destructor cannot report: owners that need the result call Close() first.
  ~DBImpl() override { (void)Close(); }

  Status OpenImpl();
  Status Close() override;
  Status ForceFlush() override;
  // Forgets series without samples in the head or in frozen heads (gone from every target for a
  // whole flush interval); their blocks keep them.
  void CollectGarbage() REQUIRES(flush_mu_);
  Status ForceMerge() override;
  Result<uint64_t> DeleteSeries(const std::vector<Matcher>& matchers) override;
  Stats GetStats() const override;
  std::unique_ptr<storage::Appender> NewAppender() override {
    return std::make_unique<AppenderImpl>(this, NowMs() - opts_.retention_ms);
  }
  Result<std::unique_ptr<storage::Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

  // Appender support.
  Status CheckAndAdd(const Labels& labels, int64_t t, double v, int64_t min_valid_t, std::vector<Pending>* batch);
  Status CommitBatch(std::vector<Pending>* batch) EXCLUDES(commit_mu_);

  // Querier support.
  std::vector<MemSeries*> HeadSelect(const std::vector<Matcher>& ms) const {
    ReaderMutexLock l(&index_mu_);
    Postings p = SelectPostings(postings_, ms);
    std::vector<MemSeries*> out;
    out.reserve(p.size());
    for (uint32_t id : p) out.push_back(series_[id].get());  // postings hold live series only
    return out;
  }
  int64_t NowMs() const { return opts_.now_ms ? opts_.now_ms() : sremon::NowMs(); }
  void SortHead(std::vector<MemSeries*>* series) const {
    ReaderMutexLock l(&index_mu_);
    SortByLabels(series, postings_);
  }

  // Epochs protect MemSeries pointers held by appenders (Append..Commit) and queriers: a series
  // removed by garbage collection is freed only when everything pinned before its removal ended.
  uint64_t Pin() {
    MutexLock l(&epoch_mu_);
    active_.insert(epoch_);
    return epoch_;
  }
  void Unpin(uint64_t e) {
    MutexLock l(&epoch_mu_);
    active_.erase(active_.find(e));
  }

 private:
  friend class QuerierImpl;
  MemSeries* GetOrCreate(const Labels& labels);
  // Logs the batch to the WAL (series records first). On success the caller applies it.
  Status LogBatch(std::vector<Pending>* batch) REQUIRES(commit_mu_);
  void ApplyLocked(MemSeries* s, int64_t t, double v) REQUIRES_SHARED(apply_mu_);
  Status Replay() EXCLUDES(commit_mu_);
  void ReplayRecord(std::string_view rec, std::unordered_map<uint64_t, MemSeries*>* ids, uint64_t* samples)
      REQUIRES(commit_mu_, apply_mu_);
  std::vector<uint32_t> DeleteInHead(const std::vector<Matcher>& ms) REQUIRES(commit_mu_, apply_mu_);
  Status Freeze() REQUIRES(flush_mu_);
  Status WriteFrozen() REQUIRES(flush_mu_);
  Status FlushLocked() REQUIRES(flush_mu_);
  Status MergePartition(int64_t partition, std::vector<std::shared_ptr<Block>> inputs) REQUIRES(flush_mu_);
  Status MergeIfNeeded(bool force) REQUIRES(flush_mu_);
  Status Rewrite(const std::shared_ptr<Block>& b, const Postings& drop) REQUIRES(flush_mu_);
  void ApplyRetention() REQUIRES(flush_mu_);
  Status PublishBlocks(std::vector<std::shared_ptr<Block>> add, const std::vector<std::shared_ptr<Block>>& remove)
      EXCLUDES(state_mu_);
  std::vector<std::shared_ptr<Block>> BlocksSnapshot() const EXCLUDES(state_mu_) {
    MutexLock l(&state_mu_);
    return blocks_;
  }
  void SyncLoop();
  void MaintenanceLoop();

  const Options opts_;
  Env* const env_;
  std::string blocks_dir_, wal_dir_;
  int lock_fd_ = -1;
  std::unique_ptr<Wal> wal_;

  // Lock order: db.h. The ACQUIRED_AFTER chain lets clang check it (-Wthread-safety-beta).
  mutable SharedMutex index_mu_ ACQUIRED_AFTER(apply_mu_);
  std::vector<std::unique_ptr<MemSeries>> series_ GUARDED_BY(index_mu_);  // by id
  SeriesTable by_hash_ GUARDED_BY(index_mu_);
  MemPostings postings_ GUARDED_BY(index_mu_);
  uint64_t live_series_ GUARDED_BY(index_mu_) = 0;

  Mutex epoch_mu_ ACQUIRED_AFTER(index_mu_);
  uint64_t epoch_ GUARDED_BY(epoch_mu_) = 0;
  std::multiset<uint64_t> active_ GUARDED_BY(epoch_mu_);  // epochs of pinned users
  std::vector<std::pair<uint64_t, std::unique_ptr<MemSeries>>> graveyard_ GUARDED_BY(flush_mu_);
  std::atomic<uint64_t> gc_series_{0};

  Mutex commit_mu_ ACQUIRED_AFTER(flush_mu_);  // orders WAL writes and head updates; a flush freezes under it
  SharedMutex apply_mu_ ACQUIRED_AFTER(commit_mu_);  // shared: a logged batch being applied; exclusive: none is
  uint64_t wal_gen_ GUARDED_BY(commit_mu_) = 1;
  std::string rec_buf_ GUARDED_BY(commit_mu_);
  std::atomic<uint64_t> head_samples_{0};  // written under commit_mu_; read anywhere

  Mutex flush_mu_;  // one flush, merge, delete or retention pass at a time
  uint64_t next_seq_ GUARDED_BY(flush_mu_) = 1;
  uint64_t next_id_ GUARDED_BY(flush_mu_) = 1;
  std::chrono::steady_clock::time_point last_flush_ GUARDED_BY(flush_mu_) = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point retry_after_;  // maintenance thread only
  int backoff_s_ = 2;                                  // maintenance thread only

  mutable Mutex state_mu_ ACQUIRED_AFTER(index_mu_);
  std::vector<std::shared_ptr<Block>> blocks_ GUARDED_BY(state_mu_);        // by (seq, id)
  std::vector<std::shared_ptr<FrozenHead>> frozen_ GUARDED_BY(state_mu_);   // oldest first

  std::atomic<uint64_t> ingested_{0}, rejected_{0}, too_many_labels_{0}, truncated_{0}, ooo_{0}, wal_errors_{0},
      flushes_{0}, merges_{0}, corrupt_blocks_{0};
  uint64_t replayed_samples_ = 0;
  double replay_seconds_ = 0;

  Mutex bg_mu_;
  CondVar bg_cv_;
  bool closing_ GUARDED_BY(bg_mu_) = false;
  std::atomic<bool> stopping_{false};
  bool closed_ GUARDED_BY(commit_mu_) = false;
  std::thread syncer_, maint_;
};

}  // namespace sremon::tsdb
