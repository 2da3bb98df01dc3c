// The DB's life: Open (blocks, WAL replay), Close, the background fsync and maintenance threads,
// stats. The other parts of the DB: db_impl.h.
#include "tsdb/db_impl.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <unordered_set>

#include "tsdb/coding.h"

namespace sremon::tsdb {

DB::~DB() = default;

Result<std::unique_ptr<DB>> DB::Open(const Options& options) {
  if (options.dir.empty()) return Status::InvalidArgument("tsdb: Options.dir is empty");
  if (options.partition_ms <= 0) return Status::InvalidArgument("tsdb: Options.partition_ms must be positive");
  auto db = std::make_unique<DBImpl>(options);
  Status st = db->OpenImpl();
  if (!st.ok()) return st;
  return std::unique_ptr<DB>(std::move(db));
}

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
  WriterMutexLock al(&apply_mu_);
  Status st = Wal::Replay(
      env_, wal_dir_, [&](std::string_view rec) REQUIRES(commit_mu_, apply_mu_) { ReplayRecord(rec, &ids, &samples); },
      &stats);
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
    WriterMutexLock al(&apply_mu_);  // the batches being applied are done
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

}  // namespace sremon::tsdb
