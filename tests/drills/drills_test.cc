// The reference's incident drills, automated (issue #8): the whole stack started by `sremon up`
// on free ports with temporary directories and short intervals, checked through the real HTTP
// APIs of every service.
//   1. App down: `sremon stop app` → up == 0 → AppDown pending → firing → notification in the
//      inbox and in the Alertmanager API → `sremon start app` → resolved notification.
//   2. High traffic: `sremon load` above 5 req/s → HighRequestRate fires → load stops → resolved.
// The test configs keep the reference's rules and routes; only intervals, `for` and the rate
// window are shorter, so the drills take seconds instead of minutes.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "testutil/testutil.h"

namespace sremon {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using testutil::TempDir;

class DrillsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* s : {"app", "storage", "inbox", "alertmanager", "rules", "dashboards"}) {
      ports_[s] = testutil::FreePort();
    }
    std::filesystem::create_directories(config_.File("prometheus"));
    std::filesystem::create_directories(config_.File("grafana/provisioning/datasources"));
    std::filesystem::create_directories(config_.File("grafana/provisioning/dashboards"));
    testutil::WriteFile(config_.File("prometheus/prometheus.yml"),
                        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                        "scrape_configs:\n  - job_name: sre_app\n    metrics_path: /metrics\n"
                        "    static_configs:\n      - targets: [\"127.0.0.1:" + Port("app") + "\"]\n");
    testutil::WriteFile(config_.File("prometheus/alert_rules.yml"), R"(groups:
  - name: sre_app_alerts
    interval: 1s
    rules:
      - alert: AppDown
        expr: up{job="sre_app"} == 0
        for: 3s
        labels:
          severity: critical
        annotations:
          summary: "App SRE está DOWN"
          description: "A aplicação {{ $labels.job }} está fora do ar há mais de 30 segundos."
      - alert: HighRequestRate
        expr: rate(app_requests_total[10s]) > 5
        for: 3s
        labels:
          severity: warning
        annotations:
          summary: "Taxa de requisições alta"
          description: "A aplicação está recebendo mais de 5 req/s."
)");
    testutil::WriteFile(config_.File("prometheus/alertmanager.yml"),
                        "route:\n  receiver: default\n  group_by: [alertname]\n  group_wait: 1s\n"
                        "  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: default\n"
                        "    webhook_configs:\n      - url: http://127.0.0.1:" + Port("inbox") + "/webhook\n"
                        "        send_resolved: true\n");
    testutil::WriteFile(config_.File("grafana/provisioning/datasources/datasource.yml"),
                        "apiVersion: 1\ndatasources:\n  - name: sremon\n    type: prometheus\n    access: proxy\n"
                        "    url: http://127.0.0.1:" + Port("storage") + "\n    isDefault: true\n");
    std::string out;
    int rc = Sremon("up", &out);
    ASSERT_EQ(rc, 0) << out;
    started_ = true;
  }

  void TearDown() override {
    if (!started_) return;
    std::string out;
    EXPECT_EQ(Sremon("down", &out), 0) << out;
    if (HasFailure()) {
      for (const char* s : {"storage", "rules", "alertmanager", "inbox"}) {
        std::cerr << "---- " << s << " log (tail)\n" << Tail(testutil::ReadFile(state_.File(std::string("logs/") + s + ".log")));
      }
    }
  }

  static std::string Tail(const std::string& s) { return s.size() > 3000 ? s.substr(s.size() - 3000) : s; }

  std::string Port(const std::string& service) { return std::to_string(ports_[service]); }
  std::string Base(const std::string& service) { return "http://127.0.0.1:" + Port(service); }

  // Runs `sremon COMMAND ...` against this test's stack.
  int Sremon(const std::string& args, std::string* out) {
    std::string ports;
    for (const auto& [name, port] : ports_) ports += (ports.empty() ? "" : ",") + name + "=" + std::to_string(port);
    std::string cmd = testutil::SremonBin() + " " + args + " --state-dir " + state_.path() + " --data-dir " +
                      data_.path() + " --config-dir " + config_.path() + " --ports " + ports;
    if (args.rfind("load", 0) == 0) cmd = testutil::SremonBin() + " " + args;
    return testutil::RunCommand(cmd, out);
  }

  json GetJson(const std::string& url) {
    auto r = http::Get(url, 3s);
    if (!r.ok() || r->status != 200) return json();
    return json::parse(r->body, nullptr, false);
  }

  // Polls until pred() holds; reports what it was waiting for on timeout.
  bool Eventually(const std::string& what, std::chrono::seconds timeout, const std::function<bool()>& pred) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(200ms);
    }
    ADD_FAILURE() << "timed out after " << timeout.count() << "s waiting for: " << what;
    return false;
  }

  // The value of an instant query's first sample, or NaN.
  double QueryValue(const std::string& expr) {
    json j = GetJson(Base("storage") + "/api/v1/query?query=" + http::UrlEncode(expr));
    if (!j.is_object() || j["data"]["result"].empty()) return NAN;
    return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
  }

  // The state of an alert in the rules service's /api/v1/alerts ("" when absent).
  std::string RuleAlertState(const std::string& alertname) {
    json j = GetJson(Base("rules") + "/api/v1/alerts");
    if (!j.is_object()) return "";
    for (const auto& a : j["data"]["alerts"]) {
      if (a["labels"]["alertname"] == alertname) return a["state"].get<std::string>();
    }
    return "";
  }

  bool AlertmanagerHas(const std::string& alertname) {
    json j = GetJson(Base("alertmanager") + "/api/v2/alerts");
    if (!j.is_array()) return false;
    for (const auto& a : j) {
      if (a["labels"]["alertname"] == alertname) return true;
    }
    return false;
  }

  // True when the inbox holds a webhook notification with that status for that alert.
  bool InboxHas(const std::string& alertname, const std::string& status) {
    json j = GetJson(Base("inbox") + "/api/notifications?limit=1000");
    if (!j.is_object()) return false;
    for (const auto& n : j["notifications"]) {
      const json& p = n["payload"];
      if (!p.is_object() || p["status"] != status) continue;
      for (const auto& a : p["alerts"]) {
        if (a["labels"]["alertname"] == alertname && a["status"] == status) return true;
      }
    }
    return false;
  }

  std::map<std::string, int> ports_;
  TempDir config_, state_, data_;
  bool started_ = false;
};

