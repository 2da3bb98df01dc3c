#include "tsdb/wal.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testutil/testutil.h"
#include "util/fault_injection_env.h"

namespace sremon::tsdb {
namespace {

std::vector<std::string> ReplayAll(const std::string& dir, WalReplayStats* stats = nullptr) {
  std::vector<std::string> out;
  WalReplayStats local;
  EXPECT_TRUE(Wal::Replay(Env::Default(), dir, [&](std::string_view r) { out.emplace_back(r); }, stats ? stats : &local).ok());
  return out;
}

TEST(WalTest, AppendReplay) {
  testutil::TempDir tmp;
  std::string dir = tmp.File("wal");
  {
    auto wal = Wal::Open(Env::Default(), dir);
    ASSERT_TRUE(wal.ok());
    for (int i = 0; i < 100; i++) ASSERT_TRUE((*wal)->Append("record " + std::to_string(i)).ok());
    ASSERT_TRUE((*wal)->Sync().ok());
  }
  auto recs = ReplayAll(dir);
  ASSERT_EQ(recs.size(), 100u);
  EXPECT_EQ(recs[42], "record 42");
}

TEST(WalTest, SegmentsRotateAndRemove) {
  testutil::TempDir tmp;
  std::string dir = tmp.File("wal");
  auto wal = Wal::Open(Env::Default(), dir, /*segment_bytes=*/100);
  ASSERT_TRUE(wal.ok());
  for (int i = 0; i < 50; i++) ASSERT_TRUE((*wal)->Append(std::string(30, 'a' + i % 26)).ok());
  auto seg = (*wal)->Rotate();
  ASSERT_TRUE(seg.ok());
  ASSERT_TRUE((*wal)->Append("after").ok());
  EXPECT_EQ(ReplayAll(dir).size(), 51u);
  ASSERT_TRUE((*wal)->RemoveBefore(*seg).ok());
  auto recs = ReplayAll(dir);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0], "after");
}

// A record cut in the middle (kill -9 during write) or a flipped byte ends its segment; the
// records before it survive, the file is cut, and later segments are still replayed.
TEST(WalTest, TornAndCorruptTailsAreCut) {
  auto check = [](int damage) {
    testutil::TempDir tmp;
    std::string dir = tmp.File("wal");
    {
      auto wal = Wal::Open(Env::Default(), dir);
      ASSERT_TRUE(wal.ok());
      for (int i = 0; i < 10; i++) ASSERT_TRUE((*wal)->Append(std::string(100, 'x') + std::to_string(i)).ok());
    }
    std::string seg = dir + "/00000001.seg";
    std::string data = testutil::ReadFile(seg);
    if (damage == 0) data.resize(data.size() - 50);        // torn last record
    if (damage == 1) data[data.size() - 20] ^= 0x40;       // bit flip in the last record
    if (damage == 2) data.resize(data.size() - 109 + 3);   // torn header
    testutil::WriteFile(seg, data);
    {
      auto wal = Wal::Open(Env::Default(), dir);  // writes segment 2
      ASSERT_TRUE(wal.ok());
      ASSERT_TRUE((*wal)->Append("next segment").ok());
    }
    WalReplayStats stats;
    auto recs = ReplayAll(dir, &stats);
    ASSERT_EQ(recs.size(), 10u) << damage;
    EXPECT_EQ(recs[8], std::string(100, 'x') + "8");
    EXPECT_EQ(recs[9], "next segment");
    EXPECT_EQ(stats.truncated_segments, 1u);
    // The cut is persistent: a second replay finds nothing to cut.
    WalReplayStats again;
    EXPECT_EQ(ReplayAll(dir, &again).size(), 10u);
    EXPECT_EQ(again.truncated_segments, 0u);
  };
  check(0);
  check(1);
  check(2);
}

TEST(WalTest, DiskFullCutsPartialRecordAndRecovers) {
  testutil::TempDir tmp;
  std::string dir = tmp.File("wal");
  FaultInjectionEnv env(Env::Default());
  auto wal = Wal::Open(&env, dir);
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE((*wal)->Append("one").ok());
  env.SetFull(true);
  env.SetPartialBytes(5);
  Status st = (*wal)->Append("two two two");
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_NE(st.message().find("No space left"), std::string::npos) << st.message();
  env.SetFull(false);
  ASSERT_TRUE((*wal)->Append("three").ok());
  WalReplayStats stats;
  auto recs = ReplayAll(dir, &stats);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1], "three");
  EXPECT_EQ(stats.truncated_segments, 0u);
}

}  // namespace
}  // namespace sremon::tsdb
