#include "tsdb/db.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "tsdb/block.h"
#include "tsdb/coding.h"
#include "tsdb/head.h"
#include "tsdb/index.h"
#include "tsdb/iterators.h"
#include "tsdb/wal.h"
#include "util/env.h"
#include "util/heap.h"
#include "util/thread_annotations.h"
#include "util/time.h"

namespace sremon::tsdb {

DB::~DB() = default;

namespace {

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

constexpr int kFlushZstdLevel = 3;
constexpr int kMergeZstdLevel = 9;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Head data moved out at a flush, queryable until its blocks are written. Immutable.
struct FrozenHead {
  uint64_t wal_seg = 0;  // WAL segments below this hold only data of this and older heads
  uint64_t samples = 0;
  std::vector<std::unique_ptr<HeadData>> data;  // by series id
  const HeadData* Get(uint32_t id) const { return id < data.size() ? data[id].get() : nullptr; }
};

struct Pending {
  MemSeries* s;
  int64_t t;
  double v;
};

void EncodeMatchers(const std::vector<Matcher>& ms, std::string* out) {
  out->push_back(static_cast<char>(kEntryDelete));
  PutVarint64(out, ms.size());
  for (const auto& m : ms) {
    out->push_back(static_cast<char>(m.type()));
    PutLengthPrefixed(out, m.name());
    PutLengthPrefixed(out, m.value());
  }
}

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
  void ApplyLocked(MemSeries* s, int64_t t, double v) REQUIRES(commit_mu_);
  Status Replay() EXCLUDES(commit_mu_);
  void ReplayRecord(std::string_view rec, std::unordered_map<uint64_t, MemSeries*>* ids, uint64_t* samples)
      REQUIRES(commit_mu_);
  std::vector<uint32_t> DeleteInHead(const std::vector<Matcher>& ms) REQUIRES(commit_mu_);
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
  mutable SharedMutex index_mu_ ACQUIRED_AFTER(commit_mu_);
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

// ---------------------------------------------------------------- Appending

Status AppenderImpl::Append(const Labels& labels, int64_t t, double v) {
  if (!pinned_) {
    epoch_ = db_->Pin();
    pinned_ = true;
  }
  return db_->CheckAndAdd(labels, t, v, min_valid_t_, &batch_);
}

Status AppenderImpl::AppendWithRef(storage::SeriesRef* ref, const Labels& labels, int64_t t, double v) {
  if (*ref == 0 || !pinned_) {
    Status st = Append(labels, t, v);
    *ref = st.ok() ? reinterpret_cast<storage::SeriesRef>(batch_.back().s) : 0;
    return st;
  }
  if (t < min_valid_t_) return Append(labels, t, v);  // the rejection and its message
  batch_.push_back({reinterpret_cast<MemSeries*>(*ref), t, v});
  return Status::Ok();
}

Status AppenderImpl::Commit() {
  Status st = db_->CommitBatch(&batch_);
  batch_.clear();
  return st;
}

void AppenderImpl::Unpin() {
  if (pinned_) db_->Unpin(epoch_);
  pinned_ = false;
}

Status DBImpl::CheckAndAdd(const Labels& labels, int64_t t, double v, int64_t min_valid_t, std::vector<Pending>* batch) {
  if (labels.MetricName().empty()) {
    rejected_++;
    return Status::InvalidArgument(fmt::format("series {} has no metric name", labels.ToString()));
  }
  if (labels.size() > opts_.max_labels_per_series) {
    rejected_++;
    too_many_labels_++;
    return Status::InvalidArgument(fmt::format("series {} has {} labels, more than -maxLabelsPerTimeseries={}",
                                               labels.ToString(), labels.size(), opts_.max_labels_per_series));
  }
  if (t < min_valid_t) {
    rejected_++;
    return Status::InvalidArgument(fmt::format("sample of {} at {} ms is older than the retention period",
                                               labels.ToString(), t));
  }
  bool too_long = false;
  for (const auto& l : labels) too_long |= l.value.size() > opts_.max_label_value_len;
  if (too_long) {  // slow path: rare by design
    truncated_++;
    std::vector<model::Label> ls = labels.items();
    for (auto& l : ls) {
      if (l.value.size() > opts_.max_label_value_len) l.value.resize(opts_.max_label_value_len);
    }
    batch->push_back({GetOrCreate(Labels(std::move(ls))), t, v});
  } else {
    batch->push_back({GetOrCreate(labels), t, v});
  }
  return Status::Ok();
}

MemSeries* DBImpl::GetOrCreate(const Labels& labels) {
  uint64_t h = LabelsHash(labels);
  {
    ReaderMutexLock l(&index_mu_);
    for (MemSeries* s = by_hash_.Find(h); s; s = s->next_same_hash) {
      if (s->labels.Equals(labels)) return s;
    }
  }
  WriterMutexLock l(&index_mu_);
  MemSeries*& head = by_hash_.Slot(h);
  for (MemSeries* s = head; s; s = s->next_same_hash) {
    if (s->labels.Equals(labels)) return s;
  }
  auto s = std::make_unique<MemSeries>(static_cast<uint32_t>(series_.size()), h, labels);
  s->next_same_hash = head;
  head = s.get();
  postings_.Add(s->id, labels);
  live_series_++;
  series_.push_back(std::move(s));
  return head;
}

void DBImpl::ApplyLocked(MemSeries* s, int64_t t, double v) {
  MutexLock l(&s->mu());
  if (s->data.Add(t, v)) ooo_++;
}

Status DBImpl::CommitBatch(std::vector<Pending>* batch) {
  if (batch->empty()) return Status::Ok();
  MutexLock l(&commit_mu_);
  if (closed_) return Status::Unavailable("cannot commit samples: the database is closed");
  // A series deleted since Append() is recreated (the new samples are newer than the delete).
  for (auto& p : *batch) {
    if (p.s->deleted.load(std::memory_order_relaxed)) p.s = GetOrCreate(p.s->labels.ToLabels());
  }
  rec_buf_.clear();
  std::vector<MemSeries*> logged;
  for (const auto& p : *batch) {
    if (p.s->logged_gen == wal_gen_) continue;
    p.s->logged_gen = wal_gen_;
    logged.push_back(p.s);
    rec_buf_.push_back(static_cast<char>(kEntrySeries));
    PutVarint64(&rec_buf_, p.s->id);
    PutVarint64(&rec_buf_, p.s->labels.size());
    rec_buf_.append(p.s->labels.bytes());  // the same (lp(name) lp(value)){n} encoding
  }
  rec_buf_.push_back(static_cast<char>(kEntrySamples));
  PutVarint64(&rec_buf_, batch->size());
  int64_t base = batch->front().t;
  PutVarsint64(&rec_buf_, base);
  for (const auto& p : *batch) {
    PutVarint64(&rec_buf_, p.s->id);
    PutVarsint64(&rec_buf_, p.t - base);
    PutFixed64(&rec_buf_, std::bit_cast<uint64_t>(p.v));
  }
  Status st = wal_->Append(rec_buf_);
  if (!st.ok()) {
    for (MemSeries* s : logged) s->logged_gen = 0;
    wal_errors_++;
    rejected_ += batch->size();
    spdlog::warn("rejecting {} samples: {}", batch->size(), st.message());
    return Status::Unavailable(fmt::format("cannot store {} samples: {}", batch->size(), st.message()));
  }
  if (opts_.fsync_interval_ms == 0) {  // durable against power loss too, at an fsync per commit
    st = wal_->Sync();
    if (!st.ok()) {
      wal_errors_++;
      rejected_ += batch->size();
      return Status::Unavailable(fmt::format("cannot store {} samples: {}", batch->size(), st.message()));
    }
  }
  for (const auto& p : *batch) ApplyLocked(p.s, p.t, p.v);
  head_samples_ += batch->size();
  ingested_ += batch->size();
  return Status::Ok();
}

// ---------------------------------------------------------------- Open, replay, close

}  // namespace

Result<std::unique_ptr<DB>> DB::Open(const Options& options) {
  if (options.dir.empty()) return Status::InvalidArgument("tsdb: Options.dir is empty");
  if (options.partition_ms <= 0) return Status::InvalidArgument("tsdb: Options.partition_ms must be positive");
  auto db = std::make_unique<DBImpl>(options);
  Status st = db->OpenImpl();
  if (!st.ok()) return st;
  return std::unique_ptr<DB>(std::move(db));
}

namespace {

Status DBImpl::OpenImpl() {
  SREMON_RETURN_IF_ERROR(env_->CreateDir(opts_.dir));
  SREMON_RETURN_IF_ERROR(env_->CreateDir(blocks_dir_));
  // One process per data directory (VictoriaMetrics does the same with flock.lock).
  std::string lock_path = opts_.dir + "/flock.lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Status::IOError(fmt::format("cannot open {}: {}", lock_path, std::strerror(errno)));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::Unavailable(fmt::format("cannot lock {}: another process uses this data directory", lock_path));
  }

