#include "tsdb/head.h"

#include <algorithm>

namespace sremon::tsdb {

using model::Sample;

bool HeadData::Add(int64_t t, double v) {
  count_++;
  mint_ = std::min(mint_, t);
  maxt_ = std::max(maxt_, t);
  if (t > last_in_order_) {
    if (!open_ || open_->count() >= kChunkSamples) {
      if (open_) closed_.push_back(std::move(open_));
      open_ = std::make_shared<XorChunk>();
    }
    open_->Append(t, v);
    last_in_order_ = t;
    return false;
  }
  ooo_.push_back({t, v});
  if (ooo_.size() >= kOooRunSamples) {
    SortDedupLastWins(&ooo_);
    ooo_runs_.push_back(std::make_shared<const std::vector<Sample>>(std::move(ooo_)));
    ooo_.clear();
  }
  return true;
}

std::unique_ptr<storage::SampleIterator> HeadData::Snapshot(int64_t mint, int64_t maxt) const {
  std::vector<std::unique_ptr<storage::SampleIterator>> its;
  std::vector<std::shared_ptr<const XorChunk>> chain;
  for (const auto& c : closed_) {
    if (c->mint() <= maxt && c->maxt() >= mint) chain.push_back(c);
  }
  if (open_ && open_->mint() <= maxt && open_->maxt() >= mint) chain.push_back(std::make_shared<XorChunk>(*open_));
  if (!chain.empty()) its.push_back(NewChainIterator(std::move(chain)));
  auto in_range = [mint, maxt](const std::vector<Sample>& run) {
    auto lo = std::lower_bound(run.begin(), run.end(), mint, [](const Sample& s, int64_t t) { return s.t < t; });
    auto hi = std::upper_bound(lo, run.end(), maxt, [](int64_t t, const Sample& s) { return t < s.t; });
    return std::vector<Sample>(lo, hi);
  };
  for (const auto& run : ooo_runs_) {
    auto part = in_range(*run);
    if (!part.empty()) its.push_back(NewVectorIterator(std::move(part)));
  }
  if (!ooo_.empty()) {
    std::vector<Sample> buf;
    for (const auto& s : ooo_) {
      if (s.t >= mint && s.t <= maxt) buf.push_back(s);
    }
    SortDedupLastWins(&buf);
    if (!buf.empty()) its.push_back(NewVectorIterator(std::move(buf)));
  }
  if (its.empty()) return NewVectorIterator({});
  return NewMergeIterator(std::move(its));
}

std::vector<Sample> HeadData::All() const {
  std::vector<Sample> out;
  out.reserve(count_);
  auto it = Snapshot(storage::kMinTime, storage::kMaxTime);
  while (it->Next()) out.push_back(it->At());
  return out;
}

}  // namespace sremon::tsdb
