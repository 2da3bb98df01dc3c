// The Grafana-shaped API in-process: a real http::Server on a free port, real HTTP requests.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dashboards/app.h"
#include "http/http.h"
#include "testutil/testutil.h"

namespace sremon::dashboards {
namespace {

using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testutil::WriteFile(dir_.File("prov/datasources/ds.yml"), "");
    std::string upstream_port = std::to_string(upstream_->port());
    std::filesystem::create_directories(dir_.File("prov/datasources"));
    std::filesystem::create_directories(dir_.File("prov/dashboards/json"));
    testutil::WriteFile(dir_.File("prov/datasources/ds.yml"),
                        "datasources:\n  - name: VM\n    uid: vm\n    type: prometheus\n    url: http://127.0.0.1:" +
                            upstream_port + "\n    isDefault: true\n");
    testutil::WriteFile(dir_.File("prov/dashboards/p.yml"),
                        "providers:\n  - name: locked\n    allowUiUpdates: false\n    options:\n      path: " +
                            dir_.File("prov/dashboards/json") + "\n  - name: open\n    allowUiUpdates: true\n    options:\n      path: " +
                            dir_.File("prov/dashboards/open") + "\n");
    std::filesystem::create_directories(dir_.File("prov/dashboards/open"));
    testutil::WriteFile(dir_.File("prov/dashboards/open/open.json"), R"({"uid":"open","title":"Open"})");
    testutil::WriteFile(dir_.File("prov/dashboards/json/prov.json"), R"({"uid":"prov","title":"Provisioned"})");
    StartApp();
  }
  // Creates the app over the fixture's files (tweak adjusts its options) and serves it.
  void StartApp(const std::function<void(AppOptions&)>& tweak = {}) {
    if (server_) server_->Stop();
    server_.reset();
    app_.reset();
    std::string upstream_port = std::to_string(upstream_->port());
    AppOptions o;
    o.provisioning_dir = dir_.File("prov");
    o.database_path = dir_.File("grafana.db");
    o.hash_cost = HashCost::kMinimum;
    o.login_max_failures = 3;
    o.rules_url = "http://127.0.0.1:" + upstream_port + "/rules";
    if (tweak) tweak(o);
    auto app = App::Create(o);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    app_ = std::move(*app);
    http::ServerOptions so;
    so.listen_addr = "127.0.0.1:0";
    so.io_threads = 1;
    server_ = std::make_unique<http::Server>(so);
    app_->RegisterRoutes(server_.get());
    ASSERT_TRUE(server_->Start().ok());
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  static void SetUpTestSuite() {
    http::ServerOptions so;
    so.listen_addr = "127.0.0.1:0";
    so.io_threads = 1;
    upstream_ = new http::Server(so);
    // A stand-in upstream that echoes what the proxy sent it.
    upstream_->RoutePrefix("", "/", [](http::Request& req, http::Response& resp) {
      resp.SetJson(200, json{{"method", req.method}, {"path", req.path}, {"query", req.query}, {"body", req.body}}.dump());
    });
    ASSERT_TRUE(upstream_->Start().ok());
  }
  static void TearDownTestSuite() {
    upstream_->Stop();
    delete upstream_;
  }

  http::ClientResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                            bool csrf_header = true, const std::string& cookie = "") {
    http::ClientRequest r;
    r.method = method;
    r.url = base_ + path;
    r.body = body;
    if (!body.empty()) r.headers.Set("Content-Type", "application/json");
    if (csrf_header) r.headers.Set("X-Grafana-Org-Id", "1");
    std::string c = cookie.empty() ? cookie_ : cookie;
    if (!c.empty()) r.headers.Set("Cookie", c);
    auto resp = http::Fetch(r);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    return resp.ok() ? *resp : http::ClientResponse{};
  }
  http::ClientResponse Login(const std::string& user, const std::string& password) {
    return Call("POST", "/login", json{{"user", user}, {"password", password}}.dump(), true, "-");
  }
  void LoginAdmin() {
    auto r = Login("admin", "admin");
    ASSERT_EQ(r.status, 200) << r.body;
    std::string sc(r.headers.Get("Set-Cookie"));
    EXPECT_NE(sc.find("HttpOnly"), std::string::npos);
    EXPECT_NE(sc.find("SameSite=Lax"), std::string::npos);
    cookie_ = sc.substr(0, sc.find(';'));
    EXPECT_TRUE(json::parse(r.body)["needsPasswordChange"].get<bool>());
  }

