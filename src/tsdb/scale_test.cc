// The index at many series: matcher selection in the head and in blocks against a brute-force
// scan, and a flush plus restart at a few hundred thousand series (correctness; the time limit
// only catches work that grows faster than the number of series, such as sorted inserts).
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>
#include <set>

#include "testutil/testutil.h"
#include "tsdb/db.h"

namespace sremon::tsdb {
namespace {

using model::Labels;
using model::Matcher;
using model::MatchType;

constexpr int64_t kT0 = 1'700'000'000'000LL;
int64_t FakeNow() { return kT0 + 3600 * 1000; }

Options TestOptions(const std::string& dir) {
  Options o;
  o.dir = dir;
  o.background = false;
  o.now_ms = &FakeNow;
  o.max_head_samples = UINT64_MAX;
  return o;
}

std::unique_ptr<DB> OpenDB(const std::string& dir) {
  auto db = DB::Open(TestOptions(dir));
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(*db) : nullptr;
}

std::set<std::string> Select(DB* db, const std::vector<Matcher>& ms) {
  auto q = db->NewQuerier(storage::kMinTime, storage::kMaxTime);
  EXPECT_TRUE(q.ok());
  auto set = (*q)->Select(true, {}, ms);
  std::set<std::string> out;
  while (set->Next()) out.insert(set->At().labels().ToString());
  return out;
}

std::string Describe(const std::vector<Matcher>& ms) {
  std::string s;
  for (const auto& m : ms) s += m.ToString() + " ";
  return s;
}

// Random label sets over a few names with small value alphabets (labels may be absent, values
// share prefixes), and random matchers of every kind, including empty values and negations.
TEST(IndexScaleTest, SelectMatchesBruteForceInHeadAndBlocks) {
  std::mt19937 rng(42);
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  const std::vector<std::string> values = {"x", "xy", "xyz", "y", "y1", "y10", "z", "", "x|y", "foo"};
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  std::vector<Labels> series;
  std::set<std::string> seen;
  for (int i = 0; i < 2000; i++) {
    std::vector<model::Label> ls{{"__name__", i % 3 ? "m1" : "m2"}};
    for (const auto& n : names) {
      if (rng() % 4) ls.push_back({n, pick(values)});
    }
    ls.push_back({"u", std::to_string(rng() % 500)});
    Labels l(std::move(ls));
    if (seen.insert(l.ToString()).second) series.push_back(std::move(l));
  }
  const std::vector<std::string> patterns = {"",    "x",    "x.*",    "xy.*",    "y1.*",  ".*",
                                             ".+",  "x|y",  "y|z",    "(x|y)1?", "x\\|y", "1.*",
                                             "foo", "y.*0", "[xz].*", "(?i)X"};
  std::vector<std::vector<Matcher>> cases;
  for (int i = 0; i < 200; i++) {
    std::vector<Matcher> ms;
    int n = 1 + rng() % 3;
    for (int j = 0; j < n; j++) {
      auto type = static_cast<MatchType>(rng() % 4);
      bool regex = type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch;
      std::string name = rng() % 6 == 0 ? "u" : pick(names);
      std::string value = regex ? pick(patterns) : pick(values);
      if (name == "u" && !regex) value = std::to_string(rng() % 500);
      auto m = Matcher::Make(type, name, value);
      ASSERT_TRUE(m.ok()) << m.status().ToString();
      ms.push_back(*m);
    }
    cases.push_back(std::move(ms));
  }
  auto brute = [&](const std::vector<Matcher>& ms) {
    std::set<std::string> out;
    for (const auto& l : series) {
      bool ok = true;
      for (const auto& m : ms) ok = ok && m.Matches(l.Get(m.name()));
      if (ok) out.insert(l.ToString());
    }
    return out;
  };
  testutil::TempDir tmp;
  auto db = OpenDB(tmp.path());
  {
    auto app = db->NewAppender();
    for (const auto& l : series) ASSERT_TRUE(app->Append(l, kT0, 1).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  auto check_all = [&](DB* d, const char* where) {
    for (const auto& ms : cases) {
      EXPECT_EQ(Select(d, ms), brute(ms)) << where << ": " << Describe(ms);
    }
  };
  check_all(db.get(), "head");
  ASSERT_TRUE(db->ForceFlush().ok());
  check_all(db.get(), "after flush");
  ASSERT_TRUE(db->Close().ok());
  db = OpenDB(tmp.path());
  check_all(db.get(), "block after restart");
  // Label values with and without matchers, from the block.
  auto q = db->NewQuerier(storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(q.ok());
  for (const auto& n : names) {
    std::set<std::string> want;
    for (const auto& l : series) {
      if (!l.Get(n).empty()) want.insert(std::string(l.Get(n)));
    }
    auto got = (*q)->LabelValues(n, {});
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(std::set<std::string>(got->begin(), got->end()), want) << n;
  }
}

// A few hundred thousand series, one unique label value each, listed in an order unrelated to
// that value (as a pod label is): flush, restart, and every series and sample answers.
TEST(IndexScaleTest, FlushAndRestartAtScale) {
  constexpr int kSeries = 200'000;
  auto labels = [](int i) {
    return Labels{{"__name__", "card_test"},
                  {"host", "h" + std::to_string(i % 1000)},
                  {"pod", "pod-" + std::to_string(i)},
                  {"container", "c" + std::to_string(i % 7)},
                  {"region", "r" + std::to_string(i % 10)}};
  };
  testutil::TempDir tmp;
  auto db = OpenDB(tmp.path());
  {
    auto app = db->NewAppender();
    for (int i = 0; i < kSeries; i++) {
      for (int k = 0; k < 2; k++) ASSERT_TRUE(app->Append(labels(i), kT0 + k * 15000, i + k).ok());
      if (i % 10000 == 9999) ASSERT_TRUE(app->Commit().ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  // CPU time, not wall time: the machine may be shared.
  std::clock_t start = std::clock();
  ASSERT_TRUE(db->ForceFlush().ok());
  ASSERT_TRUE(db->Close().ok());
  db.reset();
  db = OpenDB(tmp.path());
  ASSERT_TRUE(db);
  double secs = double(std::clock() - start) / CLOCKS_PER_SEC;
  // Linear work takes a second or two here; the old sorted inserts took half a minute.
  EXPECT_LT(secs, 15) << "CPU seconds to flush + reopen " << kSeries << " series";
  std::printf("flush + reopen of %d series: %.2f CPU s\n", kSeries, secs);
  auto q = db->NewQuerier(storage::kMinTime, storage::kMaxTime);
  ASSERT_TRUE(q.ok());
  auto set = (*q)->Select(true, {}, {*Matcher::Make(MatchType::kEqual, "__name__", "card_test")});
  std::vector<bool> found(kSeries);  // each series once
  int n = 0;
  while (set->Next()) {
    const Labels& l = set->At().labels();
    int i = std::stoi(std::string(l.Get("pod")).substr(4));
    ASSERT_EQ(l, labels(i));
    auto it = set->At().Iterator();
    for (int k = 0; k < 2; k++) {
      ASSERT_TRUE(it->Next());
      EXPECT_EQ(it->At().t, kT0 + k * 15000);
      EXPECT_EQ(it->At().v, i + k);
    }
    EXPECT_FALSE(it->Next());
    EXPECT_FALSE(found[i]) << i;
    found[i] = true;
    n++;
  }
  EXPECT_EQ(n, kSeries);
  // Single-series lookups by each label kind.
  for (int i : {0, 1, 12345, kSeries - 1}) {
    auto got = (*q)->Select(true, {}, {*Matcher::Make(MatchType::kEqual, "pod", "pod-" + std::to_string(i))});
    ASSERT_TRUE(got->Next());
    EXPECT_EQ(got->At().labels(), labels(i));
    EXPECT_FALSE(got->Next());
  }
}

}  // namespace
}  // namespace sremon::tsdb
