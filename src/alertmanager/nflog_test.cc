// The notification log on its own, on a manual clock: entries per (receiver integration, group),
// replaced by the next notification, dropped once expired, kept across restarts. The dedup
// decisions that read it are in dispatch_test.cc (PipelineDedup).
#include "alertmanager/nflog.h"

#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace sremon::alertmanager {
namespace {

NflogEntry Entry(std::string receiver, std::string group, std::set<uint64_t> firing,
                 std::set<uint64_t> resolved, int64_t at, int64_t expires) {
  return {std::move(receiver), std::move(group), std::move(firing), std::move(resolved), at, expires};
}

TEST(Nflog, KeyedByReceiverAndGroupLatestWins) {
  NotificationLog log;
  ASSERT_TRUE(log.Open("").ok());
  ASSERT_TRUE(log.Log(Entry("r/webhook/0", "g1", {1, 2}, {}, 100, 1000)).ok());
  ASSERT_TRUE(log.Log(Entry("r/webhook/1", "g1", {3}, {}, 100, 1000)).ok());
  ASSERT_TRUE(log.Log(Entry("r/webhook/0", "g2", {4}, {}, 100, 1000)).ok());
  ASSERT_TRUE(log.Log(Entry("r/webhook/0", "g1", {2}, {1}, 200, 2000)).ok());
  EXPECT_EQ(log.size(), 3u);
  NflogEntry e;
  ASSERT_TRUE(log.Query("r/webhook/0", "g1", &e));
  EXPECT_EQ(e.firing, (std::set<uint64_t>{2}));
  EXPECT_EQ(e.resolved, (std::set<uint64_t>{1}));
  EXPECT_EQ(e.timestamp, 200);
  ASSERT_TRUE(log.Query("r/webhook/1", "g1", &e));
  EXPECT_EQ(e.firing, (std::set<uint64_t>{3}));
  EXPECT_FALSE(log.Query("r/email/0", "g1", &e));
  EXPECT_FALSE(log.Query("r/webhook/0", "g3", &e));
}

TEST(Nflog, MaintenanceDropsExpiredEntries) {
  int64_t now = 1000;
  NotificationLog log([&] { return now; });
  ASSERT_TRUE(log.Open("").ok());
  ASSERT_TRUE(log.Log(Entry("r/webhook/0", "short", {1}, {}, 0, 1500)).ok());
  ASSERT_TRUE(log.Log(Entry("r/webhook/0", "long", {1}, {}, 0, 5000)).ok());
  log.Maintenance();
  EXPECT_EQ(log.size(), 2u);
  now = 1501;
  log.Maintenance();
  NflogEntry e;
  EXPECT_FALSE(log.Query("r/webhook/0", "short", &e));
  EXPECT_TRUE(log.Query("r/webhook/0", "long", &e));
  now = 5001;
  log.Maintenance();
  EXPECT_EQ(log.size(), 0u);
}

TEST(Nflog, SurvivesReopenAndCompaction) {
  testutil::TempDir dir;
  int64_t now = 1000;
  uint64_t big = 0xfedcba9876543210ULL;  // fingerprints use all 64 bits
  {
    NotificationLog log([&] { return now; });
    ASSERT_TRUE(log.Open(dir.path()).ok());
    ASSERT_TRUE(log.Log(Entry("r/webhook/0", "{}:{a=\"b\"}", {big}, {7}, 900, 2000)).ok());
    ASSERT_TRUE(log.Log(Entry("r/webhook/0", "gone", {1}, {}, 900, 1100)).ok());
  }
  {
    NotificationLog log([&] { return now; });
    ASSERT_TRUE(log.Open(dir.path()).ok());
    EXPECT_EQ(log.size(), 2u);
    NflogEntry e;
    ASSERT_TRUE(log.Query("r/webhook/0", "{}:{a=\"b\"}", &e));
    EXPECT_EQ(e.firing, (std::set<uint64_t>{big}));
    EXPECT_EQ(e.resolved, (std::set<uint64_t>{7}));
    EXPECT_EQ(e.timestamp, 900);
    EXPECT_EQ(e.expires_at, 2000);
    now = 1200;
    log.Maintenance();  // drops "gone" from the files too
  }
  NotificationLog log([&] { return now; });
  ASSERT_TRUE(log.Open(dir.path()).ok());
  EXPECT_EQ(log.size(), 1u);
}

}  // namespace
}  // namespace sremon::alertmanager
