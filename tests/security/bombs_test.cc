// Issue 12 §3, §4 and §5's first bullet, each attack performed for real against `sremon`
// processes: deeply nested JSON (refused at parse time; bodies stored before the limit existed
// still render, also after a restart), a 7-byte snappy body declaring 512 MiB, a receiver that
// answers 413 to a huge notification, an 8 MB regex in a silence, secrets in the alertmanager's
// config, and cross-site-postable content types on the alertmanager's API.
#include <signal.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "testutil/testutil.h"

namespace sremon {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using testutil::Child;
using testutil::TempDir;

std::string Deep(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A field of /proc/PID/status in kB (VmRSS, VmHWM), 0 when unreadable.
long ProcStatusKb(pid_t pid, const std::string& field) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return 0;
}

// One `sremon SERVICE` process on a free port, healthy before the test goes on.
class Service {
 public:
  Service(std::string name, std::function<std::vector<std::string>(const std::string& listen)> args,
          std::string health)
      : name_(std::move(name)), args_(std::move(args)), health_(std::move(health)) {
    Start();
  }
  void Start() {
    port_ = testutil::FreePort();
    std::vector<std::string> argv = {testutil::SremonBin(), name_};
    for (auto& a : args_("127.0.0.1:" + std::to_string(port_))) argv.push_back(a);
    child_ = std::make_unique<Child>(argv, log());
    bool healthy = false;
    for (auto deadline = std::chrono::steady_clock::now() + 15s;
         !healthy && child_->Running() && std::chrono::steady_clock::now() < deadline;) {
      healthy = testutil::WaitHttpOk(url() + health_, 300ms);
    }
    ASSERT_TRUE(healthy) << name_ << " did not become healthy; log:\n" << testutil::ReadFile(log());
  }
  // SIGTERM; returns how long the exit took (or a huge value when it did not exit in 30 s).
  std::chrono::milliseconds Stop() {
    auto t0 = std::chrono::steady_clock::now();
    int rc = child_->Stop(SIGTERM, 30s);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    child_.reset();
    return rc == -1 ? std::chrono::milliseconds(1000000) : took;
  }
  void ExpectAlive(const std::string& after) {
    ASSERT_TRUE(child_ && child_->Running()) << name_ << " died after " << after << "; log:\n"
                                             << testutil::ReadFile(log());
    auto r = http::Get(url() + health_, 5s);
    ASSERT_TRUE(r.ok() && r->status == 200) << name_ << " unhealthy after " << after;
  }
  http::ClientResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                            const std::string& content_type = "application/json",
                            const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::ClientRequest req;
    req.method = method;
    req.url = url() + path;
    req.body = body;
    req.timeout = 30s;
    if (!content_type.empty()) req.headers.Set("Content-Type", content_type);
    for (const auto& [k, v] : headers) req.headers.Set(k, v);
    auto r = http::Fetch(req);
    EXPECT_TRUE(r.ok()) << method << " " << path << ": " << r.status().message();
    return r.ok() ? *r : http::ClientResponse{};
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return dir_.File(name_ + ".log"); }
  pid_t pid() const { return child_->pid(); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::string name_;
  std::function<std::vector<std::string>(const std::string&)> args_;
  std::string health_;
  int port_ = 0;
  std::unique_ptr<Child> child_;
};

std::unique_ptr<Service> Inbox(const std::string& data) {
  return std::make_unique<Service>(
      "inbox", [data](const std::string& l) { return std::vector<std::string>{"-httpListenAddr=" + l, "-storageDataPath=" + data}; },
      "/health");
}

std::unique_ptr<Service> Alertmanager(const TempDir& dir, const std::string& config,
                                      std::vector<std::string> extra = {}) {
  testutil::WriteFile(dir.File("am.yml"), config);
  std::string conf = dir.File("am.yml"), data = dir.File("am-data");
  return std::make_unique<Service>(
      "alertmanager",
      [=](const std::string& l) {
        std::vector<std::string> a = {"--web.listen-address=" + l, "--config.file=" + conf, "--storage.path=" + data};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
      },
      "/-/healthy");
}

const char* kWebhookConfig = "route:\n  receiver: web\nreceivers:\n- name: web\n  webhook_configs:\n  - url: http://127.0.0.1:1/\n";

// ---- JSON nesting ----

// The issue's attack: a 100,000-deep array to the inbox. It is refused with the limit named, and
// the pages that list notifications keep working.
TEST(Bombs, DeepJsonToInboxIsRefused) {
  TempDir dir;
  auto inbox = Inbox(dir.File("inbox"));
  auto r = inbox->Call("POST", "/webhook", Deep(100000));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("limit of 100 levels"), std::string::npos) << r.body;
  EXPECT_EQ(inbox->Call("POST", "/webhook", Deep(50)).status, 200);
  EXPECT_EQ(inbox->Call("GET", "/").status, 200);
  EXPECT_EQ(inbox->Call("GET", "/api/notifications").status, 200);
  inbox->ExpectAlive("a 100,000-deep JSON body");
}

