// Issue 12 §5: a page on another site must not change anything in a service on this machine.
// Each test forges what a browser would send for such a page (a form-encoded POST with
// `Origin: http://evil.example`, a cross-site GET, `Origin: null`, a DNS-rebound Host) against
// real processes, checks it is refused and changed nothing, then sends the same request the
// way curl does (no Origin) or the way the service's own page does (its own Origin) and checks
// it works.
#include <nlohmann/json.hpp>

#include "hardening_common.h"

namespace sremon::hardening {
namespace {

using json = nlohmann::json;

size_t ExportedSeries(const Service& s, const std::string& selector) {
  Answer a = Send("GET", s.base + "/api/v1/export?match[]=" + http::UrlEncode(selector) + "&start=0");
  size_t n = 0;
  for (char c : a.body) n += c == '\n';
  return n;
}

TEST(HardeningCrossSite, StorageWritesAndAdminActions) {
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("prometheus.yml"), "scrape_configs: []\n");
  Service vm = Start(dir, "storage", "-httpListenAddr",
                     {"-storageDataPath=" + dir.File("data"), "-promscrape.config=" + dir.File("prometheus.yml")});
  ASSERT_TRUE(vm.child) << testutil::ReadFile(vm.log);
  const std::string kSeries = "csrf_probe{a=\"1\"} 1\n";

  // Writes: refused from another origin, nothing stored.
  for (const char* path : {"/api/v1/import/prometheus", "/api/v1/import", "/api/v1/write"}) {
    Answer a = Send("POST", vm.base + path, kSeries, {kEvilOrigin, kForm});
    EXPECT_EQ(a.status, 403) << path << ": " << a.body;
    EXPECT_NE(a.body.find("cross-site request refused"), std::string::npos) << a.body;
  }
  EXPECT_EQ(Send("POST", vm.base + "/api/v1/import/prometheus", kSeries, {{"Origin", "null"}, kForm}).status, 403);
  EXPECT_EQ(ExportedSeries(vm, "csrf_probe"), 0u);
  // The same write from curl, and from the service's own origin, is stored.
  ASSERT_EQ(Send("POST", vm.base + "/api/v1/import/prometheus", kSeries).status, 204);
  ASSERT_EQ(Send("POST", vm.base + "/api/v1/import/prometheus", "csrf_own{a=\"1\"} 1\n", {OwnOrigin(vm), kForm}).status,
            204);
  EXPECT_EQ(ExportedSeries(vm, "csrf_probe"), 1u);
  EXPECT_EQ(ExportedSeries(vm, "csrf_own"), 1u);

  // delete_series: the attack of the issue (form POST from evil.example), then null, then a
  // DNS-rebound page (its own origin, but a non-loopback Host on this loopback port).
  const std::string kDelete = "match[]=csrf_probe";
  const std::string kDeleteUrl = vm.base + "/api/v1/admin/tsdb/delete_series";
  EXPECT_EQ(Send("POST", kDeleteUrl, kDelete, {kEvilOrigin, kForm}).status, 403);
  EXPECT_EQ(Send("POST", kDeleteUrl, kDelete, {{"Origin", "null"}, kForm}).status, 403);
  std::string rebound = "evil.example:" + std::to_string(vm.port);
  EXPECT_EQ(Send("POST", kDeleteUrl, kDelete, {{"Host", rebound}, {"Origin", "http://" + rebound}, kForm}).status, 403);
  EXPECT_EQ(Send("PUT", kDeleteUrl + "?" + kDelete, "", {kEvilOrigin}).status, 403);
  EXPECT_EQ(ExportedSeries(vm, "csrf_probe"), 1u) << "a forged delete_series deleted data";
  // Admin actions that change data are not reachable by GET.
  EXPECT_EQ(Send("GET", kDeleteUrl + "?" + kDelete).status, 405);
  EXPECT_EQ(ExportedSeries(vm, "csrf_probe"), 1u);
  // From the service's own origin (or curl) it deletes.
  EXPECT_EQ(Send("POST", kDeleteUrl, kDelete, {OwnOrigin(vm), kForm}).status, 204);
  EXPECT_EQ(ExportedSeries(vm, "csrf_probe"), 0u);
  EXPECT_EQ(Send("POST", kDeleteUrl, "match[]=csrf_own", {kForm}).status, 204);
  EXPECT_EQ(ExportedSeries(vm, "csrf_own"), 0u);

