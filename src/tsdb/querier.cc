// Queriers: Select merges the label-sorted series of the blocks and of the head; label names and
// values.
#include "tsdb/db_impl.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "tsdb/iterators.h"

namespace sremon::tsdb {

namespace {

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

}  // namespace

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

}  // namespace sremon::tsdb