  auto names = env_->ListDir(blocks_dir_);
  if (!names.ok()) return names.status();
  std::vector<std::shared_ptr<Block>> blocks;
  for (const auto& n : *names) {
    std::string path = blocks_dir_ + "/" + n;
    if (n.size() > 4 && n.substr(n.size() - 4) == ".tmp") {  // an interrupted write
      if (Status st = env_->RemoveFile(path); !st.ok()) spdlog::warn("{}; trying again at the next start", st.ToString());
      continue;
    }
    uint64_t id;
    if (!ParseBlockFileName(n, &id)) continue;
    auto b = Block::Open(env_, path);
    if (!b.ok()) {
      std::string aside_dir = opts_.dir + "/corrupt";
      (void)env_->CreateDir(aside_dir);  // a failure shows in the rename's error, logged below
      Status mv = env_->RenameFile(path, aside_dir + "/" + n);
      spdlog::error("block {} cannot be read ({}); moved to {}/{}{}; the other blocks stay readable", path,
                    b.status().message(), aside_dir, n, mv.ok() ? "" : " failed: " + mv.message());
      corrupt_blocks_++;
      continue;
    }
    blocks.push_back(*b);
  }
  // A crash between writing a merged block and removing its inputs leaves both: drop the inputs.
  std::unordered_set<uint64_t> replaced;
  for (const auto& b : blocks) {
    for (uint64_t s : b->meta().sources) {
      if (s != b->meta().id) replaced.insert(s);
    }
  }
  {
    // No other thread runs yet: the locks are for the analysis (every other writer holds them).
    MutexLock fl(&flush_mu_);
    MutexLock sl(&state_mu_);
    for (const auto& b : blocks) {
      if (replaced.count(b->meta().id)) {
        spdlog::info("removing block {}: replaced by a merged block", b->path());
        if (Status st = env_->RemoveFile(b->path()); !st.ok()) {
          spdlog::warn("{}; trying again at the next start", st.ToString());
        }
        continue;
      }
      blocks_.push_back(b);
      next_seq_ = std::max(next_seq_, b->meta().seq + 1);
    }
    for (const auto& b : blocks) next_id_ = std::max(next_id_, b->meta().id + 1);
    for (uint64_t id : replaced) next_id_ = std::max(next_id_, id + 1);
    std::sort(blocks_.begin(), blocks_.end(), [](const auto& a, const auto& b) {
      return std::pair(a->meta().seq, a->meta().id) < std::pair(b->meta().seq, b->meta().id);
    });
  }