  static inline http::Server* upstream_ = nullptr;
  testutil::TempDir dir_;
  std::unique_ptr<App> app_;
  std::unique_ptr<http::Server> server_;
  std::string base_;
  std::string cookie_;
};

// Every answer carries the CSP and nosniff: app pages, API answers, errors and the server's own
// 404/405 (the server adds them, so no route can forget them).
TEST_F(ApiTest, SecurityHeadersOnEveryResponse) {
  struct Case {
    const char* method;
    const char* path;
  };
  for (Case c : {Case{"GET", "/"}, Case{"GET", "/d/abc/x"}, Case{"GET", "/api/health"}, Case{"GET", "/api/search"},
                 Case{"POST", "/login"}, Case{"DELETE", "/api/health"}, Case{"POST", "/no/such/route"}}) {
    auto r = Call(c.method, c.path, "", false, "-");
    std::string csp(r.headers.Get("Content-Security-Policy"));
    SCOPED_TRACE(std::string(c.method) + " " + c.path + " -> " + std::to_string(r.status));
    for (const char* directive : {"script-src 'self'", "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'"}) {
      EXPECT_NE(csp.find(directive), std::string::npos) << csp;
    }
    std::string script_src = csp.substr(csp.find("script-src"));
    script_src = script_src.substr(0, script_src.find(';'));
    EXPECT_EQ(script_src, "script-src 'self'") << "no inline script, no eval: " << csp;
    EXPECT_EQ(r.headers.Get("X-Content-Type-Options"), "nosniff");
  }
}

TEST_F(ApiTest, SessionCookieFlagsFollowTheOptions) {
  auto cookie = [&] {
    auto r = Login("admin", "admin");
    EXPECT_EQ(r.status, 200) << r.body;
    return std::string(r.headers.Get("Set-Cookie"));
  };
  std::string c = cookie();
  EXPECT_NE(c.find("; HttpOnly"), std::string::npos) << c;
  EXPECT_NE(c.find("; SameSite=Lax"), std::string::npos) << c;
  EXPECT_EQ(c.find("Secure"), std::string::npos) << "not Secure by default (plain http on loopback): " << c;
  StartApp([](AppOptions& o) {
    o.cookie_secure = true;
    o.cookie_samesite = SameSite::kStrict;
  });
  c = cookie();
  EXPECT_NE(c.find("; Secure"), std::string::npos) << c;
  EXPECT_NE(c.find("; SameSite=Strict"), std::string::npos) << c;
  StartApp([](AppOptions& o) { o.cookie_samesite = SameSite::kDisabled; });
  c = cookie();
  EXPECT_EQ(c.find("SameSite"), std::string::npos) << c;
  StartApp([](AppOptions& o) { o.cookie_samesite = SameSite::kNone; });
  EXPECT_NE(cookie().find("; SameSite=None"), std::string::npos);
}

TEST(ParseSameSite, GrafanaValues) {
  EXPECT_EQ(ParseSameSite("lax"), SameSite::kLax);
  EXPECT_EQ(ParseSameSite("strict"), SameSite::kStrict);
  EXPECT_EQ(ParseSameSite("none"), SameSite::kNone);
  EXPECT_EQ(ParseSameSite("disabled"), SameSite::kDisabled);
  EXPECT_EQ(ParseSameSite("Strict"), SameSite::kLax) << "Grafana compares exactly; anything else is lax";
  EXPECT_EQ(ParseSameSite(""), SameSite::kLax);
}

TEST_F(ApiTest, HealthNeedsNoSession) {
  auto r = Call("GET", "/api/health", "", false, "-");
  EXPECT_EQ(r.status, 200);
  auto j = json::parse(r.body);
  EXPECT_EQ(j["database"], "ok");
  EXPECT_TRUE(j.contains("version"));
}

TEST_F(ApiTest, EveryApiNeedsASession) {
  for (const char* path : {"/api/search", "/api/user", "/api/datasources", "/api/dashboards/uid/prov", "/api/folders",
                           "/api/datasources/proxy/uid/vm/api/v1/query", "/api/frontend/settings"}) {
    auto r = Call("GET", path, "", true, "-");
    EXPECT_EQ(r.status, 401) << path;
  }
  auto r = Call("GET", "/api/search", "", true, "grafana_session=forged");
  EXPECT_EQ(r.status, 401);
  r = Call("POST", "/api/dashboards/db", R"({"dashboard":{"title":"x"}})", true, "-");
  EXPECT_EQ(r.status, 401);
}

