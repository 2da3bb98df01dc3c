// The journal under injected faults (util/fault_injection_env.h): disk full with a short write,
// failed fsync, a crash before the snapshot's rename, and power loss. The contract: a record
// whose Append returned ok (with sync, for power loss) is there after reopening; a failed
// append is reported and leaves nothing behind; a torn tail is cut.
#include "alertmanager/journal.h"

#include <fstream>

#include <gtest/gtest.h>

#include "testutil/testutil.h"
#include "util/fault_injection_env.h"

namespace sremon::alertmanager {
namespace {

std::vector<std::string> Records(Env* env, const std::string& dir) {
  std::vector<std::string> got;
  Journal j(env);
  Status st = j.Open(dir, "x", [&](const std::string& r) { got.push_back(r); });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return got;
}

using Recs = std::vector<std::string>;

TEST(Journal, TornTailIsCut) {
  testutil::TempDir tmp;
  std::string dir = tmp.path();
  {
    Journal j;
    ASSERT_TRUE(j.Open(dir, "x", [](const std::string&) {}).ok());
    ASSERT_TRUE(j.Append("{\"a\":1}", true).ok());
    ASSERT_TRUE(j.Append("{\"a\":2}", true).ok());
  }
  {
    std::ofstream f(dir + "/x.log", std::ios::app);
    f << "deadbeef {\"a\":3";  // a write cut short by kill -9
  }
  std::vector<std::string> got;
  Journal j;
  ASSERT_TRUE(j.Open(dir, "x", [&](const std::string& r) { got.push_back(r); }).ok());
  EXPECT_EQ(got, (Recs{"{\"a\":1}", "{\"a\":2}"}));
  ASSERT_TRUE(j.Append("{\"a\":4}", false).ok());
  ASSERT_TRUE(j.Compact({"{\"a\":9}"}).ok());
  EXPECT_EQ(Records(Env::Default(), dir), (Recs{"{\"a\":9}"}));
}

// Regression: the partial line of a failed append stayed in the log, so the next record was
// written behind it and cut with it at the next start (acknowledged, then lost).
TEST(Journal, DiskFullShortWriteIsCutBeforeTheNextRecord) {
  testutil::TempDir tmp;
  FaultInjectionEnv env(Env::Default());
  {
    Journal j(&env);
    ASSERT_TRUE(j.Open(tmp.path(), "x", [](const std::string&) {}).ok());
    ASSERT_TRUE(j.Append("one", true).ok());
    env.SetFull(true);
    env.SetPartialBytes(6);
    Status st = j.Append("two two two", true);
    EXPECT_EQ(st.code(), Status::Code::kUnavailable);
    EXPECT_NE(st.message().find("No space left on device"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("x.log"), std::string::npos) << st.message();
    env.SetFull(false);
    ASSERT_TRUE(j.Append("three", true).ok());
  }
  EXPECT_EQ(Records(&env, tmp.path()), (Recs{"one", "three"}));
}

TEST(Journal, FailedFsyncIsReportedAndTheRecordNotKept) {
  testutil::TempDir tmp;
  FaultInjectionEnv env(Env::Default());
  {
    Journal j(&env);
    ASSERT_TRUE(j.Open(tmp.path(), "x", [](const std::string&) {}).ok());
    ASSERT_TRUE(j.Append("one", true).ok());
    env.SetSyncFails(true);
    Status st = j.Append("two", true);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("Input/output error"), std::string::npos) << st.message();
    ASSERT_TRUE(j.Append("three", false).ok());  // no fsync asked: nothing fails
    env.SetSyncFails(false);
    ASSERT_TRUE(j.Append("four", true).ok());
  }
  ASSERT_TRUE(env.PowerLoss().ok());
  EXPECT_EQ(Records(&env, tmp.path()), (Recs{"one", "three", "four"}));
}

// Records appended with sync survive a power loss, from the very first one (the new log's
// directory entry is fsynced too).
TEST(Journal, SyncedRecordsSurvivePowerLoss) {
  testutil::TempDir tmp;
  std::string dir = tmp.File("state");
  FaultInjectionEnv env(Env::Default());
  {
    Journal j(&env);
    ASSERT_TRUE(j.Open(dir, "x", [](const std::string&) {}).ok());
    ASSERT_TRUE(j.Append("one", true).ok());
    ASSERT_TRUE(j.Append("two", false).ok());  // not synced: may be lost
    ASSERT_TRUE(j.Append("three", true).ok());
    ASSERT_TRUE(j.Append("four", false).ok());
  }
  ASSERT_TRUE(env.PowerLoss().ok());
  EXPECT_EQ(Records(&env, dir), (Recs{"one", "two", "three"}));
}

// Compaction under faults: disk full, failed fsync and a crash before the rename each leave the
// previous snapshot and log in place; a completed compaction survives a power loss.
TEST(Journal, CompactionFaultsKeepEverything) {
  testutil::TempDir tmp;
  FaultInjectionEnv env(Env::Default());
  auto open = [&](Journal* j) { ASSERT_TRUE(j->Open(tmp.path(), "x", [](const std::string&) {}).ok()); };
  {
    Journal j(&env);
    open(&j);
    ASSERT_TRUE(j.Append("a", true).ok());
    ASSERT_TRUE(j.Compact({"a"}).ok());
    ASSERT_TRUE(j.Append("b", true).ok());
    env.SetFull(true);
    EXPECT_EQ(j.Compact({"a", "b"}).code(), Status::Code::kUnavailable);
    env.SetFull(false);
    env.SetSyncFails(true);
    EXPECT_FALSE(j.Compact({"a", "b"}).ok());
    env.SetSyncFails(false);
    ASSERT_TRUE(j.Append("c", true).ok());
  }
  ASSERT_TRUE(env.PowerLoss().ok());
  EXPECT_EQ(Records(&env, tmp.path()), (Recs{"a", "b", "c"}));
  {
    Journal j(&env);
    open(&j);
    env.SetCrashBeforeRename(true);
    EXPECT_FALSE(j.Compact({"a", "b", "c"}).ok());
    EXPECT_TRUE(env.crashed());
  }
  ASSERT_TRUE(env.PowerLoss().ok());  // the crash, then the machine goes down too
  EXPECT_EQ(Records(&env, tmp.path()), (Recs{"a", "b", "c"}));
  {
    Journal j(&env);
    open(&j);
    ASSERT_TRUE(j.Compact({"a", "b", "c"}).ok());
    ASSERT_TRUE(j.Append("d", true).ok());
  }
  ASSERT_TRUE(env.PowerLoss().ok());
  EXPECT_EQ(Records(&env, tmp.path()), (Recs{"a", "b", "c", "d"}));
}

}  // namespace
}  // namespace sremon::alertmanager
