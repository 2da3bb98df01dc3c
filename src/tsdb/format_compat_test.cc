// Data directories written by earlier releases keep working (docs/format/tsdb.md, "Versions").
// testdata/v1 was written by the release before the scalable index (commit f58106b):
// `sremon storage` imported testdata/v1/README.md's workload part a, /internal/force_flush made
// blocks/00000001.blk, part b went to the WAL, then kill -9. Every series and sample must answer.
#include <gtest/gtest.h>

#include <filesystem>

#include "testutil/testutil.h"
#include "tsdb/db.h"

namespace sremon::tsdb {
namespace {

using model::Labels;
using model::Matcher;
using model::MatchType;

constexpr int64_t kT0 = 1'700'000'000'000LL;

// The generator the fixture was written with (testdata/v1/README.md).
Labels FixtureLabels(int i) {
  return Labels{{"__name__", "fixture_metric"},
                {"instance", "i" + std::to_string(i % 7)},
                {"job", "j" + std::to_string(i % 3)},
                {"pod", "pod-" + std::to_string(i)}};
}
double FixtureValue(int i, int k) { return k % 3 ? i * 1.5 + k : i * 100 + k; }

TEST(FormatCompatTest, V1DataDirectoryAnswersEverySeriesAndSample) {
  testutil::TempDir tmp;
  std::string dir = tmp.path() + "/data";
  std::filesystem::copy(testutil::SourceDir() + "/src/tsdb/testdata/v1", dir,
                        std::filesystem::copy_options::recursive);
  Options o;
  o.dir = dir;
  o.background = false;
  o.retention_ms = 100LL * 365 * 24 * 3600 * 1000;
  for (int open = 0; open < 2; open++) {  // as found, then after a flush in the current version
    auto db = DB::Open(o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    {
      auto q = (*db)->NewQuerier(storage::kMinTime, storage::kMaxTime);
      ASSERT_TRUE(q.ok());
      auto set = (*q)->Select(true, {}, {*Matcher::Make(MatchType::kEqual, "__name__", "fixture_metric")});
      int n = 0;
      std::vector<bool> seen(65);
      while (set->Next()) {
        const Labels& l = set->At().labels();
        int i = std::stoi(std::string(l.Get("pod")).substr(4));
        ASSERT_TRUE(i >= 0 && i < 65 && !seen[i]) << l.ToString();
        seen[i] = true;
        EXPECT_EQ(l, FixtureLabels(i));
        // Series 0..59: samples 0..7 in the block and 8..15 in the WAL; 60..64: only the WAL.
        int k = i < 60 ? 0 : 8;
        auto it = set->At().Iterator();
        for (; it->Next(); k++) {
          EXPECT_EQ(it->At().t, kT0 + k * 15000) << l.ToString();
          EXPECT_EQ(it->At().v, FixtureValue(i, k)) << l.ToString() << " sample " << k;
        }
        EXPECT_EQ(k, 16) << l.ToString();
        n++;
      }
      EXPECT_EQ(n, 65);
      // The index answers lookups on the old data: one series, a label's values.
      auto one = (*q)->Select(true, {}, {*Matcher::Make(MatchType::kRegexMatch, "pod", "pod-1|pod-61")});
      int found = 0;
      while (one->Next()) found++;
      EXPECT_EQ(found, 2);
      auto values = (*q)->LabelValues("instance", {});
      ASSERT_TRUE(values.ok());
      EXPECT_EQ(*values, (std::vector<std::string>{"i0", "i1", "i2", "i3", "i4", "i5", "i6"}));
    }
    ASSERT_TRUE((*db)->ForceFlush().ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
}

}  // namespace
}  // namespace sremon::tsdb