TEST_F(DrillsTest, AppDownFiresAndResolves) {
  std::string out;
  ASSERT_TRUE(Eventually("up{job=\"sre_app\"} == 1", 15s, [&] { return QueryValue("up{job=\"sre_app\"}") == 1; }));

  ASSERT_EQ(Sremon("stop app", &out), 0) << out;
  EXPECT_NE(Sremon("status", &out), 0) << "status must fail while the app is down:\n" << out;
  EXPECT_TRUE(Eventually("up == 0", 10s, [&] { return QueryValue("up{job=\"sre_app\"}") == 0; }));
  bool saw_pending = false;
  EXPECT_TRUE(Eventually("AppDown firing", 20s, [&] {
    std::string state = RuleAlertState("AppDown");
    saw_pending |= state == "pending";
    return state == "firing";
  }));
  EXPECT_TRUE(saw_pending) << "AppDown went to firing without being seen pending (for: 3s)";
  EXPECT_TRUE(Eventually("AppDown in the Alertmanager API", 10s, [&] { return AlertmanagerHas("AppDown"); }));
  EXPECT_TRUE(Eventually("firing AppDown in the inbox", 15s, [&] { return InboxHas("AppDown", "firing"); }));

  ASSERT_EQ(Sremon("start app", &out), 0) << out;
  EXPECT_TRUE(Eventually("up == 1 again", 10s, [&] { return QueryValue("up{job=\"sre_app\"}") == 1; }));
  EXPECT_TRUE(Eventually("resolved AppDown in the inbox", 30s, [&] { return InboxHas("AppDown", "resolved"); }));
  EXPECT_EQ(Sremon("status", &out), 0) << out;
}

TEST_F(DrillsTest, HighTrafficFiresAndResolves) {
  ASSERT_TRUE(Eventually("the app is scraped", 15s, [&] { return QueryValue("up{job=\"sre_app\"}") == 1; }));
  // 25 req/s for 20 s: the 10 s rate passes 5 req/s within seconds and holds past `for: 3s`.
  std::string load_out;
  std::thread load([&] {
    Sremon("load " + Base("app") + "/ --rate 25 --duration 20s --concurrency 2 --quiet", &load_out);
  });
  EXPECT_TRUE(Eventually("HighRequestRate firing", 25s, [&] { return RuleAlertState("HighRequestRate") == "firing"; }));
  EXPECT_TRUE(Eventually("firing HighRequestRate in the inbox", 15s,
                         [&] { return InboxHas("HighRequestRate", "firing"); }));
  load.join();
  EXPECT_NE(load_out.find("req"), std::string::npos) << load_out;
  EXPECT_TRUE(Eventually("resolved HighRequestRate in the inbox", 40s,
                         [&] { return InboxHas("HighRequestRate", "resolved"); }));
}

}  // namespace
}  // namespace sremon
