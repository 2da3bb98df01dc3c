// Issue 12 section 1: request smuggling and credential leaks through the dashboards proxies,
// performed for real. `sremon storage`, `sremon alertmanager` and `sremon dashboards` run as
// processes on free ports; the attacks are the URLs from the issue, sent with a logged-in
// session cookie, and the tests look at what the upstream services did (series still there, no
// silence) and at every text a credential could leak into (502 bodies, logs, pages, metrics).

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "testutil/testutil.h"

namespace sremon {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using testutil::Child;

std::string Local(int port) { return "127.0.0.1:" + std::to_string(port); }

// A service process on a free port, healthy or empty (child == nullptr).
struct Proc {
  std::unique_ptr<Child> child;
  std::string base;
  std::string log;
};

Proc Start(std::vector<std::string> argv, int port, const std::string& health, const std::string& log) {
  Proc p;
  p.base = "http://" + Local(port);
  p.log = log;
  p.child = std::make_unique<Child>(std::move(argv), log);
  if (!testutil::WaitHttpOk(p.base + health, 15s)) p.child.reset();
  return p;
}

// Polls cond every 100 ms until it holds or timeout passes.
template <typename F>
bool Eventually(F cond, std::chrono::milliseconds timeout) {
  for (auto deadline = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < deadline;) {
    if (cond()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return cond();
}

std::string GetBody(const std::string& url) {
  auto r = http::Get(url, 5s);
  return r.ok() ? r->body : "";
}

// What a stand-in data source (in this process, real HTTP) was asked.
struct Seen {
  std::string method, target, path, authorization;
};

class ProxySecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testutil::TempDir();
    closed_port_ = testutil::FreePort();  // nothing listens there

    int storage_port = testutil::FreePort();
    storage_ = new Proc(Start({testutil::SremonBin(), "storage", "-httpListenAddr=" + Local(storage_port),
                               "-storageDataPath=" + dir_->File("storage")},
                              storage_port, "/health", dir_->File("storage.log")));

    int am_port = testutil::FreePort();
    testutil::WriteFile(dir_->File("am.yml"),
                        "route:\n  receiver: default\nreceivers:\n  - name: default\n    webhook_configs:\n"
                        "      - url: http://amuser:amsecret@" + Local(closed_port_) + "/hook\n");
    am_ = new Proc(Start({testutil::SremonBin(), "alertmanager", "--web.listen-address=" + Local(am_port),
                          "--config.file=" + dir_->File("am.yml"), "--storage.path=" + dir_->File("am")},
                         am_port, "/-/healthy", dir_->File("am.log")));

    http::ServerOptions so;
    so.listen_addr = "127.0.0.1:0";
    so.io_threads = 1;
    echo_ = new http::Server(so);
    echo_->RoutePrefix("", "/", [](http::Request& req, http::Response& resp) {
      std::lock_guard l(seen_mu_);
      seen_.push_back({req.method, req.target, req.path, std::string(req.headers.Get("Authorization"))});
      resp.SetJson(200, R"({"status":"success","data":[]})");
    });
    if (!echo_->Start().ok()) return;

    std::string prov = dir_->File("provisioning");
    std::string ds = "apiVersion: 1\ndatasources:\n";
    auto add = [&](const std::string& uid, const std::string& url, bool auth) {
      ds += "  - name: " + uid + "\n    uid: " + uid + "\n    type: prometheus\n    access: proxy\n    url: " + url + "\n";
      if (auth) ds += "    basicAuth: true\n    basicAuthUser: dsuser\n    secureJsonData:\n      basicAuthPassword: dssecret\n";
    };
    add("victoriametrics", storage_->base, true);  // id 1
    add("echo", "http://127.0.0.1:" + std::to_string(echo_->port()) + "/base", true);
    add("down", "http://" + Local(closed_port_), true);
    std::filesystem::create_directories(prov + "/datasources");
    testutil::WriteFile(prov + "/datasources/ds.yml", ds);

    int dash_port = testutil::FreePort();
    dash_ = new Proc(Start({"/usr/bin/env", "GF_PATHS_PROVISIONING=" + prov, testutil::SremonBin(), "dashboards",
                            "--httpListenAddr=" + Local(dash_port), "--data=" + dir_->File("dashboards"),
                            "--alertmanager.url=" + am_->base, "--rules.url=http://" + Local(closed_port_)},
                           dash_port, "/api/health", dir_->File("dashboards.log")));
    if (!dash_->child) return;
    http::ClientRequest login;
    login.method = "POST";
    login.url = dash_->base + "/login";
    login.headers.Set("Content-Type", "application/json");
    login.body = R"({"user":"admin","password":"admin"})";
    auto r = http::Fetch(login);
    if (r.ok() && r->status == 200) {
      std::string sc(r->headers.Get("Set-Cookie"));
      cookie_ = sc.substr(0, sc.find(';'));
    }
  }

  static void TearDownTestSuite() {
    for (Proc* p : {dash_, am_, storage_}) delete p;
    if (echo_) echo_->Stop();
    delete echo_;
    delete dir_;
  }

  void SetUp() override {
    ASSERT_TRUE(storage_->child) << "storage did not start:\n" << testutil::ReadFile(storage_->log);
    ASSERT_TRUE(am_->child) << "alertmanager did not start:\n" << testutil::ReadFile(am_->log);
    ASSERT_TRUE(dash_->child) << "dashboards did not start:\n" << testutil::ReadFile(dash_->log);
    ASSERT_FALSE(cookie_.empty()) << "cannot log in to the dashboards";
  }

  // A request to the dashboards with the session cookie; csrf adds the header the app sends.
  static http::ClientResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                                   const std::string& content_type = "", bool csrf = true) {
    http::ClientRequest r;
    r.method = method;
    r.url = dash_->base + path;
    r.body = body;
    r.timeout = 10s;
    if (!content_type.empty()) r.headers.Set("Content-Type", content_type);
    if (csrf) r.headers.Set("X-Grafana-Org-Id", "1");
    r.headers.Set("Cookie", cookie_);
    auto resp = http::Fetch(r);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    return resp.ok() ? *resp : http::ClientResponse{};
  }