// A body stored before the limit existed (written straight into the inbox's database, as an
// older version stored it) must not crash the pages, before or after a restart.
TEST(Bombs, InboxRendersStoredDeepBodyAfterRestart) {
  TempDir dir;
  std::string data = dir.File("inbox");
  auto inbox = Inbox(data);
  ASSERT_EQ(inbox->Call("POST", "/webhook", R"({"ok":1})").status, 200);
  ASSERT_LT(inbox->Stop(), 10s);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data + "/inbox.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* ins = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO notifications (received_ms, path, body) VALUES (1, '/webhook', ?)", -1,
                               &ins, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  std::string deep = Deep(100000);
  sqlite3_bind_text(ins, 1, deep.data(), static_cast<int>(deep.size()), SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(ins), SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(ins);
  sqlite3_close(db);

  for (int start = 0; start < 2; ++start) {
    inbox->Start();
    auto page = inbox->Call("GET", "/");
    EXPECT_EQ(page.status, 200);
    auto api = inbox->Call("GET", "/api/notifications");
    ASSERT_EQ(api.status, 200);
    json j = json::parse(api.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << api.body.substr(0, 200);
    ASSERT_EQ(j["notifications"].size(), 2u);
    EXPECT_EQ(j["notifications"][0]["payload"], json({{"ok", 1}}));
    EXPECT_TRUE(j["notifications"][1]["payload"].is_null());
    EXPECT_NE(j["notifications"][1].value("error", "").find("limit of 100 levels"), std::string::npos);
    inbox->ExpectAlive("rendering a stored 100,000-deep body");
    ASSERT_LT(inbox->Stop(), 10s);
  }
}

// The same nesting to every other service that parses JSON: a 400 naming the limit, and the
// service lives.
TEST(Bombs, DeepJsonRefusedByEveryService) {
  std::string deep = Deep(100000);
  {
    TempDir dir;
    std::string data = dir.File("dash");
    Service dash("dashboards",
                 [&](const std::string& l) { return std::vector<std::string>{"-httpListenAddr=" + l, "--data=" + data}; },
                 "/api/health");
    auto r = dash.Call("POST", "/api/dashboards/db", R"({"dashboard":{"title":"x","panels":)" + deep + "}}",
                       "application/json", {{"Authorization", "Basic " + http::Base64Encode("admin:admin")}});
    EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
    EXPECT_NE(r.body.find("limit of 100 levels"), std::string::npos) << r.body.substr(0, 300);
    dash.ExpectAlive("a 100,000-deep dashboard save");
  }
  {
    TempDir dir;
    auto am = Alertmanager(dir, kWebhookConfig);
    for (const char* path : {"/api/v2/alerts", "/api/v2/silences"}) {
      auto r = am->Call("POST", path, deep);
      EXPECT_EQ(r.status, 400) << path << ": " << r.body.substr(0, 300);
      EXPECT_NE(r.body.find("limit of 100 levels"), std::string::npos) << path << ": " << r.body.substr(0, 300);
    }
    am->ExpectAlive("100,000-deep alerts and silences");
  }
  {
    TempDir dir;
    std::string data = dir.File("storage");
    Service storage("storage",
                    [&](const std::string& l) { return std::vector<std::string>{"-httpListenAddr=" + l, "-storageDataPath=" + data}; },
                    "/health");
    auto r = storage.Call("POST", "/api/v1/import", R"({"metric":)" + deep + "}\n", "");
    EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
    EXPECT_NE(r.body.find("limit of 100 levels"), std::string::npos) << r.body.substr(0, 300);
    storage.ExpectAlive("a 100,000-deep JSON line");
  }
}

// ---- decompression ----

// 7 bytes that declare 512 MiB of snappy output: refused from the header alone, four at once.
TEST(Bombs, SnappyBombRefusedBeforeAllocating) {
  TempDir dir;
  std::string data = dir.File("storage");
  Service storage("storage",
                  [&](const std::string& l) { return std::vector<std::string>{"-httpListenAddr=" + l, "-storageDataPath=" + data}; },
                  "/health");
  // Varint 2^29 (512 MiB), then a literal tag with two bytes missing.
  const std::string bomb("\x80\x80\x80\x80\x02\x00\x00", 7);
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto r = storage.Call("POST", "/api/v1/write", bomb, "application/x-protobuf",
                            {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
      if (r.status == 413 && r.body.find("-maxInsertRequestSize") != std::string::npos) ++refused;
      EXPECT_EQ(r.status, 413) << r.body;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused.load(), 4);
  long peak_kb = ProcStatusKb(storage.pid(), "VmHWM");
  std::printf("storage peak RSS after four snappy bombs: %ld kB\n", peak_kb);
  ASSERT_GT(peak_kb, 0) << "cannot read /proc";
  EXPECT_LT(peak_kb, 200 * 1024) << "peak RSS grew as if 512 MiB were allocated";
  storage.ExpectAlive("snappy bombs");
}

// ---- alertmanager ----

// A receiver that keeps failing while the alertmanager holds thousands of alerts with large
// annotations: one history record per notification with its attempts, a bounded payload
// excerpt, bounded memory, and a prompt exit on SIGTERM. It answers 503, which is retried (a 413
// is not, as upstream: one attempt per flush), so every retry would have kept the whole payload.
TEST(Bombs, FailingReceiverKeepsHistoryBoundedAndStopsFast) {
  http::ServerOptions so;
  so.name = "receiver";
  so.listen_addr = "127.0.0.1:0";
  so.io_threads = 1;
  so.max_body_bytes = 64 << 20;
  http::Server receiver(so);
  std::atomic<int> hits{0};
  receiver.Route("POST", "/webhook", [&](http::Request&, http::Response& resp) {
    ++hits;
    resp.SetText(503, "unavailable\n");
  });
  ASSERT_TRUE(receiver.Start().ok());

  TempDir dir;
  auto am = Alertmanager(dir, fmt::format("route:\n  receiver: web\n  group_by: []\n  group_wait: 10s\n"
                                          "receivers:\n- name: web\n  webhook_configs:\n"
                                          "  - url: http://127.0.0.1:{}/webhook\n",
                                          receiver.port()));
  long base_kb = ProcStatusKb(am->pid(), "VmRSS");
  // 2,000 alerts with 6 KB annotations: a notification of about 12 MB, all posted within
  // group_wait.
  json alerts = json::array();
  std::string blob(6000, 'x');
  for (int i = 0; i < 2000; ++i) {
    alerts.push_back({{"labels", {{"alertname", "Bomb"}, {"instance", "host-" + std::to_string(i)}}},
                      {"annotations", {{"description", blob}}}});
  }
  auto t0 = std::chrono::steady_clock::now();
  auto posted = am->Call("POST", "/api/v2/alerts", alerts.dump());
  ASSERT_EQ(posted.status, 200) << posted.body;
  ASSERT_LT(std::chrono::steady_clock::now() - t0, 8s) << "posting took longer than group_wait";
  alerts = json();

  long max_kb = 0;
  json history;
  for (auto deadline = std::chrono::steady_clock::now() + 45s; std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(500ms);
    max_kb = std::max(max_kb, ProcStatusKb(am->pid(), "VmRSS"));
    auto h = am->Call("GET", "/api/v2/history?limit=100");
    history = json::parse(h.body, nullptr, false);
    if (history.is_array() && !history.empty() && history[0].value("attempt", 0) >= 3) break;
  }
  std::printf("alertmanager RSS: %ld kB at start, %ld kB at most while the receiver failed\n", base_kb, max_kb);
  ASSERT_GT(max_kb, 0) << "cannot read /proc";
  ASSERT_TRUE(history.is_array() && !history.empty()) << history.dump().substr(0, 300);
  EXPECT_EQ(history.size(), 1u) << "one record per notification, with its attempts";
  const json& rec = history[0];
  EXPECT_GE(rec.value("attempt", 0), 3);
  EXPECT_EQ(rec["attempts"].size(), static_cast<size_t>(std::min(rec.value("attempt", 0), 10)));
  EXPECT_LE(rec["payload"].get<std::string>().size(), 64u << 10);
  EXPECT_GT(rec.value("payloadBytes", 0), 10 << 20);
  EXPECT_EQ(rec.value("payloadSha256", "").size(), 64u);
  EXPECT_LE(rec["alerts"].size(), 100u);
  EXPECT_EQ(rec.value("alertsTotal", 0), 2000);
  EXPECT_LT(max_kb, 500 * 1024) << "RSS grew with every retry";
  auto took = am->Stop();
  std::printf("alertmanager exited %lld ms after SIGTERM\n", static_cast<long long>(took.count()));
  EXPECT_LT(took, 10s);
  receiver.Stop();
}

// An 8 MB literal regex in a silence: refused before compiling, the limit and its flag named.
TEST(Bombs, HugeSilenceRegexRefused) {
  TempDir dir;
  auto am = Alertmanager(dir, kWebhookConfig);
  json s = {{"matchers", {{{"name", "a"}, {"value", std::string(8 << 20, 'x')}, {"isRegex", true}}}},
            {"startsAt", "2026-01-01T00:00:00Z"}, {"endsAt", "2099-01-01T00:00:00Z"},
            {"createdBy", "t"}, {"comment", "c"}};
  auto r = am->Call("POST", "/api/v2/silences", s.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("exceeded maximum size"), std::string::npos) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("--silences.max-silence-size-bytes"), std::string::npos) << r.body.substr(0, 300);
  long peak_kb = ProcStatusKb(am->pid(), "VmHWM");
  std::printf("alertmanager peak RSS after an 8 MB regex silence: %ld kB\n", peak_kb);
  ASSERT_GT(peak_kb, 0) << "cannot read /proc";
  EXPECT_LT(peak_kb, 120 * 1024);
  // A normal regex silence still works.
  s["matchers"][0]["value"] = "web-(1|2)";
  EXPECT_EQ(am->Call("POST", "/api/v2/silences", s.dump()).status, 200);
  am->ExpectAlive("an 8 MB regex silence");
}

// --silences.max-silences (upstream v0.28): silences are kept in memory and on disk, so their
// number can be bounded; past it a new silence is refused with upstream's message, through the API
// and through Debian's amtool.
TEST(Bombs, TooManySilencesRefused) {
  TempDir dir;
  auto am = Alertmanager(dir, kWebhookConfig, {"--silences.max-silences=3"});
  auto silence = [](int i) {
    return json{{"matchers", {{{"name", "alertname"}, {"value", fmt::format("S{}", i)}, {"isRegex", false}}}},
                {"startsAt", "2026-01-01T00:00:00Z"}, {"endsAt", "2099-01-01T00:00:00Z"},
                {"createdBy", "t"}, {"comment", "c"}}
        .dump();
  };
  for (int i = 0; i < 3; ++i) ASSERT_EQ(am->Call("POST", "/api/v2/silences", silence(i)).status, 200) << i;
  auto r = am->Call("POST", "/api/v2/silences", silence(3));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body, nullptr, false), "exceeded maximum number of silences: 3 (limit: 3)") << r.body;
  if (testutil::Installed("amtool")) {
    std::string out;
    int rc = testutil::RunCommand("amtool --alertmanager.url=" + am->url() +
                                      " silence add alertname=Amtool --comment=c --author=t --duration=1h 2>&1",
                                  &out);
    EXPECT_NE(rc, 0) << out;
    EXPECT_NE(out.find("exceeded maximum number of silences"), std::string::npos) << out;
  }
  auto all = json::parse(am->Call("GET", "/api/v2/silences").body, nullptr, false);
  EXPECT_EQ(all.size(), 3u);
  am->ExpectAlive("a refused silence");
}