TEST_F(ApiTest, LoginWrongPasswordAndRateLimit) {
  EXPECT_EQ(Login("admin", "wrong").status, 401);
  EXPECT_EQ(Login("nobody", "admin").status, 401);
  EXPECT_EQ(Login("admin", "wrong").status, 401);
  EXPECT_EQ(Login("admin", "wrong").status, 401);
  auto r = Login("admin", "admin");
  EXPECT_EQ(r.status, 429) << "blocked after 3 failures, even with the right password: " << r.body;
  EXPECT_TRUE(r.headers.Get("Set-Cookie").empty());
}

TEST_F(ApiTest, LoginRateLimitPerClientAddress) {
  // 3 per user, 12 per address: trying many user names from one client ends up blocked too.
  for (int i = 0; i < 12; ++i) EXPECT_EQ(Login("user" + std::to_string(i), "x").status, 401) << i;
  EXPECT_EQ(Login("admin", "admin").status, 429);
}

TEST_F(ApiTest, LoginRefusesNonJsonAndForeignOrigin) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = base_ + "/login";
  req.body = "user=admin&password=admin";
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  EXPECT_EQ(http::Fetch(req)->status, 415);
  req.body = R"({"user":"admin","password":"admin"})";
  req.headers.Set("Content-Type", "application/json");
  req.headers.Set("Origin", "http://evil.example");
  EXPECT_EQ(http::Fetch(req)->status, 403);
  EXPECT_EQ(Call("POST", "/login", "not json", true, "-").status, 400);
}

TEST_F(ApiTest, BasicAuth) {
  http::ClientRequest req;
  req.url = base_ + "/api/user";
  req.headers.Set("Authorization", "Basic YWRtaW46YWRtaW4=");
  auto r = http::Fetch(req);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["login"], "admin");
  req.headers.Set("Authorization", "Basic YWRtaW46bm9wZQ==");
  EXPECT_EQ(http::Fetch(req)->status, 401);
}

TEST_F(ApiTest, CsrfRefused) {
  LoginAdmin();
  std::string body = R"({"dashboard":{"title":"csrf"}})";
  EXPECT_EQ(Call("POST", "/api/dashboards/db", body, /*csrf_header=*/false).status, 403);
  http::ClientRequest req;
  req.method = "POST";
  req.url = base_ + "/api/dashboards/db";
  req.body = body;
  req.headers.Set("Cookie", cookie_);
  req.headers.Set("X-Grafana-Org-Id", "1");
  req.headers.Set("Content-Type", "application/json");
  req.headers.Set("Origin", "http://evil.example");
  EXPECT_EQ(http::Fetch(req)->status, 403);
  EXPECT_EQ(Call("POST", "/api/dashboards/db", body).status, 200) << "same-site call with the header";
}

TEST_F(ApiTest, ChangePasswordAndLogout) {
  LoginAdmin();
  auto r = Call("PUT", "/api/user/password", json{{"oldPassword", "bad"}, {"newPassword", "n3w-pass"}}.dump());
  EXPECT_EQ(r.status, 401);
  r = Call("PUT", "/api/user/password", json{{"oldPassword", "admin"}, {"newPassword", "x"}}.dump());
  EXPECT_EQ(r.status, 400);
  r = Call("PUT", "/api/user/password",
           json{{"oldPassword", "admin"}, {"newPassword", "n3w-pass"}, {"confirmNew", "n3w-pass"}}.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Login("admin", "admin").status, 401);
  auto ok = Login("admin", "n3w-pass");
  EXPECT_EQ(ok.status, 200);
  EXPECT_FALSE(json::parse(ok.body)["needsPasswordChange"].get<bool>());
  EXPECT_EQ(Call("GET", "/logout").status, 302);
  EXPECT_EQ(Call("GET", "/api/user").status, 401) << "session ended";
}