  // Stores `name 1` now and waits until storage answers it.
  static void Store(const std::string& name) {
    auto r = http::Post(storage_->base + "/api/v1/import/prometheus", name + "{job=\"victim\"} 1\n", "text/plain");
    ASSERT_TRUE(r.ok() && r->status / 100 == 2) << (r.ok() ? r->body : r.status().ToString());
    ASSERT_TRUE(Eventually([&] { return SeriesCount(name) == 1; }, 10s)) << name << " never became visible";
  }
  static int SeriesCount(const std::string& name) {
    auto j = json::parse(GetBody(storage_->base + "/api/v1/series?match[]=" + name), nullptr, false);
    return j.is_object() && j["data"].is_array() ? static_cast<int>(j["data"].size()) : -1;
  }
  static std::vector<Seen> TakeSeen() {
    std::lock_guard l(seen_mu_);
    return std::exchange(seen_, {});
  }

  static inline testutil::TempDir* dir_ = nullptr;
  static inline int closed_port_ = 0;
  static inline Proc* storage_ = nullptr;
  static inline Proc* am_ = nullptr;
  static inline Proc* dash_ = nullptr;
  static inline http::Server* echo_ = nullptr;
  static inline std::string cookie_;
  static inline std::mutex seen_mu_;
  static inline std::vector<Seen> seen_;
};

