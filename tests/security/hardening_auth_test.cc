// Issue 12 §5, optional protection as upstream offers it, against real processes: storage's
// -httpAuth.* and per-action auth keys (VictoriaMetrics' semantics), the alertmanager's
// --web.config.file with a bcrypt user (driven with Debian's amtool when installed), and the
// one warning for a service that listens beyond loopback without auth.
#include <unistd.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "hardening_common.h"

namespace sremon::hardening {
namespace {

using json = nlohmann::json;

std::pair<std::string, std::string> Basic(const std::string& user, const std::string& password) {
  return {"Authorization", "Basic " + http::Base64Encode(user + ":" + password)};
}

size_t ExportedSeries(const Service& s, const std::string& selector) {
  Answer a = Send("GET", s.base + "/api/v1/export?match[]=" + http::UrlEncode(selector) + "&start=0", "",
                  {Basic("vmuser", "vmpass")});
  size_t n = 0;
  for (char c : a.body) n += c == '\n';
  return n;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

TEST(HardeningAuth, StorageBasicAuthAndAuthKeys) {
  testutil::TempDir dir;
  Service vm = Start(dir, "storage", "-httpListenAddr",
                     {"-storageDataPath=" + dir.File("data"), "-httpAuth.username=vmuser", "-httpAuth.password=vmpass",
                      "-deleteAuthKey=del-key", "-forceFlushAuthKey=flush-key"});
  ASSERT_TRUE(vm.child) << testutil::ReadFile(vm.log);
  // Probes stay open; everything else asks for Basic auth.
  EXPECT_EQ(Send("GET", vm.base + "/health").status, 200);
  Answer a = Send("GET", vm.base + "/api/v1/query?query=1");
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(Send("GET", vm.base + "/metrics").status, 401);
  EXPECT_EQ(Send("GET", vm.base + "/api/v1/query?query=1", "", {Basic("vmuser", "wrong")}).status, 401);
  EXPECT_EQ(Send("GET", vm.base + "/api/v1/query?query=1", "", {Basic("other", "vmpass")}).status, 401);
  EXPECT_EQ(Send("GET", vm.base + "/api/v1/query?query=1", "", {Basic("vmuser", "vmpass")}).status, 200);
  EXPECT_EQ(Send("GET", vm.base + "/no/such/path").status, 401);  // no probing for paths either
  EXPECT_EQ(Send("POST", vm.base + "/api/v1/import/prometheus", "auth_probe 1\n").status, 401);
  EXPECT_EQ(ExportedSeries(vm, "auth_probe"), 0u);
  ASSERT_EQ(Send("POST", vm.base + "/api/v1/import/prometheus", "auth_probe 1\n", {Basic("vmuser", "vmpass")}).status, 204);
  EXPECT_EQ(ExportedSeries(vm, "auth_probe"), 1u);

  // -deleteAuthKey: the authKey argument, not Basic auth, guards delete_series.
  const std::string del = vm.base + "/api/v1/admin/tsdb/delete_series";
  a = Send("POST", del, "match[]=auth_probe", {Basic("vmuser", "vmpass"), kForm});
  EXPECT_EQ(a.status, 401);
  EXPECT_NE(a.body.find("Expected to receive non-empty authKey when -deleteAuthKey is set"), std::string::npos) << a.body;
  a = Send("POST", del, "match[]=auth_probe&authKey=guess", {kForm});
  EXPECT_EQ(a.status, 401);
  EXPECT_NE(a.body.find("The provided authKey doesn't match -deleteAuthKey"), std::string::npos) << a.body;
  EXPECT_EQ(Send("POST", del + "?authKey=del-ke", "match[]=auth_probe", {kForm}).status, 401);
  EXPECT_EQ(ExportedSeries(vm, "auth_probe"), 1u) << "delete_series ran with a wrong key";
  EXPECT_EQ(Send("POST", del, "match[]=auth_probe&authKey=del-key", {kForm}).status, 204);
  EXPECT_EQ(ExportedSeries(vm, "auth_probe"), 0u);

  // -forceFlushAuthKey as a query argument on GET; force_merge has no key: Basic auth.
  EXPECT_EQ(Send("GET", vm.base + "/internal/force_flush").status, 401);
  EXPECT_EQ(Send("GET", vm.base + "/internal/force_flush?authKey=nope").status, 401);
  EXPECT_EQ(Send("GET", vm.base + "/internal/force_flush?authKey=flush-key").status, 200);
  EXPECT_EQ(Send("GET", vm.base + "/internal/force_merge").status, 401);
  EXPECT_EQ(Send("GET", vm.base + "/internal/force_merge", "", {Basic("vmuser", "vmpass")}).status, 200);
  // A key does not lift the cross-site check.
  EXPECT_EQ(Send("GET", vm.base + "/internal/force_flush?authKey=flush-key", "", {kCrossSiteFetch}).status, 403);
  // Authenticated and loopback: no exposure warning.
  EXPECT_EQ(Count(testutil::ReadFile(vm.log), "without authentication"), 0u);
}

TEST(HardeningAuth, ReloadAuthKeyOnRulesAndStorage) {
  testutil::TempDir dir;
  Service vm = Start(dir, "storage", "-httpListenAddr", {"-storageDataPath=" + dir.File("data"), "-reloadAuthKey=rk"});
  ASSERT_TRUE(vm.child) << testutil::ReadFile(vm.log);
  EXPECT_EQ(Send("POST", vm.base + "/-/reload").status, 401);
  EXPECT_EQ(Send("POST", vm.base + "/-/reload?authKey=x").status, 401);
  EXPECT_EQ(Send("POST", vm.base + "/-/reload?authKey=rk").status, 200);
  EXPECT_EQ(Send("GET", vm.base + "/api/v1/query?query=1").status, 200);  // no -httpAuth.*: reads stay open

  testutil::WriteFile(dir.File("rules.yml"), "groups: []\n");
  Service rules = Start(dir, "rules", "-httpListenAddr",
                        {"-rule=" + dir.File("rules.yml"), "-datasource.url=" + vm.base, "-reloadAuthKey=rrk",
                         "-httpAuth.username=ru", "-httpAuth.password=rp"});
  ASSERT_TRUE(rules.child) << testutil::ReadFile(rules.log);
  EXPECT_EQ(Send("GET", rules.base + "/api/v1/rules").status, 401);
  EXPECT_EQ(Send("GET", rules.base + "/api/v1/rules", "", {Basic("ru", "rp")}).status, 200);
  EXPECT_EQ(Send("GET", rules.base + "/-/reload", "", {Basic("ru", "rp")}).status, 401);
  EXPECT_EQ(Send("GET", rules.base + "/-/reload?authKey=rrk").status, 200);
}

TEST(HardeningAuth, AlertmanagerWebConfigBcrypt) {
  testutil::TempDir dir;
  std::string hash = Bcrypt("s3cret");
  ASSERT_EQ(hash.rfind("$2y$", 0), 0u) << hash;
  testutil::WriteFile(dir.File("am.yml"), "route:\n  receiver: none\nreceivers:\n- name: none\n");
  testutil::WriteFile(dir.File("web.yml"), "basic_auth_users:\n  admin: " + hash + "\n");
  Service am = Start(dir, "alertmanager", "--web.listen-address",
                     {"--config.file=" + dir.File("am.yml"), "--storage.path=" + dir.File("am"),
                      "--web.config.file=" + dir.File("web.yml")},
                     "/-/healthy");
  ASSERT_TRUE(am.child) << testutil::ReadFile(am.log);
  Answer a = Send("GET", am.base + "/api/v2/status");
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(Send("GET", am.base + "/api/v2/status", "", {Basic("admin", "wrong")}).status, 401);
  EXPECT_EQ(Send("GET", am.base + "/api/v2/status", "", {Basic("nobody", "s3cret")}).status, 401);
  EXPECT_EQ(Send("GET", am.base + "/api/v2/status", "", {Basic("admin", "s3cret")}).status, 200);
  EXPECT_EQ(Send("GET", am.base + "/", "", {}).status, 401);  // the UI too
  const std::string silence =
      R"({"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2020-01-01T00:00:00Z",)"
      R"("endsAt":"2099-01-01T00:00:00Z","createdBy":"t","comment":"c"})";
  EXPECT_EQ(Send("POST", am.base + "/api/v2/silences", silence, {kJson}).status, 401);

  if (access("/usr/bin/amtool", X_OK) == 0) {
    std::string with_auth = "http://admin:s3cret@127.0.0.1:" + std::to_string(am.port);
    std::string out;
    int rc = testutil::RunCommand("amtool --alertmanager.url=" + with_auth +
                                      " silence add alertname=AmtoolAuth --comment=test --author=hardening "
                                      "--duration=1h 2>&1",
                                  &out);
    EXPECT_EQ(rc, 0) << out;
    rc = testutil::RunCommand("amtool --alertmanager.url=" + with_auth + " silence query -o json 2>&1", &out);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("AmtoolAuth"), std::string::npos) << out;
    rc = testutil::RunCommand("amtool --alertmanager.url=" + am.base + " silence query 2>&1", &out);
    EXPECT_NE(rc, 0) << "amtool without credentials was let in: " << out;
  } else {
    GTEST_LOG_(INFO) << "amtool not installed: checked with HTTP only";
    EXPECT_EQ(Send("POST", am.base + "/api/v2/silences", silence, {kJson, Basic("admin", "s3cret")}).status, 200);
  }
  // tls_server_config: hardening_tls_test.
}

TEST(HardeningAuth, ExposedWithoutAuthWarnsOnce) {
  testutil::TempDir dir;
  Service vm = Start(dir, "storage", "-httpListenAddr", {"-storageDataPath=" + dir.File("data")}, "/health", "0.0.0.0");
  ASSERT_TRUE(vm.child) << testutil::ReadFile(vm.log);
  Service loopback = Start(dir, "storage", "-httpListenAddr", {"-storageDataPath=" + dir.File("data2")});
  ASSERT_TRUE(loopback.child) << testutil::ReadFile(loopback.log);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // spdlog flushes every second
  std::string log = testutil::ReadFile(vm.log);
  EXPECT_EQ(Count(log, "without authentication"), 1u) << log;
  EXPECT_NE(log.find("-httpAuth.username"), std::string::npos) << log;
  EXPECT_EQ(Count(testutil::ReadFile(loopback.log), "without authentication"), 0u);
}

}  // namespace
}  // namespace sremon::hardening
