// Faults across the stack (issue #8): with `sremon load` running and an alert firing, each
// stateful service in turn is killed with SIGKILL and brought back by `sremon up`; then:
//   storage      — no acknowledged sample lost;
//   rules        — the firing alert comes back firing (its `for` is not restarted);
//   alertmanager — no silence lost, no duplicate notification sent;
//   inbox        — its history kept;
//   dashboards   — no dashboard or user lost.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "testutil/probes.h"
#include "testutil/stack_config.h"
#include "testutil/testutil.h"
#include "util/time.h"

namespace sremon {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using testutil::TempDir;

class Kill9Test : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* s : {"app", "storage", "inbox", "alertmanager", "rules", "dashboards"}) ports_[s] = testutil::FreePort();
    testutil::WriteFastStackConfig(config_.path(), ports_["app"], ports_["storage"], ports_["inbox"]);
    std::string out;
    ASSERT_EQ(Sremon("up", &out), 0) << out;
    started_ = true;
  }

  void TearDown() override {
    if (!started_) return;
    std::string out;
    Sremon("down", &out);
  }

  std::string Port(const std::string& s) { return std::to_string(ports_[s]); }
  std::string Base(const std::string& s) { return "http://127.0.0.1:" + Port(s); }

  int Sremon(const std::string& args, std::string* out) {
    std::string ports;
    for (const auto& [name, port] : ports_) ports += (ports.empty() ? "" : ",") + name + "=" + std::to_string(port);
    return testutil::RunCommand(testutil::SremonBin() + " " + args + " --state-dir " + state_.path() + " --data-dir " +
                                    data_.path() + " --config-dir " + config_.path() + " --ports " + ports,
                                out);
  }

  // kill -9 the service, then `sremon up` brings back what is missing.
  void KillAndRestart(const std::string& service) {
    std::string pid_text = testutil::ReadFile(state_.File(service + ".pid"));
    pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    ASSERT_EQ(kill(pid, SIGKILL), 0) << service;
    ASSERT_TRUE(testutil::Poll(5s, [&] { return kill(pid, 0) != 0; })) << service << " survived SIGKILL";
    std::string out;
    ASSERT_EQ(Sremon("up", &out), 0) << "sremon up did not bring " << service << " back:\n" << out;
  }

  int FiringNotifications(const std::string& alertname) {
    json j = testutil::GetJson(Base("inbox") + "/api/notifications?limit=1000");
    int n = 0;
    for (const auto& note : j["notifications"]) {
      const json& p = note["payload"];
      if (p.is_object() && p["status"] == "firing" && p["alerts"].is_array() && !p["alerts"].empty() &&
          p["alerts"][0]["labels"]["alertname"] == alertname) {
        ++n;
      }
    }
    return n;
  }

  std::map<std::string, int> ports_;
  TempDir config_, state_, data_;
  bool started_ = false;
};

TEST_F(Kill9Test, EveryStatefulServiceSurvivesSigkill) {
  ASSERT_TRUE(testutil::Poll(15s, [&] { return testutil::QueryValue(Base("storage"), "up{job=\"sre_app\"}") == 1; }));
  std::atomic<bool> load_done{false};
  std::thread load([&] {
    std::string out;
    testutil::RunCommand(testutil::SremonBin() + " load " + Base("app") + "/ --rate 20 --duration 45s --quiet", &out);
    load_done = true;
  });
  struct JoinOnExit {
    std::thread& t;
    ~JoinOnExit() {
      if (t.joinable()) t.join();
    }
  } join{load};

  ASSERT_TRUE(testutil::Poll(30s, [&] { return testutil::RuleAlertState(Base("rules"), "HighRequestRate") == "firing"; }));
  ASSERT_TRUE(testutil::Poll(15s, [&] { return FiringNotifications("HighRequestRate") == 1; }));

  // State to keep: an acknowledged sample, a silence, a dashboard.
  int64_t now = NowMs();
  auto imported = http::Post(Base("storage") + "/api/v1/import/prometheus",
                             "kill9_marker{batch=\"1\"} 42 " + std::to_string(now) + "\n", "text/plain");
  ASSERT_TRUE(imported.ok() && imported->status / 100 == 2);
  json silence = {{"matchers", {{{"name", "alertname"}, {"value", "SomethingElse"}, {"isRegex", false}, {"isEqual", true}}}},
                  {"startsAt", FormatRfc3339Ms(now)},
                  {"endsAt", FormatRfc3339Ms(now + 3600000)},
                  {"createdBy", "kill9_test"},
                  {"comment", "must survive kill -9"}};
  auto created = http::Post(Base("alertmanager") + "/api/v2/silences", silence.dump(), "application/json");
  ASSERT_TRUE(created.ok() && created->status == 200) << (created.ok() ? created->body : created.status().ToString());
  std::string silence_id = json::parse(created->body)["silenceID"];
  std::string admin = "http://admin:admin@127.0.0.1:" + Port("dashboards");
  auto saved = http::Post(admin + "/api/dashboards/db",
                          json{{"dashboard", {{"title", "Kill9 survivor"}, {"panels", json::array()}}}, {"overwrite", true}}.dump(),
                          "application/json");
  ASSERT_TRUE(saved.ok() && saved->status == 200) << (saved.ok() ? saved->body : saved.status().ToString());
  std::string uid = json::parse(saved->body)["uid"];
  size_t inbox_count = testutil::GetJson(Base("inbox") + "/api/notifications?limit=1000")["notifications"].size();

  KillAndRestart("storage");
  EXPECT_EQ(testutil::QueryValue(Base("storage"), "kill9_marker"), 42) << "acknowledged sample lost";

  KillAndRestart("rules");
  // The first state the restarted rules service reports must be firing, not pending.
  std::string first_state;
  ASSERT_TRUE(testutil::Poll(10s, [&] {
    first_state = testutil::RuleAlertState(Base("rules"), "HighRequestRate");
    return !first_state.empty();
  }));
  EXPECT_EQ(first_state, "firing") << "a firing alert went back to " << first_state << " after kill -9";

  KillAndRestart("alertmanager");
  auto got = http::Get(Base("alertmanager") + "/api/v2/silence/" + silence_id);
  EXPECT_TRUE(got.ok() && got->status == 200) << "silence lost after kill -9";

  KillAndRestart("inbox");
  EXPECT_GE(testutil::GetJson(Base("inbox") + "/api/notifications?limit=1000")["notifications"].size(), inbox_count);

  KillAndRestart("dashboards");
  auto dash = http::Get(admin + "/api/dashboards/uid/" + uid);
  EXPECT_TRUE(dash.ok() && dash->status == 200) << "dashboard lost after kill -9";
  auto login = http::Post(Base("dashboards") + "/login", json{{"user", "admin"}, {"password", "admin"}}.dump(),
                          "application/json");
  EXPECT_TRUE(login.ok() && login->status == 200) << "admin user lost after kill -9";

  // Give rules and alertmanager time to resend: an unchanged firing group is not notified twice
  // before repeat_interval (1h), whatever was killed.
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(FiringNotifications("HighRequestRate"), 1) << "duplicate notification after kill -9";
  std::string status;
  EXPECT_EQ(Sremon("status", &status), 0) << status;
}

}  // namespace
}  // namespace sremon
