#include "tsdb/index.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <random>

namespace sremon::tsdb {
namespace {

using model::Labels;
using model::Matcher;
using model::MatchType;

Matcher M(MatchType t, std::string n, std::string v) { return *Matcher::Make(t, std::move(n), std::move(v)); }

// ValueIndex (sorted leaves of compact strings with inline id lists) against std::map: values
// short and long (inline and heap strings), inserted in random and increasing order so leaves
// split both ways, ids out of order, lists emptied and erased, and ordered scans from any value.
TEST(ValueIndexTest, MatchesAStdMap) {
  std::mt19937 rng(7);
  for (bool increasing : {false, true}) {
    ValueIndex idx;
    std::map<std::string, std::vector<uint32_t>> want;
    auto value = [&](int i) {
      std::string v = "v" + std::to_string(i);
      if (i % 5 == 0) v += std::string(20, 'x');  // longer than the inline 15 bytes
      return v;
    };
    for (int step = 0; step < 20000; step++) {
      int i = increasing ? step / 3 : static_cast<int>(rng() % 3000);
      std::string v = value(i);
      uint32_t id = rng() % 100;
      IdList& ids = idx.FindOrInsert(v);
      auto& w = want[v];
      if (std::find(w.begin(), w.end(), id) == w.end()) {
        ids.Insert(id);
        w.insert(std::lower_bound(w.begin(), w.end(), id), id);
      }
      if (step % 7 == 0) {  // drop a random value's ids below 50
        std::string gone = value(increasing ? static_cast<int>(rng() % (step / 3 + 1)) : static_cast<int>(rng() % 3000));
        if (IdList* l = idx.Find(gone)) {
          l->RemoveIf([](uint32_t x) { return x < 50; });
          idx.EraseIfEmpty(gone);
          auto& wl = want[gone];
          wl.erase(std::remove_if(wl.begin(), wl.end(), [](uint32_t x) { return x < 50; }), wl.end());
          if (wl.empty()) want.erase(gone);
        } else {
          EXPECT_EQ(want.count(gone), 0u) << gone;
        }
      }
    }
    for (const auto& [v, ids] : want) {
      const IdList* got = idx.Find(v);
      ASSERT_NE(got, nullptr) << v;
      EXPECT_EQ(std::vector<uint32_t>(got->view().begin(), got->view().end()), ids) << v;
    }
    for (std::string from : {std::string(), std::string("v1"), value(1234), std::string("v5"), std::string("w")}) {
      std::vector<std::string> got, exp;
      idx.ForEachFrom(from, [&](std::string_view v, const IdList&) {
        got.emplace_back(v);
        return got.size() < 5000;
      });
      for (auto it = want.lower_bound(from); it != want.end() && exp.size() < 5000; ++it) exp.push_back(it->first);
      EXPECT_EQ(got, exp) << "from " << from;
    }
    EXPECT_EQ(idx.empty(), want.empty());
  }
}

// The first value of an empty index (and the first after every value was erased) must not
// look at the leaf it is about to fill: the block a leaf reserves is primed with garbage here
// (malloc hands the same block back), which a read of front() on an empty leaf trips over.
TEST(ValueIndexTest, FirstValueOfAnEmptyIndex) {
  for (int round = 0; round < 50; round++) {
    {
      auto junk = std::make_unique<char[]>(64 * 32);  // one leaf's reservation
      std::memset(junk.get(), 0xff, 64 * 32);  // a heap tag with a wild pointer
    }
    ValueIndex idx;
    idx.FindOrInsert("pod-" + std::to_string(round)).Insert(1);
    ASSERT_NE(idx.Find("pod-" + std::to_string(round)), nullptr);
    idx.Find("pod-" + std::to_string(round))->RemoveIf([](uint32_t) { return true; });
    idx.EraseIfEmpty("pod-" + std::to_string(round));
    ASSERT_TRUE(idx.empty());
    {
      auto junk = std::make_unique<char[]>(64 * 32);
      std::memset(junk.get(), 0xff, 64 * 32);
    }
    idx.FindOrInsert("again").Insert(2);
    ASSERT_NE(idx.Find("again"), nullptr);
  }
}

TEST(PostingsTest, Matchers) {
  MemPostings p;
  p.Add(0, Labels{{"__name__", "up"}, {"job", "node"}, {"instance", "a"}});
  p.Add(1, Labels{{"__name__", "up"}, {"job", "node"}, {"instance", "b"}});
  p.Add(2, Labels{{"__name__", "up"}, {"job", "app"}});
  p.Add(3, Labels{{"__name__", "cpu"}, {"job", "node"}, {"instance", "a"}, {"mode", "idle"}});
  auto check = [&](std::vector<Matcher> ms, Postings want) { EXPECT_EQ(SelectPostings(p, ms), want); };
  using enum MatchType;
  check({M(kEqual, "__name__", "up")}, {0, 1, 2});
  check({M(kEqual, "__name__", "up"), M(kEqual, "job", "node")}, {0, 1});
  check({M(kEqual, "__name__", "up"), M(kNotEqual, "job", "node")}, {2});
  check({M(kEqual, "__name__", "up"), M(kRegexMatch, "instance", "a|b")}, {0, 1});
  check({M(kEqual, "__name__", "up"), M(kRegexNoMatch, "instance", "a")}, {1, 2});  // absent counts as ""
  check({M(kEqual, "__name__", "up"), M(kEqual, "instance", "")}, {2});
  check({M(kRegexMatch, "instance", ".*")}, {0, 1, 2, 3});
  check({M(kRegexMatch, "instance", ".+")}, {0, 1, 3});
  check({M(kEqual, "mode", "idle"), M(kRegexMatch, "job", "no.*")}, {3});
  check({M(kEqual, "nope", "x")}, {});
  check({M(kNotEqual, "job", "")}, {0, 1, 2, 3});
  Labels gone{{"__name__", "up"}, {"job", "node"}, {"instance", "b"}};
  p.Remove({{1, gone}});
  check({M(kEqual, "__name__", "up")}, {0, 2});
  check({M(kEqual, "instance", "b")}, {});
}

TEST(PostingsTest, SetOps) {
  Postings a{1, 3, 5, 7}, b{3, 4, 5};
  EXPECT_EQ(Intersect(a, b), (Postings{3, 5}));
  EXPECT_EQ(Subtract(a, b), (Postings{1, 7}));
  // The binary-search path (one list much smaller than the other).
  Postings big;
  for (uint32_t i = 0; i < 1000; i += 3) big.push_back(i);
  Postings small{0, 4, 9, 998, 999, 2000};
  EXPECT_EQ(Intersect(small, big), (Postings{0, 9, 999}));
  EXPECT_EQ(Intersect(big, small), (Postings{0, 9, 999}));
}

// The regex shortcut never loses a match: against running the regex on every value of a random
// corpus, a literal set holds exactly the matches, a range holds every match.
TEST(PostingsTest, RegexShortcutAgreesWithTheRegex) {
  std::mt19937 rng(7);
  const std::string alphabet = "ab-1.|Xx\n";
  std::vector<std::string> values = {"",         "a",         "ab",    "a-1", "pod-123",
                                     "pod-1234", "pod-12345", "pod-2", "x|y", "X"};
  for (int i = 0; i < 2000; i++) {
    std::string v;
    for (int n = rng() % 8; n > 0; n--) v.push_back(alphabet[rng() % alphabet.size()]);
    values.push_back(v);
  }
  const std::vector<std::string> patterns = {
      "a",     "a|ab", "pod-1234.*",  "pod-12.+5", "a.*", ".*", ".+",           "x\\|y",  "(?i)x", "(a|b)-1",
      "[ab]+", "a?b",  "pod-(1|2).*", "\\.*",      "",    "a|", "ab|a-1|pod-2", "a\\n.*", "X+",    "(?s).*1"};
  for (const auto& re : patterns) {
    Matcher m = M(MatchType::kRegexMatch, "l", re);
    RegexShortcut sc = AnalyzeRegex(re);
    for (const auto& v : values) {
      bool match = m.Matches(v);
      if (sc.is_set) {
        EXPECT_EQ(match, std::binary_search(sc.set.begin(), sc.set.end(), v)) << re << " on " << v;
      }
      if (sc.ranged && match) {
        EXPECT_TRUE(sc.min <= v && v <= sc.max)
            << re << " matches " << v << " outside [" << sc.min << ", " << sc.max << "]";
      }
    }
  }
  // The shortcuts are taken where they should be.
  EXPECT_TRUE(AnalyzeRegex("a|b|c").is_set);
  EXPECT_FALSE(AnalyzeRegex("a\\|b").is_set);
  RegexShortcut prefix = AnalyzeRegex("pod-12345.*");
  ASSERT_TRUE(prefix.ranged);
  EXPECT_EQ(prefix.min, "pod-12345");
}

// Every matcher kind on a MemPostings against a brute-force scan of random label sets.
TEST(PostingsTest, SelectAgreesWithBruteForce) {
  std::mt19937 rng(3);
  const std::vector<std::string> names = {"a", "b", "c"};
  const std::vector<std::string> vals = {"", "x", "xy", "y", "y1", "z"};
  std::vector<Labels> series;
  MemPostings p;
  for (uint32_t i = 0; i < 500; i++) {
    std::vector<model::Label> ls{{"__name__", "m"}};
    for (const auto& n : names) ls.push_back({n, vals[rng() % vals.size()]});
    series.emplace_back(std::move(ls));
    p.Add(i, series.back());
  }
  const std::vector<std::string> res = {"", "x", "x.*", "y|z", ".*", ".+", "y1?", "[xz]"};
  for (int k = 0; k < 500; k++) {
    std::vector<Matcher> ms;
    for (int j = 1 + rng() % 3; j > 0; j--) {
      auto t = static_cast<MatchType>(rng() % 4);
      bool regex = t == MatchType::kRegexMatch || t == MatchType::kRegexNoMatch;
      ms.push_back(
          M(t, names[rng() % names.size()], regex ? res[rng() % res.size()] : vals[rng() % vals.size()]));
    }
    Postings want;
    for (uint32_t i = 0; i < series.size(); i++) {
      bool ok = true;
      for (const auto& m : ms) ok = ok && m.Matches(series[i].Get(m.name()));
      if (ok) want.push_back(i);
    }
    std::string desc;
    for (const auto& m : ms) desc += m.ToString() + " ";
    EXPECT_EQ(SelectPostings(p, ms), want) << desc;
  }
}

}  // namespace
}  // namespace sremon::tsdb