// The issue's first attack: an encoded CR/LF in the proxied path ended the upstream request line
// early and smuggled `POST /api/v1/admin/tsdb/delete_series` to storage, which deleted the series.
TEST_F(ProxySecurityTest, DatasourceProxySmugglingDeletesNoSeries) {
  for (const std::string& key : {"uid/victoriametrics", "1"}) {
    std::string victim = "smuggle_victim_" + std::to_string(key.size());
    Store(victim);
    std::string attack = "/api/datasources/proxy/" + key +
                         "/api/v1/query%3fquery=1%20HTTP/1.1%0d%0aHost:%20127.0.0.1%0d%0a%0d%0a"
                         "POST%20/api/v1/admin/tsdb/delete_series%3fmatch%5B%5D=" + victim;
    auto r = Call("GET", attack);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_TRUE(json::parse(r.body, nullptr, false).is_object()) << "a JSON error: " << r.body;
    std::this_thread::sleep_for(500ms);  // a smuggled request would be served by now
    EXPECT_EQ(SeriesCount(victim), 1) << "the smuggled delete_series went through (" << key << ")";
  }
  EXPECT_EQ(testutil::ReadFile(storage_->log).find("delete_series"), std::string::npos)
      << testutil::ReadFile(storage_->log);
}

// The same smuggling through /api/sremon/alertmanager/ created a silence matching every alert.
TEST_F(ProxySecurityTest, AlertmanagerProxySmugglingCreatesNoSilence) {
  std::string silence = R"({"matchers":[{"name":"alertname","value":".+","isRegex":true}],)"
                        R"("startsAt":"2025-01-01T00:00:00Z","endsAt":"2030-01-01T00:00:00Z",)"
                        R"("createdBy":"attacker","comment":"smuggled"})";
  std::string attack = "/api/sremon/alertmanager/api/v2/alerts%20HTTP/1.1%0d%0aHost:%20x%0d%0a%0d%0a"
                       "POST%20/api/v2/silences%20HTTP/1.1%0d%0aHost:%20x%0d%0aContent-Type:%20application/json"
                       "%0d%0aContent-Length:%20" + std::to_string(silence.size()) + "%0d%0a%0d%0a" +
                       http::UrlEncode(silence);
  auto r = Call("GET", attack);
  EXPECT_EQ(r.status, 400) << r.body;
  std::this_thread::sleep_for(500ms);
  auto silences = json::parse(GetBody(am_->base + "/api/v2/silences"), nullptr, false);
  ASSERT_TRUE(silences.is_array());
  EXPECT_TRUE(silences.empty()) << "a smuggled silence was created: " << silences.dump();
}

// Only the Prometheus read API goes through the data source proxy, even as a same-site POST
// with the CSRF header: no admin, write or import endpoint.
TEST_F(ProxySecurityTest, DatasourceProxyForwardsOnlyTheReadApi) {
  Store("allowlist_victim");
  const std::string ds = "/api/datasources/proxy/uid/victoriametrics";
  auto r = Call("POST", ds + "/api/v1/admin/tsdb/delete_series", "match%5B%5D=allowlist_victim",
                "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("read API"), std::string::npos) << r.body;
  r = Call("POST", ds + "/api/v1/import/prometheus", "allowlist_injected 1\n", "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 403) << r.body;
  for (const char* path : {"/internal/force_flush", "/api/v1/admin/tsdb/delete_series?match[]=allowlist_victim",
                           "/api/v1/status/tsdb", "/metrics"}) {
    EXPECT_EQ(Call("GET", ds + path).status, 403) << path;
  }
  EXPECT_EQ(Call("DELETE", ds + "/api/v1/query").status, 403);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(SeriesCount("allowlist_victim"), 1);
  EXPECT_EQ(SeriesCount("allowlist_injected"), 0);

  // What Grafana and the web app send still works: GET, and POST with a form.
  r = Call("GET", ds + "/api/v1/query?query=allowlist_victim");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["data"]["result"].size(), 1u) << r.body;
  r = Call("POST", ds + "/api/v1/query_range", "query=allowlist_victim&start=0&end=4000000000&step=300000",
           "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 200) << r.body;
  r = Call("GET", ds + "/api/v1/label/job/values");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("victim"), std::string::npos) << r.body;
  EXPECT_EQ(Call("GET", ds + "/api/v1/status/buildinfo").status / 100, 2);
}

// Dot segments, encoded or double-encoded, never take a request out of the data source's base
// path (the echo data source lives under /base).
TEST_F(ProxySecurityTest, DatasourceProxyStaysUnderTheBasePath) {
  TakeSeen();
  for (const char* escape : {"%252e%252e", "%2e%2e", "%2E%2e", "..", "%252e%252e%252f%252e%252e", "%2e%2e%2f"}) {
    std::string path = std::string("/api/datasources/proxy/uid/echo/") + escape + "/api/v1/query?query=up";
    auto r = Call("GET", path);
    EXPECT_EQ(r.status, 400) << path << ": " << r.body;
    path = std::string("/api/datasources/proxy/uid/echo/api/v1/") + escape + "/" + escape + "/admin/x";
    r = Call("GET", path);
    EXPECT_EQ(r.status, 400) << path << ": " << r.body;
  }
  for (const Seen& s : TakeSeen()) {
    ADD_FAILURE() << "the data source was asked " << s.method << " " << s.target << " (decoded " << s.path << ")";
  }
  auto r = Call("GET", "/api/datasources/proxy/uid/echo/api/v1/labels?match%5B%5D=up");
  ASSERT_EQ(r.status, 200) << r.body;
  auto seen = TakeSeen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "/base/api/v1/labels?match%5B%5D=up");
}

