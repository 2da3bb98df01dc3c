#include "storage/mem_storage.h"

#include <algorithm>
#include <cstring>
#include <set>

#include <fmt/format.h>

namespace sremon::storage {

namespace {

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

// Iterates the samples of a snapshot within [mint, maxt].
class VecIterator final : public SampleIterator {
 public:
  VecIterator(MemStorage::SampleVec samples, int64_t mint, int64_t maxt)
      : samples_(std::move(samples)) {
    const auto& v = *samples_;
    auto lo = std::lower_bound(v.begin(), v.end(), mint,
                               [](const model::Sample& s, int64_t t) { return s.t < t; });
    auto hi = std::upper_bound(v.begin(), v.end(), maxt,
                               [](int64_t t, const model::Sample& s) { return t < s.t; });
    begin_ = lo - v.begin();
    end_ = std::max(begin_, static_cast<size_t>(hi - v.begin()));
    pos_ = begin_;
  }
  bool Next() override {
    if (!started_) {
      started_ = true;
    } else if (pos_ < end_) {
      ++pos_;
    }
    return pos_ < end_;
  }
  bool Seek(int64_t t) override {
    started_ = true;
    if (pos_ >= end_) return false;
    const auto& v = *samples_;
    if (v[pos_].t >= t) return true;
    auto it = std::lower_bound(v.begin() + pos_, v.begin() + end_, t,
                               [](const model::Sample& s, int64_t x) { return s.t < x; });
    pos_ = it - v.begin();
    return pos_ < end_;
  }
  model::Sample At() const override { return (*samples_)[pos_]; }
  size_t AppendRange(int64_t mint, int64_t maxt, std::vector<model::Sample>* out) override {
    const auto& v = *samples_;
    auto lo = std::lower_bound(v.begin() + begin_, v.begin() + end_, mint,
                               [](const model::Sample& s, int64_t t) { return s.t < t; });
    auto hi = std::upper_bound(lo, v.begin() + end_, maxt, [](int64_t t, const model::Sample& s) { return t < s.t; });
    out->insert(out->end(), lo, hi);
    pos_ = end_;
    return static_cast<size_t>(hi - lo);
  }

 private:
  MemStorage::SampleVec samples_;
  size_t begin_ = 0, end_ = 0, pos_ = 0;
  bool started_ = false;
};

class MemSeries final : public Series {
 public:
  MemSeries(const model::Labels* labels, MemStorage::SampleVec samples, int64_t mint, int64_t maxt)
      : labels_(labels), samples_(std::move(samples)), mint_(mint), maxt_(maxt) {}
  const model::Labels& labels() const override { return *labels_; }
  std::unique_ptr<SampleIterator> Iterator() const override {
    return std::make_unique<VecIterator>(samples_, mint_, maxt_);
  }

 private:
  const model::Labels* labels_;
  MemStorage::SampleVec samples_;
  int64_t mint_, maxt_;
};

class MemSeriesSet final : public SeriesSet {
 public:
  MemSeriesSet(std::shared_ptr<const MemStorage::Snapshot> snapshot,
               std::vector<MemStorage::SeriesMap::const_iterator> hits, int64_t mint, int64_t maxt)
      : snapshot_(std::move(snapshot)), hits_(std::move(hits)), mint_(mint), maxt_(maxt) {}
  bool Next() override {
    if (pos_ >= hits_.size()) return false;
    const auto& it = hits_[pos_++];
    cur_ = std::make_unique<MemSeries>(&it->first, it->second, mint_, maxt_);
    return true;
  }
  const Series& At() const override { return *cur_; }
  Status Err() const override { return Status::Ok(); }

 private:
  std::shared_ptr<const MemStorage::Snapshot> snapshot_;
  std::vector<MemStorage::SeriesMap::const_iterator> hits_;
  size_t pos_ = 0;
  std::unique_ptr<MemSeries> cur_;
  int64_t mint_, maxt_;
};

bool MatchesAll(const model::Labels& ls, const std::vector<model::Matcher>& matchers) {
  for (const auto& m : matchers) {
    if (!m.Matches(ls.Get(m.name()))) return false;
  }
  return true;
}

class MemQuerier final : public Querier {
 public:
  MemQuerier(std::shared_ptr<const MemStorage::Snapshot> snapshot, int64_t mint, int64_t maxt)
      : snapshot_(std::move(snapshot)), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints& hints,
                                    const std::vector<model::Matcher>& matchers) override {
    std::vector<MemStorage::SeriesMap::const_iterator> hits;
    auto consider = [&](MemStorage::SeriesMap::const_iterator it) {
      if (!MatchesAll(it->first, matchers)) return true;
      hits.push_back(it);
      return hints.limit == 0 || hits.size() < hints.limit;
    };
    const std::string* name = nullptr;
    for (const auto& m : matchers) {
      if (m.type() == model::MatchType::kEqual && m.name() == model::kMetricName) name = &m.value();
    }
    if (name) {
      // Only the series of that metric, already in label order.
      auto it = snapshot_->by_name.find(*name);
      if (it != snapshot_->by_name.end()) {
        for (auto s : it->second) {
          if (!consider(s)) break;
        }
      }
    } else {
      for (auto it = snapshot_->series.begin(); it != snapshot_->series.end(); ++it) {
        if (!consider(it)) break;
      }
    }
    int64_t mint = std::max(mint_, hints.start_ms), maxt = std::min(maxt_, hints.end_ms);
    if (hints.series_only) mint = maxt_ + 1;  // no samples needed
    return std::make_unique<MemSeriesSet>(snapshot_, std::move(hits), mint, maxt);
  }

