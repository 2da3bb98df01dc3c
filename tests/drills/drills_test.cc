// The reference's incident drills, automated (issue #8): the whole stack started by `sremon up`
// on free ports with temporary directories and short intervals, checked through the real HTTP
// APIs of every service.
//   1. App down: `sremon stop app` → up == 0 → AppDown pending → firing → notification in the
//      inbox and in the Alertmanager API → `sremon start app` → resolved notification.
//   2. High traffic: `sremon load` above 5 req/s → HighRequestRate fires → load stops → resolved.
//   3. Error budget burn (the SLO rules). 4. The stack watching itself (the monitoring rules).
// The test configs (testutil::WriteFastStackConfig) keep the reference's rules and routes; only
// intervals, `for` and the rate window are shorter, so the drills take seconds, not minutes.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "http/http.h"
#include "testutil/probes.h"
#include "testutil/stack_config.h"
#include "testutil/testutil.h"

namespace sremon {
namespace {

using namespace std::chrono_literals;
using testutil::TempDir;

class DrillsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* s : {"app", "storage", "inbox", "alertmanager", "rules", "dashboards"}) {
      ports_[s] = testutil::FreePort();
    }
    testutil::WriteFastStackConfig(config_.path(), ports_["app"], ports_["storage"], ports_["inbox"]);
    // The shipped SLO rules, evaluated every second instead of every 30 s (same expressions).
    std::string slo = testutil::ReadFile(testutil::SourceDir() + "/prometheus/slo_rules.yml");
    for (size_t p = slo.find("interval: 30s"); p != std::string::npos; p = slo.find("interval: 30s", p)) {
      slo.replace(p, 13, "interval: 1s");
    }
    testutil::WriteFile(config_.File("prometheus/slo_rules.yml"), slo);
    // The stack watches itself: the shipped monitoring rules (evaluated every second) and a
    // scrape job per service, as the shipped prometheus.yml has them on the default ports.
    std::string monitoring = testutil::ReadFile(testutil::SourceDir() + "/prometheus/monitoring_rules.yml");
    monitoring.replace(monitoring.find("interval: 15s"), 13, "interval: 1s");
    testutil::WriteFile(config_.File("prometheus/monitoring_rules.yml"), monitoring);
    std::string scrape = testutil::ReadFile(config_.File("prometheus/prometheus.yml"));
    for (const char* s : {"storage", "rules", "alertmanager", "inbox", "dashboards"}) {
      scrape += std::string("  - job_name: ") + s + "\n    static_configs:\n      - targets: ['127.0.0.1:" + Port(s) + "']\n";
    }
    testutil::WriteFile(config_.File("prometheus/prometheus.yml"), scrape);
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

  // Polls until pred() holds; reports what it was waiting for on timeout.
  bool Eventually(const std::string& what, std::chrono::seconds timeout, const std::function<bool()>& pred) {
    if (testutil::Poll(timeout, pred)) return true;
    ADD_FAILURE() << "timed out after " << timeout.count() << "s waiting for: " << what;
    return false;
  }
  double QueryValue(const std::string& expr) { return testutil::QueryValue(Base("storage"), expr); }
  std::string RuleAlertState(const std::string& name) { return testutil::RuleAlertState(Base("rules"), name); }
  bool AlertmanagerHas(const std::string& name) { return testutil::AlertmanagerHas(Base("alertmanager"), name); }
  bool InboxHas(const std::string& name, const std::string& status) {
    return testutil::InboxHas(Base("inbox"), name, status);
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

// Drill 3, error budget burn: clean traffic, then the app's fault switch fails half of the
// requests. SLOErrorBudgetBurnFast must page within the time the SRE Workbook's arithmetic
// predicts. With h seconds of clean history at the same request rate and an error share e, a
// window that holds all of it sees the error ratio e·t/(h+t) after t seconds; the 6h/30m pair
// (threshold 6 × 0.5% = 3%) crosses first, at t = 0.03·h / (e − 0.03). Scraping (1 s), rate()
// needing two samples and the evaluation (1 s) add a few seconds of delay.
TEST_F(DrillsTest, ErrorBudgetBurnPages) {
  ASSERT_TRUE(Eventually("the app is scraped", 15s, [&] { return QueryValue("up{job=\"sre_app\"}") == 1; }));
  const double clean_seconds = 15, error_share = 0.5, threshold = 6 * 0.005;
  std::string load_out;
  std::thread load([&] {
    Sremon("load " + Base("app") + "/ --rate 20 --duration 45s --concurrency 2 --quiet", &load_out);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(clean_seconds * 1000)));
  EXPECT_EQ(RuleAlertState("SLOErrorBudgetBurnFast"), "") << "paged before any error";
  auto chaos = http::Post(Base("app") + "/chaos", "{\"error_rate\":0.5}", "application/json");
  ASSERT_TRUE(chaos.ok() && chaos->status == 200) << (chaos.ok() ? chaos->body : chaos.status().ToString());
  auto start = std::chrono::steady_clock::now();
  const double predicted = threshold * clean_seconds / (error_share - threshold);
  EXPECT_TRUE(Eventually("SLOErrorBudgetBurnFast firing", 30s,
                         [&] { return RuleAlertState("SLOErrorBudgetBurnFast") == "firing"; }));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "fast burn paged " << took << " s after the errors began (workbook arithmetic: " << predicted
            << " s + scrape/evaluation delay)\n";
  EXPECT_LT(took, predicted + 8) << "paged later than the workbook predicts";
  EXPECT_TRUE(Eventually("the page in the inbox", 15s, [&] { return InboxHas("SLOErrorBudgetBurnFast", "firing"); }));
  http::ClientRequest clear;
  clear.method = "DELETE";
  clear.url = Base("app") + "/chaos";
  EXPECT_TRUE(http::Fetch(clear).ok());
  load.join();
}

// Drill 4, the stack watches itself: `sremon stop rules` leaves a gap in rule evaluation that the
// shipped MonitoringRulesWereDown reports once the rules service is back (nothing evaluates
// while it is down; see the header of prometheus/monitoring_rules.yml).
TEST_F(DrillsTest, RulesServiceDownIsReported) {
  std::string out;
  ASSERT_TRUE(Eventually("the rules service is scraped", 15s, [&] { return QueryValue("up{job=\"rules\"}") == 1; }));
  EXPECT_TRUE(Eventually("every service of the stack scraped (it serves /metrics)", 15s, [&] {
    return QueryValue("sum(up{job=~\"storage|rules|alertmanager|inbox|dashboards\"})") == 5;
  }));
  ASSERT_EQ(Sremon("stop rules", &out), 0) << out;
  EXPECT_TRUE(Eventually("up{job=\"rules\"} == 0", 10s, [&] { return QueryValue("up{job=\"rules\"}") == 0; }));
  ASSERT_EQ(Sremon("start rules", &out), 0) << out;
  EXPECT_TRUE(Eventually("firing MonitoringRulesWereDown in the inbox", 30s,
                         [&] { return InboxHas("MonitoringRulesWereDown", "firing"); }));
  EXPECT_FALSE(InboxHas("MonitoringServiceDown", "firing")) << "a few seconds down is not a service down (for: 1m)";
}

}  // namespace
}  // namespace sremon
