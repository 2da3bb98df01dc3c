#include "tsdb/head.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>

#include "tsdb/iterators.h"

namespace sremon::tsdb {
namespace {

// SortByLabels' rank path (used above 4096 series) gives model::Labels order: random label
// sets with shared and distinct names, values that are prefixes of each other, empty values
// and label sets that are prefixes of others; and the byte-order fallback when some listed
// series are no longer in the index.
TEST(HeadTest, SortByLabelsIsLabelsOrder) {
  std::mt19937 rng(11);
  std::vector<std::unique_ptr<MemSeries>> owned;
  std::vector<model::Labels> labels;
  const char* names[] = {"__name__", "a", "ab", "host", "z"};
  const char* values[] = {"", "x", "xy", "xyz", "y", "h10", "h9", "\xc3\xa9"};
  for (uint32_t id = 0; id < 20000; id++) {
    std::vector<model::Label> ls;
    for (const char* n : names) {
      if (rng() % 3 == 0) continue;
      std::string v = values[rng() % 8];
      if (rng() % 4 == 0) v += std::to_string(rng() % 50);
      if (!v.empty()) ls.push_back({n, v});
    }
    model::Labels l(std::move(ls));
    labels.push_back(l);
    owned.push_back(std::make_unique<MemSeries>(id, LabelsHash(l), l));
  }
  MemPostings index;
  for (uint32_t id = 0; id < labels.size(); id++) index.Add(id, labels[id]);
  auto check = [&](std::vector<MemSeries*> list) {
    size_t n = list.size();
    SortByLabels(&list, index);
    ASSERT_EQ(list.size(), n);
    for (size_t i = 1; i < list.size(); i++) {
      const model::Labels& a = labels[list[i - 1]->id];
      const model::Labels& b = labels[list[i]->id];
      ASSERT_FALSE(b < a) << i << ": " << a.ToString() << " sorted before " << b.ToString();
    }
    std::sort(list.begin(), list.end());
    ASSERT_EQ(std::unique(list.begin(), list.end()), list.end());  // a permutation
  };
  std::vector<MemSeries*> all, odd;
  for (auto& s : owned) all.push_back(s.get());
  for (auto& s : owned) {
    if (s->id % 2) odd.push_back(s.get());
  }
  std::shuffle(all.begin(), all.end(), rng);
  check(all);
  check(odd);  // a subset of the indexed series
  index.Remove({{5, labels[5]}});
  check(all);  // series 5 is listed but no longer indexed
}

// Out-of-order writes (backfill, concurrent imports of neighbouring ranges, rewrites of a
// timestamp) against a brute-force map where the last write of a timestamp wins: every query
// window answers the same, while the sealed runs are merged as they accumulate.
TEST(HeadTest, OutOfOrderWritesMatchLastWriteWins) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 20; round++) {
    HeadData d;
    std::map<int64_t, double> want;
    int64_t next = 1000000;
    int n = 200 + static_cast<int>(rng() % 5000);
    for (int i = 0; i < n; i++) {
      int64_t t;
      switch (rng() % 4) {
        case 0: t = next - static_cast<int64_t>(rng() % 100000); break;      // backfill
        case 1: t = want.empty() ? next : want.begin()->first; break;         // rewrite the oldest
        default: t = next += 1 + static_cast<int64_t>(rng() % 30000); break;  // in order
      }
      double v = static_cast<double>(rng() % 100000) / 100;
      d.Add(t, v);
      want[t] = v;
    }
    std::vector<model::Sample> all = d.All();
    ASSERT_EQ(all.size(), want.size()) << "round " << round;
    size_t i = 0;
    for (const auto& [t, v] : want) {
      ASSERT_EQ(all[i].t, t);
      ASSERT_EQ(all[i].v, v) << "t=" << t;
      i++;
    }
    for (int q = 0; q < 20; q++) {
      int64_t a = want.begin()->first + static_cast<int64_t>(rng() % static_cast<uint64_t>(next - want.begin()->first + 1));
      int64_t b = a + static_cast<int64_t>(rng() % 200000);
      auto it = NewRangeIterator(d.Snapshot(a, b), a, b);
      auto w = want.lower_bound(a);
      while (it->Next()) {
        ASSERT_NE(w, want.end());
        ASSERT_EQ(it->At().t, w->first);
        ASSERT_EQ(it->At().v, w->second);
        ++w;
      }
      ASSERT_TRUE(w == want.end() || w->first > b);
    }
  }
}

}  // namespace
}  // namespace sremon::tsdb