  // force_flush / force_merge keep GET (VictoriaMetrics documents it) but not from another site.
  for (const char* path : {"/internal/force_flush", "/internal/force_merge"}) {
    EXPECT_EQ(Send("GET", vm.base + path, "", {kCrossSiteFetch}).status, 403) << path;
    EXPECT_EQ(Send("POST", vm.base + path, "", {kEvilOrigin, kForm}).status, 403) << path;
    EXPECT_EQ(Send("GET", vm.base + path).status, 200) << path;
    EXPECT_EQ(Send("POST", vm.base + path, "", {OwnOrigin(vm)}).status, 200) << path;
    EXPECT_EQ(Send("DELETE", vm.base + path).status, 405) << path;
  }

  // /-/reload: a forged one does not load the new scrape config; a real one does.
  testutil::WriteFile(dir.File("prometheus.yml"),
                      "scrape_configs:\n  - job_name: added\n    static_configs:\n      - targets: ['127.0.0.1:1']\n");
  auto targets = [&] {
    auto j = json::parse(Send("GET", vm.base + "/api/v1/targets").body, nullptr, false);
    return j.is_discarded() ? size_t{999} : j["data"]["activeTargets"].size();
  };
  EXPECT_EQ(Send("GET", vm.base + "/-/reload", "", {kCrossSiteFetch}).status, 403);
  EXPECT_EQ(Send("POST", vm.base + "/-/reload", "", {kEvilOrigin, kForm}).status, 403);
  EXPECT_EQ(targets(), 0u) << "a forged /-/reload reloaded";
  EXPECT_EQ(Send("GET", vm.base + "/-/reload").status, 200);
  EXPECT_EQ(targets(), 1u);

  // Reads stay open to anyone (the query API is what dashboards and vmui use).
  EXPECT_EQ(Send("GET", vm.base + "/api/v1/query?query=1", "", {kEvilOrigin}).status, 200);
}

TEST(HardeningCrossSite, AlertmanagerSilencesAlertsReload) {
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("am.yml"), "route:\n  receiver: none\nreceivers:\n- name: none\n");
  Service am = Start(dir, "alertmanager", "--web.listen-address",
                     {"--config.file=" + dir.File("am.yml"), "--storage.path=" + dir.File("am")}, "/-/healthy");
  ASSERT_TRUE(am.child) << testutil::ReadFile(am.log);
  const std::string silence =
      R"({"matchers":[{"name":"alertname","value":".+","isRegex":true}],"startsAt":"2020-01-01T00:00:00Z",)"
      R"("endsAt":"2099-01-01T00:00:00Z","createdBy":"evil","comment":"silence everything"})";
  auto silences = [&] {
    auto j = json::parse(Send("GET", am.base + "/api/v2/silences").body, nullptr, false);
    size_t active = 0;
    if (j.is_array()) {
      for (const auto& s : j) active += s["status"]["state"] == "active";
    }
    return active;
  };
  for (auto origin : {kEvilOrigin, std::pair<std::string, std::string>{"Origin", "null"}}) {
    EXPECT_EQ(Send("POST", am.base + "/api/v2/silences", silence, {origin, kJson}).status, 403);
    EXPECT_EQ(Send("POST", am.base + "/api/v2/silences", silence, {origin, kForm}).status, 403);
  }
  EXPECT_EQ(silences(), 0u) << "a forged request created a silence";

  Answer created = Send("POST", am.base + "/api/v2/silences", silence, {OwnOrigin(am), kJson});
  ASSERT_EQ(created.status, 200) << created.body;
  std::string id = json::parse(created.body)["silenceID"];
  EXPECT_EQ(silences(), 1u);
  EXPECT_EQ(Send("DELETE", am.base + "/api/v2/silence/" + id, "", {kEvilOrigin}).status, 403);
  EXPECT_EQ(silences(), 1u) << "a forged DELETE expired the silence";
  EXPECT_EQ(Send("GET", am.base + "/api/v2/silence/" + id).status, 200);
  EXPECT_EQ(Send("DELETE", am.base + "/api/v2/silence/" + id).status, 200);
  EXPECT_EQ(silences(), 0u);

