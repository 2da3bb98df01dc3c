// `sremon inbox` end to end: any-path POST of any JSON, polling with since, the bound on what
// is kept, persistence across kill -9, the HTML page, and garbage.
#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "testutil/testutil.h"

namespace sremon {
namespace {

using json = nlohmann::json;

class InboxProcess {
 public:
  InboxProcess(const std::string& data, int max) : data_(data), max_(max) { Start(); }
  void Start() {
    port_ = testutil::FreePort();
    child_ = std::make_unique<testutil::Child>(
        std::vector<std::string>{testutil::SremonBin(), "inbox", "-httpListenAddr=127.0.0.1:" + std::to_string(port_),
                                 "-storageDataPath=" + data_, "-maxNotifications=" + std::to_string(max_)},
        data_ + ".log");
    ASSERT_TRUE(testutil::WaitHttpOk(url() + "/health"));
  }
  void Kill9() {
    child_->Stop(SIGKILL);
    child_.reset();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  json Get(const std::string& path) {
    auto r = http::Get(url() + path);
    EXPECT_TRUE(r.ok() && r->status == 200) << path;
    return r.ok() ? json::parse(r->body, nullptr, false) : json();
  }
  int Post(const std::string& path, const std::string& body) {
    auto r = http::Post(url() + path, body, "application/json");
    return r.ok() ? r->status : -1;
  }

 private:
  std::string data_;
  int max_;
  int port_ = 0;
  std::unique_ptr<testutil::Child> child_;
};

TEST(Inbox, StoresPollsBoundsAndSurvivesKill9) {
  testutil::TempDir dir;
  InboxProcess inbox(dir.File("data"), 5);
  json msg = json::parse(R"({"version":"4","status":"firing","receiver":"default","groupLabels":{"alertname":"A"},
    "alerts":[{"status":"firing","labels":{"alertname":"A","severity":"page"},"annotations":{"summary":"<i>x</i>"},
    "startsAt":"2024-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]})");
  EXPECT_EQ(inbox.Post("/webhook", msg.dump()), 200);
  EXPECT_EQ(inbox.Post("/any/path", "[1,2,3]"), 200);
  EXPECT_EQ(inbox.Post("/webhook", "not json"), 400);
  EXPECT_EQ(inbox.Post("/webhook", ""), 400);
  json all = inbox.Get("/api/notifications");
  ASSERT_EQ(all["notifications"].size(), 2u);
  EXPECT_EQ(all["notifications"][0]["payload"], msg);
  EXPECT_EQ(all["notifications"][1]["path"], "/any/path");
  int64_t first = all["notifications"][0]["id"];
  EXPECT_EQ(inbox.Get("/api/notifications?since=" + std::to_string(first))["notifications"].size(), 1u);
  EXPECT_EQ(inbox.Get("/api/notifications?since=2020-01-01T00:00:00Z")["notifications"].size(), 2u);
  EXPECT_EQ(inbox.Get("/api/notifications?since=4102444800")["notifications"].size(), 0u);
  EXPECT_EQ(http::Get(inbox.url() + "/api/notifications?since=yesterday")->status, 400);

  // Bounded: only the newest 5 stay.
  for (int i = 0; i < 8; ++i) EXPECT_EQ(inbox.Post("/webhook", json{{"n", i}}.dump()), 200);
  all = inbox.Get("/api/notifications");
  ASSERT_EQ(all["notifications"].size(), 5u);
  EXPECT_EQ(all["notifications"][4]["payload"]["n"], 7);

  inbox.Post("/webhook", msg.dump());
  inbox.Kill9();
  inbox.Start();
  all = inbox.Get("/api/notifications");
  ASSERT_EQ(all["notifications"].size(), 5u);
  EXPECT_EQ(all["notifications"][4]["payload"], msg);

  auto page = http::Get(inbox.url() + "/");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("firing"), std::string::npos);
  EXPECT_NE(page->body.find("severity"), std::string::npos);
  EXPECT_NE(page->body.find("&lt;i&gt;x&lt;/i&gt;"), std::string::npos);
  // Newest first: the alert message (last posted) comes before {"n": 7}.
  EXPECT_LT(page->body.find("severity"), page->body.find("&quot;n&quot;"));
  auto metrics = http::Get(inbox.url() + "/metrics");
  EXPECT_NE(metrics->body.find("sremon_inbox_notifications_received_total"), std::string::npos);
}

}  // namespace
}  // namespace sremon
