#include "tsdb/iterators.h"

#include <algorithm>

namespace sremon::tsdb {

using model::Sample;
using storage::SampleIterator;

namespace {

class VectorIterator final : public SampleIterator {
 public:
  explicit VectorIterator(std::vector<Sample> s) : s_(std::move(s)) {}
  bool Next() override {
    if (i_ <= s_.size()) i_++;
    return i_ <= s_.size();
  }
  bool Seek(int64_t t) override {
    if (i_ > 0 && i_ <= s_.size() && s_[i_ - 1].t >= t) return true;
    size_t from = i_ > 0 ? std::min(i_ - 1, s_.size()) : 0;
    auto it = std::lower_bound(s_.begin() + from, s_.end(), t, [](const Sample& a, int64_t t) { return a.t < t; });
    i_ = (it - s_.begin()) + 1;
    return i_ <= s_.size();
  }
  Sample At() const override { return s_[i_ - 1]; }
  size_t AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    auto lo = std::lower_bound(s_.begin(), s_.end(), mint, [](const Sample& a, int64_t t) { return a.t < t; });
    auto hi = std::upper_bound(lo, s_.end(), maxt, [](int64_t t, const Sample& a) { return t < a.t; });
    out->insert(out->end(), lo, hi);
    i_ = s_.size() + 1;
    return static_cast<size_t>(hi - lo);
  }

 private:
  std::vector<Sample> s_;
  size_t i_ = 0;  // 1 + index of the current sample; 0 before the first Next()
};

class MergeIterator final : public SampleIterator {
 public:
  explicit MergeIterator(std::vector<std::unique_ptr<SampleIterator>> its) : its_(std::move(its)), valid_(its_.size()) {}
  bool Next() override {
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < its_.size(); i++) valid_[i] = its_[i]->Next();
    } else if (has_) {
      for (size_t i = 0; i < its_.size(); i++) {
        if (valid_[i] && its_[i]->At().t == cur_.t) valid_[i] = its_[i]->Next();
      }
    } else {
      return false;
    }
    return Pick();
  }
  bool Seek(int64_t t) override {
    if (started_ && has_ && cur_.t >= t) return true;
    if (started_ && !has_) return false;
    for (size_t i = 0; i < its_.size(); i++) {
      if (!started_ || (valid_[i] && its_[i]->At().t < t)) valid_[i] = its_[i]->Seek(t);
    }
    started_ = true;
    return Pick();
  }
  Sample At() const override { return cur_; }
  // Each child's range in one call, then a merge only where children overlap in time (blocks,
  // head and out-of-order runs normally follow each other): the later child wins a tie, as in
  // Pick().
  size_t AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    const size_t base = out->size();
    std::vector<Sample> merged;
    for (size_t i = 0; i < its_.size(); i++) {
      const size_t mid = out->size();
      if (its_[i]->AppendRange(mint, maxt, out) == 0 || mid == base || (*out)[mid].t > (*out)[mid - 1].t) continue;
      // Child i overlaps what came before: merge [base, mid) with [mid, end).
      merged.clear();
      merged.reserve(out->size() - base);
      size_t a = base, b = mid;
      while (a < mid && b < out->size()) {
        int64_t ta = (*out)[a].t, tb = (*out)[b].t;
        if (ta < tb) {
          merged.push_back((*out)[a++]);
        } else {
          if (ta == tb) a++;
          merged.push_back((*out)[b++]);
        }
      }
      merged.insert(merged.end(), out->begin() + static_cast<ptrdiff_t>(a), out->begin() + static_cast<ptrdiff_t>(mid));
      merged.insert(merged.end(), out->begin() + static_cast<ptrdiff_t>(b), out->end());
      out->resize(base);
      out->insert(out->end(), merged.begin(), merged.end());
    }
    started_ = true;
    has_ = false;
    return out->size() - base;
  }

 private:
  bool Pick() {
    has_ = false;
    for (size_t i = 0; i < its_.size(); i++) {
      if (!valid_[i]) continue;
      Sample s = its_[i]->At();
      if (!has_ || s.t <= cur_.t) {  // <=: a later iterator wins a tie
        cur_ = s;
        has_ = true;
      }
    }
    return has_;
  }
  std::vector<std::unique_ptr<SampleIterator>> its_;
  std::vector<char> valid_;
  bool started_ = false;
  bool has_ = false;
  Sample cur_;
};

class RangeIterator final : public SampleIterator {
 public:
  RangeIterator(std::unique_ptr<SampleIterator> it, int64_t mint, int64_t maxt)
      : it_(std::move(it)), mint_(mint), maxt_(maxt) {}
  bool Next() override {
    if (done_) return false;
    bool ok = started_ ? it_->Next() : it_->Seek(mint_);
    started_ = true;
    return Check(ok);
  }
  bool Seek(int64_t t) override {
    if (done_) return false;
    started_ = true;
    return Check(it_->Seek(std::max(t, mint_)));
  }
  Sample At() const override { return it_->At(); }
  size_t AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    done_ = true;
    mint = std::max(mint, mint_);
    maxt = std::min(maxt, maxt_);
    if (mint > maxt) return 0;
    return it_->AppendRange(mint, maxt, out);
  }

 private:
  bool Check(bool ok) {
    if (!ok || it_->At().t > maxt_) {
      done_ = true;
      return false;
    }
    return true;
  }
  std::unique_ptr<SampleIterator> it_;
  int64_t mint_, maxt_;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<SampleIterator> NewVectorIterator(std::vector<Sample> samples) {
  return std::make_unique<VectorIterator>(std::move(samples));
}

std::unique_ptr<SampleIterator> NewMergeIterator(std::vector<std::unique_ptr<SampleIterator>> its) {
  if (its.size() == 1) return std::move(its[0]);
  return std::make_unique<MergeIterator>(std::move(its));
}

std::unique_ptr<SampleIterator> NewRangeIterator(std::unique_ptr<SampleIterator> it, int64_t mint, int64_t maxt) {
  return std::make_unique<RangeIterator>(std::move(it), mint, maxt);
}

void SortDedupLastWins(std::vector<Sample>* samples) {
  std::stable_sort(samples->begin(), samples->end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
  size_t out = 0;
  for (size_t i = 0; i < samples->size(); i++) {
    if (out > 0 && (*samples)[out - 1].t == (*samples)[i].t) {
      (*samples)[out - 1] = (*samples)[i];
    } else {
      (*samples)[out++] = (*samples)[i];
    }
  }
  samples->resize(out);
}

}  // namespace sremon::tsdb