  SREMON_RETURN_IF_ERROR(env_->CreateDir(wal_dir_));
  SREMON_RETURN_IF_ERROR(Replay());
  auto wal = Wal::Open(env_, wal_dir_);
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  if (opts_.background) {
    if (opts_.fsync_interval_ms > 0) syncer_ = std::thread([this] { SyncLoop(); });
    maint_ = std::thread([this] { MaintenanceLoop(); });
  }
  return Status::Ok();
}

Status DBImpl::Replay() {
  auto start = std::chrono::steady_clock::now();
  std::unordered_map<uint64_t, MemSeries*> ids;
  uint64_t samples = 0;
  WalReplayStats stats;
  spdlog::info("replaying the WAL in {}", wal_dir_);
  MutexLock l(&commit_mu_);  // no other thread runs yet; held as by every other writer of the head
  Status st = Wal::Replay(
      env_, wal_dir_, [&](std::string_view rec) REQUIRES(commit_mu_) { ReplayRecord(rec, &ids, &samples); }, &stats);
  if (!st.ok()) return st.WithContext("cannot replay the WAL");
  replay_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  replayed_samples_ = samples;
  head_samples_ = samples;
  spdlog::info("WAL replay done: {} segments, {} records, {:.1f} MB, {} samples of {} series in {:.2f}s "
               "({:.0f} samples/s){}",
               stats.segments, stats.records, stats.bytes / 1e6, samples, ids.size(), replay_seconds_,
               samples / std::max(replay_seconds_, 1e-9),
               stats.truncated_segments ? fmt::format(", {} torn segment tails cut", stats.truncated_segments) : "");
  return Status::Ok();
}

void DBImpl::ReplayRecord(std::string_view rec, std::unordered_map<uint64_t, MemSeries*>* ids, uint64_t* samples) {
  Decoder d(rec);
  int64_t min_valid = NowMs() - opts_.retention_ms;
  while (!d.done() && d.ok()) {
    uint8_t type = 0;
    d.Byte(&type);
    if (type == kEntrySeries) {
      uint64_t id = 0, n = 0;
      d.Varint(&id);
      d.Varint(&n);
      if (n > d.remaining()) break;
      std::vector<model::Label> ls;
      for (uint64_t i = 0; i < n && d.ok(); i++) {
        std::string_view name, value;
        d.LengthPrefixed(&name);
        d.LengthPrefixed(&value);
        ls.push_back({std::string(name), std::string(value)});
      }
      if (d.ok()) (*ids)[id] = GetOrCreate(Labels(std::move(ls)));
    } else if (type == kEntrySamples) {
      uint64_t n = 0;
      int64_t base = 0;
      d.Varint(&n);
      d.Varsint(&base);
      for (uint64_t i = 0; i < n && d.ok(); i++) {
        uint64_t id, vbits;
        int64_t dt;
        d.Varint(&id);
        d.Varsint(&dt);
        d.Fixed64(&vbits);
        if (!d.ok()) break;
        auto it = ids->find(id);
        if (it == ids->end()) {
          d.Fail();
          break;
        }
        if (base + dt < min_valid) continue;
        MemSeries* s = it->second;
        if (s->deleted) s = (*ids)[id] = GetOrCreate(s->labels.ToLabels());
        ApplyLocked(s, base + dt, std::bit_cast<double>(vbits));
        (*samples)++;
      }
    } else if (type == kEntryDelete) {
      uint64_t n = 0;
      d.Varint(&n);
      std::vector<Matcher> ms;
      for (uint64_t i = 0; i < n && d.ok(); i++) {
        uint8_t t = 0;
        std::string_view name, value;
        d.Byte(&t);
        d.LengthPrefixed(&name);
        d.LengthPrefixed(&value);
        if (!d.ok() || t > static_cast<uint8_t>(model::MatchType::kRegexNoMatch)) break;
        auto m = Matcher::Make(static_cast<model::MatchType>(t), std::string(name), std::string(value));
        if (m.ok()) ms.push_back(*m);
      }
      if (d.ok() && ms.size() == n) DeleteInHead(ms);
    } else {
      d.Fail();
    }
  }
  if (!d.ok()) spdlog::warn("WAL: skipping the rest of an undecodable record ({} bytes)", rec.size());
}

Status DBImpl::Close() {
  {
    MutexLock l(&bg_mu_);
    if (closing_) return Status::Ok();
    closing_ = true;
  }
  stopping_ = true;  // a running flush or merge gives up (the WAL and the old blocks stay valid)
  bg_cv_.SignalAll();
  if (syncer_.joinable()) syncer_.join();
  if (maint_.joinable()) maint_.join();
  Status st;
  {
    MutexLock l(&commit_mu_);
    closed_ = true;
    if (wal_) st = wal_->Close();
  }
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
  }
  if (!st.ok()) spdlog::error("closing the WAL: {}", st.ToString());
  return st;
}

// ---------------------------------------------------------------- Background work

void DBImpl::SyncLoop() {
  auto interval = std::chrono::milliseconds(std::max<int64_t>(1, opts_.fsync_interval_ms));
  bool failing = false;
  while (true) {
    {
      MutexLock l(&bg_mu_);
      if (bg_cv_.WaitFor(&bg_mu_, interval, [this]() REQUIRES(bg_mu_) { return closing_; })) return;
    }
    Status st = wal_->Sync();
    if (!st.ok() && !failing) spdlog::error("WAL fsync failed: {}", st.ToString());
    if (st.ok() && failing) spdlog::info("WAL fsync works again");
    failing = !st.ok();
  }
}

void DBImpl::MaintenanceLoop() {
  auto last_retention = std::chrono::steady_clock::time_point{};
  while (true) {
    {
      MutexLock l(&bg_mu_);
      if (bg_cv_.WaitFor(&bg_mu_, std::chrono::seconds(1), [this]() REQUIRES(bg_mu_) { return closing_; })) return;
    }
    MutexLock l(&flush_mu_);
    auto now = std::chrono::steady_clock::now();
    bool has_frozen;
    {
      MutexLock sl(&state_mu_);
      has_frozen = !frozen_.empty();
    }
    bool old = head_samples_ > 0 && now - last_flush_ >= std::chrono::milliseconds(opts_.head_flush_interval_ms);
    if (now - last_retention > std::chrono::seconds(60)) {  // first: it frees disk space
      last_retention = now;
      ApplyRetention();
    }
    // After a failure (disk full) back off: a retry re-encodes the whole frozen head.
    if (now < retry_after_) continue;
    Status st;
    if (has_frozen || old || head_samples_ >= opts_.max_head_samples) {
      st = FlushLocked();
      if (!st.ok() && !stopping_) spdlog::error("cannot flush the head: {} (retrying in {}s; the data stays in the WAL)", st.ToString(), backoff_s_);
    }
    if (st.ok()) {
      st = MergeIfNeeded(false);
      if (!st.ok() && !stopping_) spdlog::error("background merge failed: {} (retrying in {}s)", st.ToString(), backoff_s_);
    }
    if (!st.ok()) {
      retry_after_ = now + std::chrono::seconds(backoff_s_);
      backoff_s_ = std::min(backoff_s_ * 2, 60);
    } else {
      backoff_s_ = 2;
    }
  }
}

