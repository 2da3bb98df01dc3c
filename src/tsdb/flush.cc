// Flushing the head into blocks: freeze under the commit lock, write a block per partition,
// publish, then forget idle series (epoch garbage collection, db.h).
#include "tsdb/db_impl.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "util/heap.h"

namespace sremon::tsdb {

namespace {

constexpr int kFlushZstdLevel = 3;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Status DBImpl::Freeze() {
  MutexLock l(&commit_mu_);
  WriterMutexLock al(&apply_mu_);  // every batch logged to the segment being rotated is applied
  if (head_samples_ == 0 || closed_) return Status::Ok();
  auto seg = wal_->Rotate();
  if (!seg.ok()) return seg.status().WithContext("cannot rotate the WAL");
  wal_gen_++;
  auto fz = std::make_shared<FrozenHead>();
  fz->wal_seg = *seg;
  {
    ReaderMutexLock il(&index_mu_);
    fz->at.assign(series_.size(), FrozenHead::kNone);
    fz->data.reserve(series_.size());  // address space; only the slots written become resident
    for (const auto& s : series_) {
      if (!s) continue;  // collected
      MutexLock sl(&s->mu());
      if (s->data.count() == 0) {
        s->idle_flushes++;
        continue;
      }
      s->idle_flushes = 0;
      fz->samples += s->data.count();
      fz->at[s->id] = static_cast<uint32_t>(fz->data.size());
      fz->data.push_back(std::exchange(s->data, HeadData()));
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
      for (uint32_t id = 0; id < fz->at.size(); id++) {
        if (fz->Get(id) && series_[id] && !series_[id]->deleted) list.push_back(series_[id].get());
      }
      SortByLabels(&list, postings_);
    }
    int64_t min_valid = NowMs() - opts_.retention_ms;
    std::map<int64_t, std::unique_ptr<BlockWriter>> writers;
    std::vector<Sample> part;
    for (MemSeries* s : list) {
      if (stopping_) return Status::Canceled("flush interrupted: the database is closing");
      std::vector<Sample> all = fz->Get(s->id)->All();
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
  util::TrimHeapNow();  // the frozen head's chunks are gone: worth a malloc_trim
  util::SettleFreedHeap();
  return Status::Ok();
}

void DBImpl::CollectGarbage() {
  uint64_t removed = 0;
  {
    MutexLock cl(&commit_mu_);  // no sample lands in a series while we look
    WriterMutexLock al(&apply_mu_);
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

}  // namespace sremon::tsdb
