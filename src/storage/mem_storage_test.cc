#include "storage/mem_storage.h"

#include <gtest/gtest.h>

namespace sremon::storage {
namespace {

using model::Labels;
using model::Matcher;
using model::MatchType;

std::vector<model::Sample> ReadAll(const Series& s) {
  std::vector<model::Sample> out;
  auto it = s.Iterator();
  while (it->Next()) out.push_back(it->At());
  return out;
}

TEST(MemStorageTest, SelectSortedWithMatchersAndRange) {
  MemStorage db;
  auto app = db.NewAppender();
  Labels a{{"__name__", "up"}, {"job", "b"}};
  Labels b{{"__name__", "up"}, {"job", "a"}};
  Labels c{{"__name__", "other"}, {"job", "a"}};
  for (int t = 0; t < 10; ++t) {
    ASSERT_TRUE(app->Append(a, t * 1000, t).ok());
    ASSERT_TRUE(app->Append(b, t * 1000, -t).ok());
    ASSERT_TRUE(app->Append(c, t * 1000, 1).ok());
  }
  // Nothing visible before Commit.
  EXPECT_EQ(db.NumSeries(), 0u);
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(db.NumSeries(), 3u);
  EXPECT_EQ(db.NumSamples(), 30u);

  auto q = db.NewQuerier(2000, 5000);
  ASSERT_TRUE(q.ok());
  auto m = Matcher::Make(MatchType::kEqual, "__name__", "up");
  ASSERT_TRUE(m.ok());
  auto set = (*q)->Select(true, SelectHints{}, {*m});
  std::vector<Labels> got;
  while (set->Next()) {
    got.push_back(set->At().labels());
    auto samples = ReadAll(set->At());
    ASSERT_EQ(samples.size(), 4u);
    EXPECT_EQ(samples.front().t, 2000);
    EXPECT_EQ(samples.back().t, 5000);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], b);  // job="a" sorts first
  EXPECT_EQ(got[1], a);

  auto re = Matcher::Make(MatchType::kRegexMatch, "job", "a|x");
  auto values = (*q)->LabelValues("__name__", {*re});
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, (std::vector<std::string>{"other", "up"}));
  auto names = (*q)->LabelNames({});
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "job"}));
}

TEST(MemStorageTest, SeekAndOutOfOrder) {
  MemStorage db;
  Labels a{{"__name__", "x"}};
  auto app = db.NewAppender();
  for (int t : {0, 10, 20, 30}) ASSERT_TRUE(app->Append(a, t, t).ok());
  ASSERT_TRUE(app->Commit().ok());
  app = db.NewAppender();
  // MemStorage checks order at Commit(), so every Append() is ok.
  EXPECT_TRUE(app->Append(a, 30, 30).ok());  // identical duplicate: accepted
  EXPECT_TRUE(app->Append(a, 5, 1).ok());    // out of order: rejected by the commit
  EXPECT_TRUE(app->Append(a, 40, 40).ok());
  EXPECT_FALSE(app->Commit().ok());
  EXPECT_EQ(db.NumSamples(), 5u);

  auto q = db.NewQuerier(kMinTime, kMaxTime);
  auto set = (*q)->Select(false, SelectHints{}, {*Matcher::Make(MatchType::kEqual, "__name__", "x")});
  ASSERT_TRUE(set->Next());
  auto it = set->At().Iterator();
  ASSERT_TRUE(it->Seek(11));
  EXPECT_EQ(it->At().t, 20);
  ASSERT_TRUE(it->Seek(5));  // never moves backwards
  EXPECT_EQ(it->At().t, 20);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->At().t, 30);
  EXPECT_FALSE(it->Seek(41));
  db.Clear();
  EXPECT_EQ(db.NumSeries(), 0u);
}

// The batch read returns what Seek()/Next() visit (the seam's default implementation), for
// windows inside, across and outside the querier's range.
TEST(MemStorageTest, AppendRangeMatchesSeekNext) {
  MemStorage db;
  Labels a{{"__name__", "x"}};
  auto app = db.NewAppender();
  for (int t = 0; t <= 100; t += 5) ASSERT_TRUE(app->Append(a, t, t == 50 ? model::StaleNaN() : t).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto q = db.NewQuerier(20, 80);
  for (int64_t mint = -10; mint <= 110; mint += 7) {
    for (int64_t maxt = mint - 5; maxt <= 110; maxt += 6) {
      auto set = (*q)->Select(false, SelectHints{}, {*Matcher::Make(MatchType::kEqual, "__name__", "x")});
      ASSERT_TRUE(set->Next());
      std::vector<model::Sample> want, got = {{-1, 0}};
      set->At().Iterator()->SampleIterator::AppendRange(mint, maxt, &want);
      EXPECT_EQ(set->At().Iterator()->AppendRange(mint, maxt, &got), want.size());
      ASSERT_EQ(got.size(), want.size() + 1) << mint << " " << maxt;
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i + 1].t, want[i].t);
        EXPECT_EQ(model::IsStaleNaN(got[i + 1].v), model::IsStaleNaN(want[i].v));
        if (!model::IsStaleNaN(want[i].v)) EXPECT_EQ(got[i + 1].v, want[i].v);
      }
    }
  }
}

}  // namespace
}  // namespace sremon::storage