// ---------------------------------------------------------------- Flush

Status DBImpl::Freeze() {
  MutexLock l(&commit_mu_);
  if (head_samples_ == 0 || closed_) return Status::Ok();
  auto seg = wal_->Rotate();
  if (!seg.ok()) return seg.status().WithContext("cannot rotate the WAL");
  wal_gen_++;
  auto fz = std::make_shared<FrozenHead>();
  fz->wal_seg = *seg;
  {
    ReaderMutexLock il(&index_mu_);
    fz->data.resize(series_.size());
    for (const auto& s : series_) {
      if (!s) continue;  // collected
      MutexLock sl(&s->mu());
      if (s->data.count() == 0) {
        s->idle_flushes++;
        continue;
      }
      s->idle_flushes = 0;
      fz->samples += s->data.count();
      fz->data[s->id] = std::make_unique<HeadData>(std::exchange(s->data, HeadData()));
    }
  }
  MutexLock sl(&state_mu_);
  frozen_.push_back(std::move(fz));
  head_samples_ = 0;  // after the push, under state_mu_: a querier never sees both empty early
  return Status::Ok();
}

Status DBImpl::WriteFrozen() {
  while (true) {
    std::shared_ptr<FrozenHead> fz;
    {
      MutexLock l(&state_mu_);
      if (frozen_.empty()) break;
      fz = frozen_.front();
    }
    std::vector<MemSeries*> list;
    {
      ReaderMutexLock il(&index_mu_);
      for (uint32_t id = 0; id < fz->data.size(); id++) {
        if (fz->data[id] && series_[id] && !series_[id]->deleted) list.push_back(series_[id].get());
      }
      SortByLabels(&list, postings_);
    }
    int64_t min_valid = NowMs() - opts_.retention_ms;
    std::map<int64_t, std::unique_ptr<BlockWriter>> writers;
    std::vector<Sample> part;
    for (MemSeries* s : list) {
      if (stopping_) return Status::Canceled("flush interrupted: the database is closing");
      std::vector<Sample> all = fz->data[s->id]->All();
      size_t i = 0;
      while (i < all.size()) {
        int64_t p = FloorDiv(all[i].t, opts_.partition_ms) * opts_.partition_ms;
        part.clear();
        for (; i < all.size() && all[i].t < p + opts_.partition_ms; i++) {
          if (all[i].t >= min_valid) part.push_back(all[i]);
        }
        if (part.empty()) continue;
        auto& w = writers[p];
        if (!w) w = std::make_unique<BlockWriter>(kFlushZstdLevel);
        w->Add(s->labels.ToLabels(), part);
      }
    }
    std::vector<std::shared_ptr<Block>> made;
    Status st;
    for (auto& [p, w] : writers) {
      BlockMeta meta;
      meta.seq = next_seq_++;
      meta.id = next_id_++;
      meta.partition = p;
      st = w->Finish(env_, blocks_dir_, &meta);
      if (!st.ok()) break;
      auto b = Block::Open(env_, blocks_dir_ + "/" + BlockFileName(meta.id));
      if (!b.ok()) {
        st = b.status();
        break;
      }
      made.push_back(*b);
    }
    if (!st.ok()) {
      // Leave nothing half done: the frozen head and its WAL segments stay for the next try.
      for (const auto& b : made) {
        if (Status rm = env_->RemoveFile(b->path()); !rm.ok()) {
          spdlog::error("cannot undo a failed head flush: {}", rm.ToString());
        }
      }
      return st;
    }
    {
      MutexLock l(&state_mu_);
      frozen_.erase(frozen_.begin());
    }
    SREMON_RETURN_IF_ERROR(PublishBlocks(made, {}));
    flushes_++;
    spdlog::debug("flushed {} samples of {} series into {} blocks", fz->samples, list.size(), made.size());
    Status wst = wal_->RemoveBefore(fz->wal_seg);
    if (!wst.ok()) spdlog::warn("cannot remove old WAL segments: {}", wst.ToString());
    fz.reset();
  }
  CollectGarbage();
  util::HintHeapFreed();  // the frozen head's chunks are gone: worth a malloc_trim
  return Status::Ok();
}