// /api/sremon/* forwards the two reads the web app makes and nothing else: no GET writes, no
// other reads, and a POST without the CSRF header stops at the CSRF check.
TEST_F(ProxySecurityTest, SremonProxiesForwardOnlyTheAppsReads) {
  auto r = Call("GET", "/api/sremon/alertmanager/api/v2/alerts");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body, nullptr, false).is_array()) << r.body;
  for (const char* path : {"/api/sremon/alertmanager/api/v2/silences", "/api/sremon/alertmanager/-/reload",
                           "/api/sremon/alertmanager/api/v2/status", "/api/sremon/rules/-/reload",
                           "/api/sremon/rules/api/v1/rules"}) {
    r = Call("GET", path);
    EXPECT_EQ(r.status, 403) << path << ": " << r.body;
    EXPECT_TRUE(json::parse(r.body, nullptr, false).is_object()) << path << ": " << r.body;
  }
  std::string silence = R"({"matchers":[{"name":"alertname","value":"x","isRegex":false}],)"
                        R"("startsAt":"2025-01-01T00:00:00Z","endsAt":"2030-01-01T00:00:00Z",)"
                        R"("createdBy":"attacker","comment":"through the proxy"})";
  r = Call("POST", "/api/sremon/alertmanager/api/v2/silences", silence, "application/json", /*csrf=*/false);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("cross-site"), std::string::npos) << "the CSRF check applies to POST: " << r.body;
  r = Call("POST", "/api/sremon/alertmanager/api/v2/silences", silence, "application/json", /*csrf=*/true);
  EXPECT_EQ(r.status, 403) << r.body;
  auto silences = json::parse(GetBody(am_->base + "/api/v2/silences"), nullptr, false);
  EXPECT_TRUE(silences.is_array() && silences.empty()) << silences.dump();
}