  Result<std::vector<std::string>> LabelValues(const std::string& name, const std::vector<model::Matcher>& matchers,
                                               size_t limit) override {
    std::set<std::string> out;
    for (const auto& [ls, samples] : snapshot_->series) {
      if (!MatchesAll(ls, matchers) || !HasSamplesInRange(*samples)) continue;
      std::string_view v = ls.Get(name);
      if (!v.empty()) out.emplace(v);
    }
    std::vector<std::string> values(out.begin(), out.end());
    if (limit && values.size() > limit) values.resize(limit);
    return values;
  }

  Result<std::vector<std::string>> LabelNames(const std::vector<model::Matcher>& matchers) override {
    std::set<std::string> out;
    for (const auto& [ls, samples] : snapshot_->series) {
      if (!MatchesAll(ls, matchers) || !HasSamplesInRange(*samples)) continue;
      for (const auto& l : ls) out.insert(l.name);
    }
    return std::vector<std::string>(out.begin(), out.end());
  }

 private:
  bool HasSamplesInRange(const std::vector<model::Sample>& v) const {
    auto it = std::lower_bound(v.begin(), v.end(), mint_,
                               [](const model::Sample& s, int64_t t) { return s.t < t; });
    return it != v.end() && it->t <= maxt_;
  }

  std::shared_ptr<const MemStorage::Snapshot> snapshot_;
  int64_t mint_, maxt_;
};

}  // namespace

class MemAppender final : public Appender {
 public:
  explicit MemAppender(MemStorage* db) : db_(db) {}
  Status Append(const model::Labels& labels, int64_t t_ms, double v) override {
    if (labels.empty()) return Status::InvalidArgument("empty label set");
    batch_.emplace_back(labels, model::Sample{t_ms, v});
    return Status::Ok();
  }
  Status Commit() override {
    auto batch = std::move(batch_);
    batch_.clear();
    return db_->Apply(std::move(batch));
  }
  void Rollback() override { batch_.clear(); }

 private:
  MemStorage* db_;
  std::vector<std::pair<model::Labels, model::Sample>> batch_;
};

std::unique_ptr<Appender> MemStorage::NewAppender() { return std::make_unique<MemAppender>(this); }

Status MemStorage::Apply(std::vector<std::pair<model::Labels, model::Sample>> batch) {
  // Group by series, keeping append order within a series.
  std::stable_sort(batch.begin(), batch.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::lock_guard<std::mutex> lock(mu_);
  auto snap = std::make_shared<Snapshot>();
  snap->series = snap_->series;
  SeriesMap* next = &snap->series;
  size_t rejected = 0;
  std::string first_error;
  for (size_t i = 0; i < batch.size();) {
    size_t j = i;
    while (j < batch.size() && batch[j].first == batch[i].first) ++j;
    auto& slot = (*next)[batch[i].first];
    auto samples = slot ? std::make_shared<std::vector<model::Sample>>(*slot)
                        : std::make_shared<std::vector<model::Sample>>();
    for (size_t k = i; k < j; ++k) {
      const model::Sample& s = batch[k].second;
      if (!samples->empty() && s.t <= samples->back().t) {
        if (s.t == samples->back().t && SameBits(s.v, samples->back().v)) continue;
        if (rejected++ == 0) {
          first_error = fmt::format("{} sample for series {} at t={}",
                                    s.t == samples->back().t ? "duplicate" : "out-of-order",
                                    batch[k].first.ToString(), s.t);
        }
        continue;
      }
      samples->push_back(s);
    }
    if (samples->empty()) {
      next->erase(batch[i].first);
    } else {
      slot = std::move(samples);
    }
    i = j;
  }
  for (auto it = next->begin(); it != next->end(); ++it) {
    snap->by_name[std::string(it->first.MetricName())].push_back(it);
  }
  snap_ = std::move(snap);
  if (rejected > 0) {
    return Status::InvalidArgument(fmt::format("{} samples rejected; first: {}", rejected, first_error));
  }
  return Status::Ok();
}

Result<std::unique_ptr<Querier>> MemStorage::NewQuerier(int64_t mint_ms, int64_t maxt_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return std::unique_ptr<Querier>(std::make_unique<MemQuerier>(snap_, mint_ms, maxt_ms));
}

void MemStorage::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  snap_ = std::make_shared<Snapshot>();
}

size_t MemStorage::NumSeries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snap_->series.size();
}

size_t MemStorage::NumSamples() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [ls, s] : snap_->series) n += s->size();
  return n;
}

}  // namespace sremon::storage