void DBImpl::CollectGarbage() {
  uint64_t removed = 0;
  {
    MutexLock cl(&commit_mu_);  // no sample lands in a series while we look
    WriterMutexLock il(&index_mu_);
    std::vector<std::shared_ptr<FrozenHead>> frozen;
    {
      MutexLock sl(&state_mu_);
      frozen = frozen_;
    }
    uint64_t epoch;
    {
      MutexLock el(&epoch_mu_);
      epoch = ++epoch_;
    }
    std::vector<std::pair<uint32_t, Labels>> gone;
    for (auto& s : series_) {
      if (!s || s->deleted || s->idle_flushes == 0) continue;
      {
        MutexLock sl(&s->mu());
        if (s->data.count() > 0) continue;
      }
      bool in_frozen = false;
      for (const auto& f : frozen) in_frozen |= f->Get(s->id) != nullptr;
      if (in_frozen) continue;
      s->deleted = true;  // a pending appender re-resolves it at Commit()
      gone.emplace_back(s->id, s->labels.ToLabels());
      live_series_--;
      graveyard_.emplace_back(epoch, std::move(s));
      removed++;
    }
    postings_.Remove(gone);
    if (removed) {
      // Rebuild the table and its chains from the series that stay.
      SeriesTable fresh;
      for (const auto& s : series_) {
        if (!s || s->deleted) continue;
        MemSeries*& head = fresh.Slot(s->hash);
        s->next_same_hash = head;
        head = s.get();
      }
      by_hash_ = std::move(fresh);
    }
  }
  gc_series_ += removed;
  // Free what no pinned appender or querier can still see.
  uint64_t min_active;
  {
    MutexLock el(&epoch_mu_);
    min_active = active_.empty() ? UINT64_MAX : *active_.begin();
  }
  size_t kept = 0;
  for (auto& g : graveyard_) {
    if (g.first > min_active) graveyard_[kept++] = std::move(g);
  }
  graveyard_.resize(kept);
  if (removed) spdlog::debug("forgot {} idle series ({} awaiting release)", removed, kept);
}

Status DBImpl::FlushLocked() {
  last_flush_ = std::chrono::steady_clock::now();
  SREMON_RETURN_IF_ERROR(Freeze());
  return WriteFrozen();
}

Status DBImpl::PublishBlocks(std::vector<std::shared_ptr<Block>> add, const std::vector<std::shared_ptr<Block>>& remove) {
  {
    MutexLock l(&state_mu_);
    for (const auto& r : remove) blocks_.erase(std::remove(blocks_.begin(), blocks_.end(), r), blocks_.end());
    for (auto& b : add) blocks_.push_back(std::move(b));
    std::sort(blocks_.begin(), blocks_.end(), [](const auto& a, const auto& b) {
      return std::pair(a->meta().seq, a->meta().id) < std::pair(b->meta().seq, b->meta().id);
    });
  }
  // Queriers holding the removed blocks keep their open files; unlinking is safe.
  for (const auto& r : remove) {
    Status st = env_->RemoveFile(r->path());
    if (!st.ok()) spdlog::warn("cannot remove replaced block: {}", st.ToString());
  }
  return Status::Ok();
}

Status DBImpl::ForceFlush() {
  {
    MutexLock l(&commit_mu_);
    if (closed_) return Status::Unavailable("the database is closed");
  }
  SREMON_RETURN_IF_ERROR(wal_->Sync());
  MutexLock l(&flush_mu_);
  return FlushLocked();
}

// ---------------------------------------------------------------- Merge

Status DBImpl::MergeIfNeeded(bool force) {
  std::map<int64_t, std::vector<std::shared_ptr<Block>>> parts;
  for (const auto& b : BlocksSnapshot()) parts[b->meta().partition].push_back(b);
  int64_t now = NowMs();
  for (auto& [p, bs] : parts) {
    if (bs.size() < 2) continue;
    // A partition that no longer receives data is merged into one block even below the count.
    bool closed_partition = p + opts_.partition_ms + 3600 * 1000 < now;
    if (force || bs.size() >= opts_.merge_min_blocks || closed_partition) {
      SREMON_RETURN_IF_ERROR(MergePartition(p, bs));
    }
  }
  return Status::Ok();
}