// A page on another origin can POST text/plain or form bodies without a preflight: upstream
// answers 415 to anything but application/json, and so must we.
TEST(Bombs, AlertmanagerRequiresJsonContentType) {
  TempDir dir;
  auto am = Alertmanager(dir, kWebhookConfig);
  std::string alert = R"([{"labels":{"alertname":"x"}}])";
  std::string silence = R"({"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2026-01-01T00:00:00Z",
                            "endsAt":"2099-01-01T00:00:00Z","createdBy":"t","comment":"c"})";
  for (auto [path, body] : {std::pair{"/api/v2/alerts", alert}, std::pair{"/api/v2/silences", silence}}) {
    // Without an Origin (a non-browser client) the media type alone decides; a foreign Origin is
    // refused earlier, by the cross-site check (hardening_cross_site_test).
    auto r = am->Call("POST", path, body, "text/plain");
    EXPECT_EQ(r.status, 415) << path;
    EXPECT_EQ(am->Call("POST", path, body, "text/plain", {{"Origin", "http://evil.example"}}).status, 403) << path;
    EXPECT_EQ(json::parse(r.body, nullptr, false),
              json::parse(R"({"code":415,"message":"unsupported media type \"text/plain\", only [application/json] are allowed"})"))
        << r.body;
    EXPECT_EQ(am->Call("POST", path, body, "application/x-www-form-urlencoded").status, 415) << path;
    EXPECT_EQ(am->Call("POST", path, body, "").status, 415) << path;
    EXPECT_EQ(am->Call("POST", path, body, "application/json; charset=utf-8").status, 200) << path;
  }
  auto silences = json::parse(am->Call("GET", "/api/v2/silences").body, nullptr, false);
  EXPECT_EQ(silences.size(), 1u) << "only the application/json silence was created";
}