  const std::string alerts = R"([{"labels":{"alertname":"Forged"}}])";
  EXPECT_EQ(Send("POST", am.base + "/api/v2/alerts", alerts, {kEvilOrigin, kJson}).status, 403);
  EXPECT_EQ(json::parse(Send("GET", am.base + "/api/v2/alerts").body).size(), 0u) << "a forged alert was stored";
  EXPECT_EQ(Send("POST", am.base + "/api/v2/alerts", alerts, {kJson}).status, 200);
  EXPECT_EQ(json::parse(Send("GET", am.base + "/api/v2/alerts").body).size(), 1u);

  EXPECT_EQ(Send("POST", am.base + "/api/v2/receivers/test?receiver=none", "", {kEvilOrigin}).status, 403);
  EXPECT_EQ(Send("GET", am.base + "/-/reload", "", {kCrossSiteFetch}).status, 403);
  EXPECT_EQ(Send("POST", am.base + "/-/reload", "", {kEvilOrigin}).status, 403);
  EXPECT_EQ(Send("POST", am.base + "/-/reload").status, 200);
}

TEST(HardeningCrossSite, RulesReload) {
  testutil::TempDir dir;
  auto group = [](const std::string& name) {
    return "groups:\n  - name: " + name + "\n    rules:\n      - record: r\n        expr: vector(1)\n";
  };
  testutil::WriteFile(dir.File("rules.yml"), group("before"));
  // The datasource need not answer for a reload; a closed port is enough.
  Service rules = Start(dir, "rules", "-httpListenAddr",
                        {"-rule=" + dir.File("rules.yml"),
                         "-datasource.url=http://127.0.0.1:" + std::to_string(testutil::FreePort())});
  ASSERT_TRUE(rules.child) << testutil::ReadFile(rules.log);
  testutil::WriteFile(dir.File("rules.yml"), group("after"));
  auto has_group = [&](const std::string& name) {
    return Send("GET", rules.base + "/api/v1/rules").body.find("\"" + name + "\"") != std::string::npos;
  };
  EXPECT_EQ(Send("GET", rules.base + "/-/reload", "", {kCrossSiteFetch}).status, 403);
  EXPECT_EQ(Send("POST", rules.base + "/-/reload", "", {kEvilOrigin, kForm}).status, 403);
  EXPECT_TRUE(has_group("before")) << "a forged /-/reload reloaded";
  EXPECT_EQ(Send("POST", rules.base + "/-/reload", "", {OwnOrigin(rules)}).status, 200);
  EXPECT_TRUE(has_group("after"));
}

TEST(HardeningCrossSite, InboxAndAppChaos) {
  testutil::TempDir dir;
  Service inbox = Start(dir, "inbox", "-httpListenAddr", {"-storageDataPath=" + dir.File("inbox")});
  ASSERT_TRUE(inbox.child) << testutil::ReadFile(inbox.log);
  auto stored = [&] { return json::parse(Send("GET", inbox.base + "/api/notifications").body)["notifications"].size(); };
  EXPECT_EQ(Send("POST", inbox.base + "/webhook", R"({"forged":true})", {kEvilOrigin, kForm}).status, 403);
  EXPECT_EQ(stored(), 0u) << "a forged notification was stored";
  EXPECT_EQ(Send("POST", inbox.base + "/webhook", R"({"real":true})", {kJson}).status, 200);
  EXPECT_EQ(stored(), 1u);

  Service app = Start(dir, "app", "-httpListenAddr", {});
  ASSERT_TRUE(app.child) << testutil::ReadFile(app.log);
  auto rate = [&] { return json::parse(Send("GET", app.base + "/chaos").body)["error_rate"].get<double>(); };
  EXPECT_EQ(Send("POST", app.base + "/chaos", R"({"error_rate":1})", {kEvilOrigin, kForm}).status, 403);
  EXPECT_EQ(rate(), 0) << "a forged request turned the fault switch on";
  EXPECT_EQ(Send("POST", app.base + "/chaos", R"({"error_rate":1})", {OwnOrigin(app), kJson}).status, 200);
  EXPECT_EQ(rate(), 1);
  EXPECT_EQ(Send("DELETE", app.base + "/chaos", "", {kEvilOrigin}).status, 403);
  EXPECT_EQ(rate(), 1) << "a forged DELETE cleared the fault switch";
  EXPECT_EQ(Send("DELETE", app.base + "/chaos").status, 200);
  EXPECT_EQ(rate(), 0);
}

}  // namespace
}  // namespace sremon::hardening
