// FaultInjectionEnv's model of a crash: what PowerLoss() keeps is what the journal and queue
// tests rely on, so it is pinned here.
#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "util/fault_injection_env.h"

namespace sremon {
namespace {

struct TmpDir {
  TmpDir() {
    char tmpl[] = "/tmp/sremon-env-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TmpDir() { std::filesystem::remove_all(path); }
  std::string path;
};

std::string Contents(Env* env, const std::string& path) {
  std::string out;
  if (!env->FileExists(path)) return "<absent>";
  EXPECT_TRUE(env->ReadFile(path, &out).ok());
  return out;
}

TEST(FaultInjectionEnv, PowerLossKeepsOnlySyncedDataAndNames) {
  TmpDir tmp;
  FaultInjectionEnv env(Env::Default());
  std::string old_file = tmp.path + "/old", new_file = tmp.path + "/new", unnamed = tmp.path + "/unnamed";
  auto write = [&](const std::string& path, bool truncate, std::string_view synced, std::string_view unsynced) {
    auto f = env.NewWritableFile(path, truncate);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(synced).ok());
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Append(unsynced).ok());
  };
  write(old_file, true, "a", "b");
  ASSERT_TRUE(env.SyncDir(tmp.path).ok());
  write(old_file, false, "c", "d");  // reopened for appending
  write(new_file + ".tmp", true, "n", "");
  ASSERT_TRUE(env.RenameFile(new_file + ".tmp", new_file).ok());
  write(unnamed, true, "u", "");  // created after the directory's last fsync
  EXPECT_EQ(Contents(&env, old_file), "abcd");
  ASSERT_TRUE(env.PowerLoss().ok());
  EXPECT_EQ(Contents(&env, old_file), "abc");  // the fsync of "c" made "b" durable too
  EXPECT_EQ(Contents(&env, new_file), "n");
  EXPECT_EQ(Contents(&env, unnamed), "<absent>");

  // A rename before fsync leaves an empty file, as ext4 can.
  write(new_file + ".tmp", true, "", "unsynced");
  ASSERT_TRUE(env.RenameFile(new_file + ".tmp", new_file).ok());
  ASSERT_TRUE(env.PowerLoss().ok());
  EXPECT_EQ(Contents(&env, new_file), "");
}

TEST(FaultInjectionEnv, InjectedFailures) {
  TmpDir tmp;
  FaultInjectionEnv env(Env::Default());
  std::string path = tmp.path + "/f";
  auto f = env.NewWritableFile(path, true);
  ASSERT_TRUE(f.ok());
  env.SetFull(true);
  env.SetPartialBytes(2);
  Status st = (*f)->Append("abcdef");
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_EQ((*f)->Size(), 2u);  // the short write
  EXPECT_FALSE(env.NewWritableFile(path + "2", true).ok());
  env.SetFull(false);
  env.SetSyncFails(true);
  EXPECT_TRUE((*f)->Append("x").ok());
  EXPECT_NE((*f)->Sync().message().find("Input/output error"), std::string::npos);
  EXPECT_FALSE(env.SyncDir(tmp.path).ok());
  env.SetSyncFails(false);
  env.SetCrashBeforeRename(true);
  EXPECT_FALSE(env.RenameFile(path, path + ".new").ok());
  EXPECT_TRUE(env.crashed());
  EXPECT_FALSE((*f)->Append("y").ok());  // the dead process writes nothing more
  EXPECT_EQ(Contents(&env, path), "abx");
  env.Restart();
  EXPECT_TRUE((*f)->Append("z").ok());
  EXPECT_EQ(Contents(&env, path), "abxz");
}

}  // namespace
}  // namespace sremon