TEST_F(ApiTest, DashboardLifecycle) {
  LoginAdmin();
  json dash = {{"title", "My dash"}, {"panels", json::array({{{"type", "stat"}, {"gridPos", {{"x", 0}, {"y", 0}, {"w", 6}, {"h", 4}}}}})}};
  auto r = Call("POST", "/api/dashboards/db", json{{"dashboard", dash}, {"message", "first"}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  auto saved = json::parse(r.body);
  std::string uid = saved["uid"];
  EXPECT_EQ(saved["version"], 1);
  EXPECT_EQ(saved["url"], "/d/" + uid + "/my-dash");
  r = Call("GET", "/api/dashboards/uid/" + uid);
  ASSERT_EQ(r.status, 200);
  auto got = json::parse(r.body);
  EXPECT_EQ(got["dashboard"]["title"], "My dash");
  EXPECT_EQ(got["dashboard"]["version"], 1);
  EXPECT_EQ(got["dashboard"]["panels"][0]["gridPos"]["w"], 6);
  EXPECT_FALSE(got["meta"]["provisioned"].get<bool>());
  // Save on top of version 1; a second save based on version 1 is a conflict.
  auto model = got["dashboard"];
  model["title"] = "My dash v2";
  r = Call("POST", "/api/dashboards/db", json{{"dashboard", model}}.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  r = Call("POST", "/api/dashboards/db", json{{"dashboard", model}}.dump());
  EXPECT_EQ(r.status, 412);
  EXPECT_EQ(json::parse(r.body)["status"], "version-mismatch");
  r = Call("POST", "/api/dashboards/db", json{{"dashboard", model}, {"overwrite", true}}.dump());
  EXPECT_EQ(r.status, 200);
  r = Call("GET", "/api/dashboards/uid/" + uid + "/versions");
  EXPECT_EQ(json::parse(r.body).size(), 3u);
  EXPECT_EQ(json::parse(r.body)[0]["version"], 3) << "newest first";
  r = Call("GET", "/api/dashboards/uid/" + uid + "/versions/1");
  EXPECT_EQ(json::parse(r.body)["data"]["title"], "My dash");
  r = Call("POST", "/api/dashboards/uid/" + uid + "/restore", R"({"version":1})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["version"], 4);
  EXPECT_EQ(json::parse(Call("GET", "/api/dashboards/uid/" + uid).body)["dashboard"]["title"], "My dash");
  EXPECT_EQ(Call("POST", "/api/dashboards/uid/" + uid + "/restore", R"({"version":99})").status, 404);
  EXPECT_EQ(Call("POST", "/api/dashboards/uid/" + uid + "/restore", R"({"version":"x"})").status, 400);
  model["version"] = 4;
  r = Call("POST", "/api/dashboards/db", json{{"dashboard", model}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("GET", "/api/search?query=dash%20v2");
  auto found = json::parse(r.body);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["uid"], uid);
  EXPECT_EQ(found[0]["type"], "dash-db");
  r = Call("DELETE", "/api/dashboards/uid/" + uid);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Call("GET", "/api/dashboards/uid/" + uid).status, 404);
}

TEST_F(ApiTest, GarbageIsRefusedCleanly) {
  LoginAdmin();
  for (const char* body : {"", "[]", "{", R"({"dashboard":3})", R"({"dashboard":{"title":""}})",
                           R"({"dashboard":{"title":"x","uid":"01234567890123456789012345678901234567890123"}})"}) {
    auto r = Call("POST", "/api/dashboards/db", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
  }
  EXPECT_EQ(Call("POST", "/api/dashboards/db", R"({"dashboard":{"title":"x"},"folderUid":"nope"})").status, 400);
  EXPECT_EQ(Call("GET", "/api/dashboards/uid/").status, 404);
  EXPECT_EQ(Call("GET", "/api/dashboards/uid/prov/versions/abc").status, 400);
  EXPECT_EQ(Call("GET", "/api/search?limit=-1").status, 400);
  EXPECT_EQ(Call("GET", "/api/nonexistent").status, 404);
  EXPECT_EQ(Call("GET", "/api/datasources/proxy/uid/nope/api/v1/query").status, 404);
  EXPECT_EQ(Call("GET", "/api/datasources/proxy/uid/vm/../../etc/passwd").status, 400);
}

TEST_F(ApiTest, ProvisionedDashboardIsReadOnlyWithoutAllowUiUpdates) {
  LoginAdmin();
  auto r = Call("GET", "/api/dashboards/uid/prov");
  ASSERT_EQ(r.status, 200);
  auto got = json::parse(r.body);
  EXPECT_TRUE(got["meta"]["provisioned"].get<bool>());
  EXPECT_FALSE(got["meta"]["canSave"].get<bool>());
  r = Call("POST", "/api/dashboards/db", json{{"dashboard", got["dashboard"]}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Call("DELETE", "/api/dashboards/uid/prov").status, 400);
}

TEST_F(ApiTest, ProvisionedDashboardWithAllowUiUpdatesIsWrittenBack) {
  LoginAdmin();
  auto got = json::parse(Call("GET", "/api/dashboards/uid/open").body);
  EXPECT_TRUE(got["meta"]["canSave"].get<bool>());
  auto model = got["dashboard"];
  model["title"] = "Open, edited in the UI";
  auto r = Call("POST", "/api/dashboards/db", json{{"dashboard", model}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  std::string file = testutil::ReadFile(dir_.File("prov/dashboards/open/open.json"));
  EXPECT_NE(file.find("Open, edited in the UI"), std::string::npos) << file;
  EXPECT_EQ(json::parse(file).count("version"), 0u) << "the store owns id and version";
}

TEST_F(ApiTest, ImportResolvesDatasourceInputs) {
  LoginAdmin();
  json dash = json::parse(R"({"__inputs":[{"name":"DS_PROMETHEUS","type":"datasource","pluginId":"prometheus"}],
    "title":"Community","uid":"community","panels":[{"datasource":{"uid":"${DS_PROMETHEUS}"}}]})");
  auto r = Call("POST", "/api/dashboards/import", json{{"dashboard", dash}, {"overwrite", true}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  auto got = json::parse(Call("GET", "/api/dashboards/uid/community").body);
  EXPECT_EQ(got["dashboard"]["panels"][0]["datasource"]["uid"], "vm");
}

TEST_F(ApiTest, DatasourcesAndProxy) {
  LoginAdmin();
  auto list = json::parse(Call("GET", "/api/datasources").body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["uid"], "vm");
  EXPECT_EQ(list[0]["type"], "prometheus");
  EXPECT_TRUE(list[0]["isDefault"].get<bool>());
  auto r = Call("GET", "/api/datasources/proxy/uid/vm/api/v1/query?query=up");
  ASSERT_EQ(r.status, 200) << r.body;
  auto echo = json::parse(r.body);
  EXPECT_EQ(echo["path"], "/api/v1/query");
  EXPECT_EQ(echo["query"], "query=up");
  http::ClientRequest req;
  req.method = "POST";
  req.url = base_ + "/api/datasources/proxy/1/api/v1/query_range";
  req.body = "query=up&step=15";
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  req.headers.Set("Cookie", cookie_);
  req.headers.Set("X-Grafana-Org-Id", "1");
  auto p = http::Fetch(req);
  ASSERT_EQ(p->status, 200);
  EXPECT_EQ(json::parse(p->body)["body"], "query=up&step=15");
  EXPECT_EQ(Call("DELETE", "/api/datasources/proxy/uid/vm/api/v1/query").status, 403);
  r = Call("GET", "/api/sremon/rules/api/v1/alerts");
  EXPECT_EQ(json::parse(r.body)["path"], "/rules/api/v1/alerts");
}

TEST_F(ApiTest, FoldersAndSearch) {
  LoginAdmin();
  auto r = Call("POST", "/api/folders", R"({"title":"Ops"})");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string fuid = json::parse(r.body)["uid"];
  EXPECT_EQ(Call("POST", "/api/folders", R"({"title":"Ops"})").status, 409);
  r = Call("POST", "/api/dashboards/db", json{{"dashboard", {{"title", "In Ops"}}}, {"folderUid", fuid}}.dump());
  ASSERT_EQ(r.status, 200);
  auto found = json::parse(Call("GET", "/api/search?folderUIDs=" + fuid).body);
  ASSERT_EQ(found.size(), 1u) << found.dump();  // what is in the folder, as Grafana
  found = json::parse(Call("GET", "/api/search?type=dash-db&folderUIDs=" + fuid).body);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["folderTitle"], "Ops");
  EXPECT_EQ(json::parse(Call("GET", "/api/folders").body).size(), 1u);
}

TEST_F(ApiTest, ServesTheAppForUnknownPages) {
  auto r = Call("GET", "/d/abc/some-dash", "", false, "-");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.headers.Get("Content-Type").find("text/html"), std::string_view::npos);
}

}  // namespace
}  // namespace sremon::dashboards
