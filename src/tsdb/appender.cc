// Appending: the appender, series lookup and creation under the limits, and Commit (the WAL
// record, then the head).
#include "tsdb/db_impl.h"

#include <spdlog/spdlog.h>

#include <bit>

#include "tsdb/coding.h"

namespace sremon::tsdb {

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

// The batch is logged under commit_mu_ (the WAL's order is the head's), and applied under
// apply_mu_ alone: two imports append to the head at once (a batch's head appends were half of
// the lab import's CPU, all of it one commit at a time), while a flush or a delete, taking
// apply_mu_ exclusively, still sees every logged batch applied.
Status DBImpl::CommitBatch(std::vector<Pending>* batch) {
  if (batch->empty()) return Status::Ok();
  {
    MutexLock l(&commit_mu_);
    SREMON_RETURN_IF_ERROR(LogBatch(batch));
    apply_mu_.LockShared();  // before commit_mu_ goes, so that a Freeze waits for this batch
    head_samples_ += batch->size();
  }
  for (const auto& p : *batch) ApplyLocked(p.s, p.t, p.v);
  apply_mu_.UnlockShared();
  ingested_ += batch->size();
  return Status::Ok();
}

Status DBImpl::LogBatch(std::vector<Pending>* batch) {
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
  return Status::Ok();
}

}  // namespace sremon::tsdb
