// Retention (partitions past the retention period are dropped whole) and series deletion (the
// head, then a rewrite of each block that holds the series).
#include "tsdb/db_impl.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_set>

#include "tsdb/coding.h"

namespace sremon::tsdb {

namespace {

void EncodeMatchers(const std::vector<Matcher>& ms, std::string* out) {
  out->push_back(static_cast<char>(kEntryDelete));
  PutVarint64(out, ms.size());
  for (const auto& m : ms) {
    out->push_back(static_cast<char>(m.type()));
    PutLengthPrefixed(out, m.name());
    PutLengthPrefixed(out, m.value());
  }
}

}  // namespace

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
    WriterMutexLock al(&apply_mu_);  // batches logged before the delete record are applied first
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

}  // namespace sremon::tsdb