// Data source basic auth goes in an Authorization header; a failed request's 502 and the log
// never show user:password@ (the issue saw http://dsuser:dssecret@127.0.0.1:... in the 502).
TEST_F(ProxySecurityTest, DatasourceCredentialsOnlyInTheAuthorizationHeader) {
  TakeSeen();
  auto r = Call("GET", "/api/datasources/proxy/uid/echo/api/v1/query?query=up");
  ASSERT_EQ(r.status, 200) << r.body;
  auto seen = TakeSeen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].authorization, "Basic " + http::Base64Encode("dsuser:dssecret"));
  EXPECT_EQ(seen[0].target.find("dssecret"), std::string::npos);

  r = Call("GET", "/api/datasources/proxy/uid/down/api/v1/query?query=up");
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(r.body.find("dssecret"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("dsuser:"), std::string::npos) << r.body;
  r = Call("POST", "/api/datasources/proxy/uid/down/api/v1/query", "query=up", "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(r.body.find("dssecret"), std::string::npos) << r.body;
  EXPECT_EQ(testutil::ReadFile(dash_->log).find("dssecret"), std::string::npos) << testutil::ReadFile(dash_->log);
}

// The alertmanager's webhook errors and its receiver test show the URL without the password.
TEST_F(ProxySecurityTest, AlertmanagerWebhookErrorsHideCredentials) {
  auto r = http::Post(am_->base + "/api/v2/receivers/test?receiver=default", "", "application/json", 10s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->body.find("amuser:xxxxx@"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("amsecret"), std::string::npos) << r->body;
  EXPECT_EQ(testutil::ReadFile(am_->log).find("amsecret"), std::string::npos) << testutil::ReadFile(am_->log);
}

// Storage's -remoteWrite.url: its retry log line and the url label of its metrics.
TEST(CredentialRedaction, StorageRemoteWriteHidesCredentials) {
  testutil::TempDir dir;
  int port = testutil::FreePort();
  std::string rw = "http://rwuser:rwsecret@" + Local(testutil::FreePort()) + "/api/v1/write";
  Proc s = Start({testutil::SremonBin(), "storage", "-httpListenAddr=" + Local(port), "-storageDataPath=" + dir.File("data"),
                  "-remoteWrite.url=" + rw},
                 port, "/health", dir.File("storage.log"));
  ASSERT_TRUE(s.child) << testutil::ReadFile(dir.File("storage.log"));
  auto r = http::Post(s.base + "/api/v1/import/prometheus", "rw_probe 1\n", "text/plain");
  ASSERT_TRUE(r.ok() && r->status / 100 == 2);
  ASSERT_TRUE(Eventually([&] { return testutil::ReadFile(s.log).find("retrying") != std::string::npos; }, 15s))
      << "no remote_write failure logged:\n" << testutil::ReadFile(s.log);
  std::string log = testutil::ReadFile(s.log);
  EXPECT_EQ(log.find("rwsecret"), std::string::npos) << log;
  EXPECT_NE(log.find("rwuser:xxxxx@"), std::string::npos) << log;
  std::string metrics = GetBody(s.base + "/metrics");
  EXPECT_EQ(metrics.find("rwsecret"), std::string::npos) << metrics;
}

// The rules service (vmalert) showed -datasource.url and -notifier.url credentials in
// /api/v1/rules lastError, its status page, the addr label of its metrics and its log.
TEST(CredentialRedaction, RulesServiceHidesCredentials) {
  testutil::TempDir dir;
  int port = testutil::FreePort();
  std::string closed = Local(testutil::FreePort());
  testutil::WriteFile(dir.File("rules.yml"),
                      "groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: A\n        expr: up == 0\n"
                      "      - record: r\n        expr: sum(up)\n");
  Proc s = Start({testutil::SremonBin(), "rules", "-httpListenAddr=" + Local(port), "-rule=" + dir.File("rules.yml"),
                  "-datasource.url=http://rsuser:rssecret@" + closed, "-notifier.url=http://nuser:nsecret@" + closed,
                  "-remoteWrite.url=http://rwuser:rwsecret@" + closed},
                 port, "/health", dir.File("rules.log"));
  ASSERT_TRUE(s.child) << testutil::ReadFile(dir.File("rules.log"));
  ASSERT_TRUE(Eventually([&] { return GetBody(s.base + "/api/v1/rules").find("\"lastError\":\"c") != std::string::npos; }, 15s))
      << "no evaluation error: " << GetBody(s.base + "/api/v1/rules");
  for (const char* path : {"/api/v1/rules", "/", "/metrics"}) {
    std::string body = GetBody(s.base + path);
    EXPECT_FALSE(body.empty()) << path;
    for (const char* secret : {"rssecret", "nsecret", "rwsecret"}) {
      EXPECT_EQ(body.find(secret), std::string::npos) << path << " shows " << secret << ":\n" << body;
    }
  }
  EXPECT_NE(GetBody(s.base + "/api/v1/rules").find("rsuser:xxxxx@"), std::string::npos) << GetBody(s.base + "/api/v1/rules");
  std::string log = testutil::ReadFile(s.log);
  for (const char* secret : {"rssecret", "nsecret", "rwsecret"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "the log shows " << secret << ":\n" << log;
  }
}

}  // namespace
}  // namespace sremon