// Every secret the config parser supports is shown as <secret> in /api/v2/status and /status.
// With Debian's alertmanager 0.25 installed, it must mask the same fields.
const char* kSecretConfig = R"(global:
  smtp_smarthost: 'localhost:25'
  smtp_from: 'a@b.c'
  smtp_auth_username: user
  smtp_auth_password: S1-smtp-password
  smtp_auth_secret: S2-smtp-secret
  slack_api_url: 'https://hooks.slack.com/S3-global-slack'
  opsgenie_api_key: S4-opsgenie
  wechat_api_secret: S5-wechat
  victorops_api_key: S6-victorops
route:
  receiver: web
receivers:
- name: web
  webhook_configs:
  - url: 'http://127.0.0.1:5001/webhook'
    http_config:
      basic_auth:
        username: wu
        password: S7-basic-password
  - url: 'http://127.0.0.1:5001/x'
    http_config:
      authorization:
        credentials: S8-credentials
- name: mail
  email_configs:
  - to: x@y.z
    auth_password: S9-email-password
    auth_secret: S10-email-secret
- name: slack
  slack_configs:
  - api_url: 'https://hooks.slack.com/S11-slack'
    channel: '#x'
)";

// The "key: <secret>" lines of a config text, in order.
std::vector<std::string> MaskedLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find("<secret>") == std::string::npos) continue;
    size_t b = line.find_first_not_of(" -");
    out.push_back(line.substr(b));
  }
  return out;
}

