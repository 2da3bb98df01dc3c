#include "dashboards/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "util/time.h"

namespace sremon::dashboards {
namespace {

std::unique_ptr<Store> OpenMem() {
  auto s = Store::Open(":memory:");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(*s);
}

TEST(Store, Users) {
  auto s = OpenMem();
  auto u = s->CreateUser({0, "admin", "a@x", "Admin", "$hash", true});
  ASSERT_TRUE(u.ok());
  EXPECT_GT(u->id, 0);
  EXPECT_FALSE(s->CreateUser({0, "admin", "", "", "$h", false}).ok()) << "login is unique";
  auto got = s->UserByLogin("admin");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->password_hash, "$hash");
  EXPECT_TRUE(got->is_admin);
  ASSERT_TRUE(s->SetPasswordHash(u->id, "$new").ok());
  EXPECT_EQ(s->UserById(u->id)->password_hash, "$new");
  EXPECT_EQ(s->UserByLogin("nobody").status().code(), Status::Code::kNotFound);
}

TEST(Store, SessionsExpireAndDelete) {
  auto s = OpenMem();
  auto u = s->CreateUser({0, "admin", "", "", "$h", true});
  int64_t now = NowMs();
  ASSERT_TRUE(s->CreateSession("d1", u->id, now + 1000).ok());
  ASSERT_TRUE(s->CreateSession("d2", u->id, now + 1000).ok());
  EXPECT_EQ(*s->SessionUser("d1", now), u->id);
  EXPECT_FALSE(s->SessionUser("d1", now + 2000).ok()) << "expired";
  EXPECT_FALSE(s->SessionUser("zz", now).ok());
  ASSERT_TRUE(s->DeleteUserSessions(u->id, "d1").ok());
  EXPECT_TRUE(s->SessionUser("d1", now).ok());
  EXPECT_FALSE(s->SessionUser("d2", now).ok());
  ASSERT_TRUE(s->DeleteSession("d1").ok());
  EXPECT_FALSE(s->SessionUser("d1", now).ok());
}

TEST(Store, DashboardVersionsAndOptimisticLocking) {
  auto s = OpenMem();
  SaveDashboard save;
  save.uid = "abc";
  save.title = "First";
  save.data = R"({"title":"First","uid":"abc"})";
  save.created_by = "admin";
  auto d1 = s->Save(save);
  ASSERT_TRUE(d1.ok()) << d1.status().ToString();
  EXPECT_EQ(d1->version, 1);
  save.title = "Second";
  save.data = R"({"title":"Second","uid":"abc"})";
  save.base_version = 1;
  auto d2 = s->Save(save);
  ASSERT_TRUE(d2.ok());
  EXPECT_EQ(d2->version, 2);
  EXPECT_EQ(d2->id, d1->id);
  save.base_version = 1;  // stale
  auto d3 = s->Save(save);
  ASSERT_FALSE(d3.ok());
  EXPECT_EQ(d3.status().message(), "version-mismatch");
  EXPECT_EQ(s->DashboardByUid("abc")->title, "Second");
  auto versions = s->Versions("abc");
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].version, 2);
  EXPECT_EQ(s->Version("abc", 1)->data, R"({"title":"First","uid":"abc"})");
  EXPECT_EQ(s->ListDashboards()->size(), 1u);
  ASSERT_TRUE(s->DeleteDashboard("abc").ok());
  EXPECT_EQ(s->DeleteDashboard("abc").code(), Status::Code::kNotFound);
  EXPECT_TRUE(s->Versions("abc")->empty()) << "versions go with the dashboard";
}

TEST(Store, FoldersAndPreferences) {
  auto s = OpenMem();
  ASSERT_TRUE(s->CreateFolder("f1", "Ops").ok());
  EXPECT_FALSE(s->CreateFolder("f1", "Other").ok());
  EXPECT_EQ(s->FolderByTitle("Ops")->uid, "f1");
  EXPECT_EQ(s->FolderByUid("f1")->title, "Ops");
  EXPECT_EQ(s->ListFolders()->size(), 1u);
  auto u = s->CreateUser({0, "admin", "", "", "$h", true});
  EXPECT_EQ(*s->Preferences(u->id), "{}");
  ASSERT_TRUE(s->SetPreferences(u->id, R"({"theme":"dark"})").ok());
  ASSERT_TRUE(s->SetPreferences(u->id, R"({"theme":"light"})").ok());
  EXPECT_EQ(*s->Preferences(u->id), R"({"theme":"light"})");
}

TEST(Store, PersistsAcrossReopen) {
  auto dir = std::filesystem::temp_directory_path() / ("sremon_store_test_" + std::to_string(NowMs()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "grafana.db").string();
  {
    auto s = Store::Open(path);
    ASSERT_TRUE(s.ok());
    SaveDashboard save;
    save.uid = "keep";
    save.title = "Kept";
    save.data = "{}";
    ASSERT_TRUE((*s)->Save(save).ok());
  }
  {
    auto s = Store::Open(path);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->DashboardByUid("keep")->title, "Kept");
  }
  EXPECT_FALSE(Store::Open((dir / "missing" / "x.db").string()).ok());
  std::filesystem::remove_all(dir);
}

// The database holds password hashes and session digests: only its owner may read it, and
// SQLite's WAL and shared-memory files follow the database file's mode.
TEST(Store, DatabaseFileIsCreatedOwnerOnly) {
  auto dir = std::filesystem::temp_directory_path() / ("sremon_store_mode_" + std::to_string(NowMs()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "grafana.db").string();
  mode_t old_umask = ::umask(0);  // the widest a process could get: the mode must come from us
  auto s = Store::Open(path);
  ::umask(old_umask);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->CreateUser({0, "admin", "", "", "$hash", true}).ok());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st {};
    ASSERT_EQ(::stat((path + suffix).c_str(), &st), 0) << path << suffix;
    EXPECT_EQ(st.st_mode & 0777, 0600) << path << suffix;
  }
  s->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sremon::dashboards