Status DBImpl::MergePartition(int64_t partition, std::vector<std::shared_ptr<Block>> inputs) {
  auto start = std::chrono::steady_clock::now();
  // inputs are in (seq, id) order: later ones win on equal timestamps. Each block's series are
  // sorted by labels, so a k-way merge needs only one Labels per input at a time.
  struct Cursor {
    const Block* block;
    uint32_t i = 0;
    Labels cur;
    bool Load() {
      if (i >= block->num_series()) return false;
      cur = block->SeriesLabels(i);
      return true;
    }
  };
  std::vector<Cursor> cursors;
  std::vector<char> valid;
  for (const auto& b : inputs) {
    cursors.push_back({b.get()});
    valid.push_back(cursors.back().Load());
  }
  BlockWriter w(kMergeZstdLevel);
  std::vector<Sample> samples;
  while (true) {
    if (stopping_) return Status::Canceled("merge interrupted: the database is closing");
    const Labels* min = nullptr;
    for (size_t c = 0; c < cursors.size(); c++) {
      if (valid[c] && (!min || cursors[c].cur < *min)) min = &cursors[c].cur;
    }
    if (!min) break;
    Labels labels = *min;
    std::vector<std::unique_ptr<SampleIterator>> its;
    for (size_t c = 0; c < cursors.size(); c++) {
      if (!valid[c] || !(cursors[c].cur == labels)) continue;
      its.push_back(cursors[c].block->SeriesIterator(cursors[c].i));
      cursors[c].i++;
      valid[c] = cursors[c].Load();
    }
    auto it = NewMergeIterator(std::move(its));
    samples.clear();
    while (it->Next()) samples.push_back(it->At());
    if (!samples.empty()) w.Add(labels, samples);
  }
  BlockMeta meta;
  meta.partition = partition;
  meta.id = next_id_++;
  for (const auto& b : inputs) {
    meta.seq = std::max(meta.seq, b->meta().seq);
    meta.sources.push_back(b->meta().id);
  }
  if (w.empty()) return PublishBlocks({}, inputs);
  SREMON_RETURN_IF_ERROR(w.Finish(env_, blocks_dir_, &meta));
  auto out = Block::Open(env_, blocks_dir_ + "/" + BlockFileName(meta.id));
  if (!out.ok()) return out.status();
  merges_++;
  uint64_t in_bytes = 0;
  for (const auto& b : inputs) in_bytes += b->file_bytes();
  spdlog::info("merged {} blocks of partition {} into {} ({} series, {} samples, {:.1f} -> {:.1f} MB, {:.2f} "
               "bytes/sample) in {:.2f}s",
               inputs.size(), FormatRfc3339Ms(partition), (*out)->path(), meta.series, meta.samples, in_bytes / 1e6,
               (*out)->file_bytes() / 1e6, double((*out)->file_bytes()) / std::max<uint64_t>(meta.samples, 1),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return PublishBlocks({*out}, inputs);
}

Status DBImpl::ForceMerge() {
  SREMON_RETURN_IF_ERROR(ForceFlush());
  MutexLock l(&flush_mu_);
  ApplyRetention();
  return MergeIfNeeded(true);
}

// ---------------------------------------------------------------- Retention and deletion

void DBImpl::ApplyRetention() {
  int64_t cutoff = NowMs() - opts_.retention_ms;
  std::vector<std::shared_ptr<Block>> drop;
  for (const auto& b : BlocksSnapshot()) {
    if (b->meta().partition + opts_.partition_ms <= cutoff) drop.push_back(b);
  }
  if (drop.empty()) return;
  for (const auto& b : drop) {
    spdlog::info("retention: removing block {} (partition {} is older than the retention period)", b->path(),
                 FormatRfc3339Ms(b->meta().partition));
  }
  (void)PublishBlocks({}, drop);  // always ok: a block it cannot remove is logged there
}

std::vector<uint32_t> DBImpl::DeleteInHead(const std::vector<Matcher>& ms) {
  std::vector<uint32_t> ids;
  WriterMutexLock l(&index_mu_);
  Postings p = SelectPostings(postings_, ms);
  std::vector<std::pair<uint32_t, Labels>> gone;
  for (uint32_t id : p) {
    MemSeries* s = series_[id].get();
    s->deleted = true;
    {
      MutexLock sl(&s->mu());
      head_samples_ -= std::min<uint64_t>(head_samples_, s->data.count());
      s->data = HeadData();
    }
    MemSeries** link = &by_hash_.Slot(s->hash);
    while (*link && *link != s) link = &(*link)->next_same_hash;
    if (*link) *link = s->next_same_hash;
    if (!by_hash_.Find(s->hash)) by_hash_.Erase(s->hash);
    gone.emplace_back(id, s->labels.ToLabels());
    live_series_--;
    ids.push_back(id);
  }
  postings_.Remove(gone);
  return ids;
}

Status DBImpl::Rewrite(const std::shared_ptr<Block>& b, const Postings& drop) {
  BlockWriter w(kMergeZstdLevel);
  std::vector<Sample> samples;
  size_t k = 0;
  for (uint32_t i = 0; i < b->num_series(); i++) {
    if (k < drop.size() && drop[k] == i) {
      k++;
      continue;
    }
    samples.clear();
    SREMON_RETURN_IF_ERROR(b->ReadSeries(i, &samples));
    if (!samples.empty()) w.Add(b->SeriesLabels(i), samples);
  }
  if (w.empty()) return PublishBlocks({}, {b});
  BlockMeta meta;
  meta.seq = b->meta().seq;
  meta.id = next_id_++;
  meta.partition = b->meta().partition;
  meta.sources = {b->meta().id};
  SREMON_RETURN_IF_ERROR(w.Finish(env_, blocks_dir_, &meta));
  auto out = Block::Open(env_, blocks_dir_ + "/" + BlockFileName(meta.id));
  if (!out.ok()) return out.status();
  return PublishBlocks({*out}, {b});
}

Result<uint64_t> DBImpl::DeleteSeries(const std::vector<Matcher>& ms) {
  if (ms.empty() || std::all_of(ms.begin(), ms.end(), [](const Matcher& m) { return m.MatchesEmpty(); })) {
    return Status::InvalidArgument("delete_series needs at least one matcher that does not match the empty string");
  }
  MutexLock fl(&flush_mu_);
  std::unordered_set<uint64_t> matched;
  // Log first so a restart repeats the deletion on the samples replayed before it.
  {
    MutexLock l(&commit_mu_);
    if (closed_) return Status::Unavailable("the database is closed");
    rec_buf_.clear();
    EncodeMatchers(ms, &rec_buf_);
    Status st = wal_->Append(rec_buf_);
    if (!st.ok()) return Status::Unavailable("cannot delete series: " + st.message());
    std::vector<uint32_t> ids = DeleteInHead(ms);
    ReaderMutexLock il(&index_mu_);
    for (uint32_t id : ids) matched.insert(series_[id]->hash);
  }
  SREMON_RETURN_IF_ERROR(wal_->Sync());
  for (const auto& b : BlocksSnapshot()) {
    Postings p = SelectPostings(*b, ms);
    if (p.empty()) continue;
    for (uint32_t i : p) matched.insert(LabelsHash(b->SeriesLabels(i)));
    SREMON_RETURN_IF_ERROR(Rewrite(b, p));
  }
  spdlog::info("deleted {} series matching {} matchers", matched.size(), ms.size());
  return static_cast<uint64_t>(matched.size());
}

Stats DBImpl::GetStats() const {
  Stats s;
  {
    ReaderMutexLock l(&index_mu_);
    s.series = live_series_;
  }
  s.samples_in_head = head_samples_;
  {
    MutexLock l(&state_mu_);
    for (const auto& f : frozen_) s.samples_in_head += f->samples;
    s.blocks = blocks_.size();
    for (const auto& b : blocks_) s.disk_bytes += b->file_bytes();
  }
  s.wal_bytes = wal_ ? wal_->TotalBytes() : 0;
  s.disk_bytes += s.wal_bytes;
  s.samples_ingested_total = ingested_;
  s.rejected_samples_total = rejected_;
  s.rejected_too_many_labels_total = too_many_labels_;
  s.truncated_label_values_total = truncated_;
  s.out_of_order_samples_total = ooo_;
  s.wal_write_errors_total = wal_errors_;
  s.flushes_total = flushes_;
  s.merges_total = merges_;
  s.corrupt_blocks_total = corrupt_blocks_;
  s.series_collected_total = gc_series_;
  s.wal_replayed_samples = replayed_samples_;
  s.wal_replay_seconds = replay_seconds_;
  return s;
}

// ---------------------------------------------------------------- Querying

// One series of a Select: where its samples live, in priority order (blocks by seq, then head).
class SeriesImpl : public storage::Series {
 public:
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<SampleIterator> Iterator() const override {
    std::vector<std::unique_ptr<SampleIterator>> its;
    for (const auto& [b, i] : block_refs_) its.push_back(b->SeriesIterator(i));
    if (head_) {
      for (const auto& f : *frozen_) {
        if (const HeadData* d = f->Get(head_->id); d && d->Overlaps(mint_, maxt_)) its.push_back(d->Snapshot(mint_, maxt_));
      }
      MutexLock l(&head_->mu());
      if (head_->data.Overlaps(mint_, maxt_)) its.push_back(head_->data.Snapshot(mint_, maxt_));
    }
    if (its.empty()) return NewVectorIterator({});
    // The common case of a query over flushed data: one block that lies within the range. Its
    // iterator alone, without a merge or a range cut (each an allocation per series).
    if (its.size() == 1 && block_refs_.size() == 1 && block_refs_[0].first->Within(mint_, maxt_)) {
      return std::move(its[0]);
    }
    return NewRangeIterator(NewMergeIterator(std::move(its)), mint_, maxt_);
  }

  Labels labels_;
  std::vector<std::pair<const Block*, uint32_t>> block_refs_;
  MemSeries* head_ = nullptr;
  const std::vector<std::shared_ptr<FrozenHead>>* frozen_ = nullptr;
  int64_t mint_ = 0, maxt_ = 0;
};

// Merges the sorted series lists of every block and of the head by labels. Labels of block
// series are materialized one at a time, as the merge reaches them.
class SeriesSetImpl : public storage::SeriesSet {
 public:
  struct BlockCursor {
    const Block* block;
    Postings ids;
    size_t i = 0;
    Labels cur;
    bool loaded = false;
    bool Valid() const { return i < ids.size(); }
    const Labels& Cur() {
      if (!loaded) {
        cur = block->SeriesLabels(ids[i]);
        loaded = true;
      }
      return cur;
    }
    void Advance() {
      i++;
      loaded = false;
    }
  };
  SeriesSetImpl(const DBImpl* db, std::vector<BlockCursor> blocks, std::vector<MemSeries*> head,
                const std::vector<std::shared_ptr<FrozenHead>>* frozen, int64_t mint, int64_t maxt, size_t limit)
      : db_(db), blocks_(std::move(blocks)), head_(std::move(head)), limit_(limit) {
    cur_.frozen_ = frozen;
    cur_.mint_ = mint;
    cur_.maxt_ = maxt;
  }
  bool Next() override {
    if (limit_ && returned_ >= limit_) return false;
    if (!head_sorted_) {
      // Sorted on first use: a set only checked for Err() (a limit check) never pays for it.
      db_->SortHead(&head_);
      head_sorted_ = true;
    }
    const Labels* min = nullptr;
    for (auto& c : blocks_) {
      if (c.Valid() && (!min || c.Cur() < *min)) min = &c.Cur();
    }
    // Head labels are packed; the current one is unpacked once, as block labels are.
    if (hi_ < head_.size() && !head_loaded_) {
      head_cur_ = head_[hi_]->labels.ToLabels();
      head_loaded_ = true;
    }
    if (hi_ < head_.size() && (!min || head_cur_ < *min)) min = &head_cur_;
    if (!min) return false;
    cur_.labels_ = *min;
    cur_.block_refs_.clear();
    cur_.head_ = nullptr;
    for (auto& c : blocks_) {
      if (c.Valid() && c.Cur() == cur_.labels_) {
        cur_.block_refs_.emplace_back(c.block, c.ids[c.i]);
        c.Advance();
      }
    }
    if (hi_ < head_.size() && head_cur_ == cur_.labels_) {
      cur_.head_ = head_[hi_++];
      head_loaded_ = false;
    }
    returned_++;
    return true;
  }
  const storage::Series& At() const override { return cur_; }
  Status Err() const override { return Status::Ok(); }

 private:
  const DBImpl* db_;
  std::vector<BlockCursor> blocks_;
  std::vector<MemSeries*> head_;  // in label order once head_sorted_
  bool head_sorted_ = false;
  size_t hi_ = 0;
  Labels head_cur_;  // head_[hi_]'s labels when head_loaded_
  bool head_loaded_ = false;
  size_t limit_;
  size_t returned_ = 0;
  SeriesImpl cur_;
};

class QuerierImpl : public storage::Querier {
 public:
  QuerierImpl(DBImpl* db, int64_t mint, int64_t maxt) : db_(db), mint_(mint), maxt_(maxt), epoch_(db->Pin()) {
    MutexLock l(&db->state_mu_);
    for (const auto& b : db->blocks_) {
      if (b->meta().mint <= maxt && b->meta().maxt >= mint) blocks_.push_back(b);
    }
    frozen_ = db->frozen_;
    head_empty_ = frozen_.empty() && db->head_samples_ == 0;
  }

  std::unique_ptr<storage::SeriesSet> Select(bool sorted, const storage::SelectHints& hints,
                                             const std::vector<Matcher>& ms) override {
    // The querier's range is authoritative; hints only describe the caller's intent.
    std::vector<SeriesSetImpl::BlockCursor> cursors;
    for (const auto& b : blocks_) {
      Postings keep = BlockSeries(*b, ms, hints.max_series);
      if (hints.max_series && keep.size() > hints.max_series)
        return storage::ErrorSeriesSet(storage::TooManySeries(hints.max_series));
      if (keep.empty()) continue;
      SeriesSetImpl::BlockCursor c;
      c.block = b.get();
      c.ids = std::move(keep);
      cursors.push_back(std::move(c));
    }
    // Series are distinct within the head and within a block: the largest is a lower bound, and
    // each source stops listing as soon as it alone is over the limit.
    std::vector<MemSeries*> head = HeadSeries(ms, hints.max_series);
    if (hints.max_series) {
      size_t at_least = head.size();
      for (const auto& c : cursors) at_least = std::max(at_least, c.ids.size());
      if (at_least > hints.max_series) return storage::ErrorSeriesSet(storage::TooManySeries(hints.max_series));
    }
    return std::make_unique<SeriesSetImpl>(db_, std::move(cursors), std::move(head), &frozen_, mint_, maxt_, hints.limit);
  }

  ~QuerierImpl() override { db_->Unpin(epoch_); }

  Result<std::vector<std::string>> LabelValues(const std::string& name, const std::vector<Matcher>& ms,
                                               size_t limit) override {
    std::vector<Matcher> all = ms;
    auto has = Matcher::Make(model::MatchType::kNotEqual, name, "");
    if (!has.ok()) return has.status();
    all.push_back(*has);
    // Each source appends its values sorted; merging the runs keeps the whole sorted, and the
    // `limit` smallest of the whole are among the `limit` smallest of each run.
    const size_t cap = limit ? limit : SIZE_MAX;
    std::vector<std::string> out;
    auto merge_run = [&out, cap](size_t run_start) {
      std::inplace_merge(out.begin(), out.begin() + run_start, out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      if (out.size() > cap) out.resize(cap);
    };
    for (const auto& b : blocks_) {
      size_t start = out.size();
      if (ms.empty() && b->Within(mint_, maxt_)) {
        // No matcher and every series of the block in range: the value list alone answers
        // (reserved: a million values regrown one doubling at a time cost a third of the time).
        out.reserve(out.size() + std::min(cap, b->NumValues(name)));
        b->ForEachValue(name, "", [&out, start, cap](std::string_view v, PostingsRef) {
          out.emplace_back(v);
          return out.size() - start < cap;
        });
      } else {
        b->CollectLabelValues(BlockSeries(*b, all), name, &out);
      }
      merge_run(start);
    }
    size_t start = out.size();
    if (head_empty_) {
      // Nothing to add.
    } else if (ms.empty()) {
      // Values of the head index that have a series with samples in range (no Select).
      ReaderMutexLock l(&db_->index_mu_);
      db_->postings_.ForEachValue(name, "", [&](std::string_view v, PostingsRef ids) REQUIRES_SHARED(db_->index_mu_) {
        for (uint32_t id : ids) {
          if (InRange(db_->series_[id].get())) {
            out.emplace_back(v);
            break;
          }
        }
        return out.size() - start < cap;
      });
    } else {
      // Distinct values first (views into the pinned series' labels): many series share few.
      std::unordered_set<std::string_view> seen;
      for (MemSeries* s : HeadSeries(all)) seen.insert(s->labels.Get(name));
      std::vector<std::string_view> head(seen.begin(), seen.end());
      std::sort(head.begin(), head.end());
      out.insert(out.end(), head.begin(), head.end());
    }
    merge_run(start);
    return out;
  }

  Result<std::vector<std::string>> LabelNames(const std::vector<Matcher>& ms) override {
    std::vector<Matcher> all = ms;
    if (all.empty()) {
      auto any = Matcher::Make(model::MatchType::kNotEqual, std::string(model::kMetricName), "");
      if (!any.ok()) return any.status();
      all.push_back(*any);
    }
    std::set<std::string, std::less<>> names;
    for (const auto& b : blocks_) b->CollectLabelNames(BlockSeries(*b, all), &names);
    for (MemSeries* s : HeadSeries(all)) {
      s->labels.ForEach([&names](std::string_view n, std::string_view) {
        if (names.find(n) == names.end()) names.emplace(n);
      });
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

 private:
  // Series of block b matching ms with samples in [mint_, maxt_], in label order. With a
  // `stop_after` (a series limit), listing stops at stop_after + 1: enough to refuse.
  Postings BlockSeries(const Block& b, const std::vector<Matcher>& ms, size_t stop_after = 0) const {
    if (b.meta().mint > maxt_ || b.meta().maxt < mint_) return {};
    Postings p = SelectPostings(b, ms);
    Postings keep;
    keep.reserve(stop_after ? std::min(p.size(), stop_after + 1) : p.size());
    for (uint32_t i : p) {
      if (!b.SeriesOverlaps(i, mint_, maxt_)) continue;
      keep.push_back(i);
      if (stop_after && keep.size() > stop_after) break;
    }
    return keep;
  }
  // Head series matching ms with samples in [mint_, maxt_] (live or frozen), unordered; with a
  // `stop_after`, at most stop_after + 1 of them.
  std::vector<MemSeries*> HeadSeries(const std::vector<Matcher>& ms, size_t stop_after = 0) const {
    std::vector<MemSeries*> head;
    if (head_empty_) return head;
    for (MemSeries* s : db_->HeadSelect(ms)) {
      if (!InRange(s)) continue;
      head.push_back(s);
      if (stop_after && head.size() > stop_after) break;
    }
    return head;
  }
  // Whether head series s has samples in [mint_, maxt_] (live or frozen).
  bool InRange(MemSeries* s) const {
    for (const auto& f : frozen_) {
      const HeadData* d = f->Get(s->id);
      if (d && d->Overlaps(mint_, maxt_)) return true;
    }
    MutexLock l(&s->mu());
    return s->data.Overlaps(mint_, maxt_);
  }

 private:
  DBImpl* db_;
  int64_t mint_, maxt_;
  std::vector<std::shared_ptr<Block>> blocks_;
  std::vector<std::shared_ptr<FrozenHead>> frozen_;
  // No samples in the head at creation (after a flush, the index still lists its idle series):
  // every head lookup is skipped.
  bool head_empty_ = false;
  uint64_t epoch_;  // pins the MemSeries this querier's series sets point at
};

Result<std::unique_ptr<storage::Querier>> DBImpl::NewQuerier(int64_t mint, int64_t maxt) {
  // Data past the retention period is invisible at once, even before its partition is dropped.
  mint = std::max(mint, NowMs() - opts_.retention_ms);
  return std::unique_ptr<storage::Querier>(new QuerierImpl(this, mint, maxt));
}

}  // namespace
}  // namespace sremon::tsdb