TEST(Bombs, AlertmanagerMasksSecrets) {
  TempDir dir;
  std::string config = std::string(kSecretConfig) +
                       "- name: more\n  webhook_configs:\n  - url: 'http://hookuser:S12-url-password@127.0.0.1:5001/'\n"
                       "    http_config:\n      bearer_token: S13-bearer\n";
  auto am = Alertmanager(dir, config);
  std::string original = json::parse(am->Call("GET", "/api/v2/status").body)["config"]["original"];
  std::string page = am->Call("GET", "/status").body;
  for (int i = 1; i <= 13; ++i) {
    std::string secret = fmt::format("S{}-", i);
    EXPECT_EQ(original.find(secret), std::string::npos) << secret << " shown in /api/v2/status:\n" << original;
    EXPECT_EQ(page.find(secret), std::string::npos) << secret << " shown in /status";
  }
  EXPECT_EQ(MaskedLines(original).size(), 12u) << original;  // S1..S11 and S13 (the URL shows xxxxx)
  EXPECT_NE(original.find("hookuser:xxxxx@127.0.0.1"), std::string::npos) << original;
  EXPECT_NE(page.find("&lt;secret&gt;"), std::string::npos);

  if (!testutil::Installed("prometheus-alertmanager")) {
    GTEST_SKIP() << "prometheus-alertmanager not installed: masking not compared with upstream";
  }
  // The same fields as upstream, on the config both show alike (upstream rewrites bearer_token
  // into authorization and shows URL passwords).
  TempDir up_dir;
  testutil::WriteFile(up_dir.File("am.yml"), kSecretConfig);
  TempDir our_dir;
  auto ours = Alertmanager(our_dir, kSecretConfig);
  int port = testutil::FreePort();
  Child upstream({"/usr/bin/prometheus-alertmanager", "--config.file=" + up_dir.File("am.yml"),
                  "--storage.path=" + up_dir.File("data"), "--web.listen-address=127.0.0.1:" + std::to_string(port),
                  "--cluster.listen-address="},
                 up_dir.File("upstream.log"));
  std::string up_url = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(testutil::WaitHttpOk(up_url + "/-/ready", 20s)) << testutil::ReadFile(up_dir.File("upstream.log"));
  auto up = http::Get(up_url + "/api/v2/status");
  ASSERT_TRUE(up.ok());
  std::string up_original = json::parse(up->body)["config"]["original"];
  std::string our_original = json::parse(ours->Call("GET", "/api/v2/status").body)["config"]["original"];
  EXPECT_EQ(MaskedLines(our_original), MaskedLines(up_original)) << "ours:\n" << our_original << "\nupstream:\n"
                                                                 << up_original;
}

}  // namespace
}  // namespace sremon
