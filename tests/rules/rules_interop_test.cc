// Interop with Debian's programs: our rules service sends to Debian's prometheus-alertmanager
// (the alert reaches a webhook with our labels, annotations and timings), and the same rules
// run by Debian's vmalert produce the same labels and annotations as ours.
#include <set>

#include "harness.h"

namespace sremon::rules::e2e {
namespace {

constexpr const char* kRules = R"(groups:
- name: interop
  interval: 1s
  rules:
  - alert: AppDown
    expr: vector(0) == 0
    for: 2s
    labels:
      severity: critical
    annotations:
      summary: "App SRE está DOWN"
      description: "value {{ $value }} {{ $labels.severity }} {{ 1234567.0 | humanize }} {{ 0.25 | humanizePercentage }}"
)";

class Alertmanager {
 public:
  Alertmanager(const testutil::TempDir& dir, const std::string& webhook) : port_(testutil::FreePort()) {
    testutil::WriteFile(dir.File("am.yml"), fmt::format(R"(route:
  receiver: hook
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
- name: hook
  webhook_configs:
  - url: {}/webhook
    send_resolved: true
)", webhook));
    child_ = std::make_unique<testutil::Child>(
        std::vector<std::string>{"/usr/bin/prometheus-alertmanager", "--config.file=" + dir.File("am.yml"),
                                 "--storage.path=" + dir.File("am-data"),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--cluster.listen-address="},
        dir.File("am.log"));
    ok_ = testutil::WaitHttpOk(url() + "/-/ready", std::chrono::milliseconds(15000));
  }
  bool ok() const { return ok_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  std::unique_ptr<testutil::Child> child_;
  bool ok_ = false;
};

TEST(RulesInterop, DebianAlertmanagerDeliversOurAlerts) {
  if (!testutil::Installed("victoria-metrics") || !testutil::Installed("prometheus-alertmanager")) {
    GTEST_SKIP() << "Debian's victoria-metrics or prometheus-alertmanager is not installed";
  }
  testutil::TempDir dir;
  testutil::VictoriaMetrics vm(dir.path());
  ASSERT_TRUE(vm.ok());
  Receiver hook("/webhook");
  Alertmanager am(dir, hook.url());
  ASSERT_TRUE(am.ok()) << testutil::ReadFile(dir.File("am.log"));
  testutil::WriteFile(dir.File("rules.yml"), kRules);
  RulesService rs(dir, {"-rule=" + dir.File("rules.yml"), "-datasource.url=" + vm.url(), "-notifier.url=" + am.url(),
                        "-external.label=env=lab"});
  ASSERT_TRUE(rs.ok());
  ASSERT_TRUE(testutil::Poll(std::chrono::seconds(20), [&] { return !hook.bodies().empty(); }))
      << testutil::ReadFile(dir.File("rules.log")) << testutil::ReadFile(dir.File("am.log"));
  auto payload = nlohmann::json::parse(hook.bodies()[0]);
  EXPECT_EQ(payload["version"], "4");
  EXPECT_EQ(payload["status"], "firing");
  ASSERT_EQ(payload["alerts"].size(), 1u);
  auto a = payload["alerts"][0];
  EXPECT_EQ(a["labels"], nlohmann::json({{"alertname", "AppDown"}, {"env", "lab"}, {"severity", "critical"}}));
  EXPECT_EQ(a["annotations"]["summary"], "App SRE está DOWN");
  // $labels holds the series labels only: a rule label is "<no value>", as in Prometheus and vmalert.
  EXPECT_EQ(a["annotations"]["description"], "value 0 <no value> 1.235M 25%");
  EXPECT_EQ(a["endsAt"], "0001-01-01T00:00:00Z") << "firing alerts have no end in the webhook";
  int64_t starts = *ParseRfc3339(a["startsAt"].get<std::string>());
  auto ours = rs.Alerts();
  ASSERT_EQ(ours.size(), 1u);
  int64_t active_at = *ParseRfc3339(ours[0]["activeAt"].get<std::string>());
  EXPECT_GE(starts - active_at, 2000);
  EXPECT_LE(starts - active_at, 3000);
  EXPECT_NE(a["generatorURL"].get<std::string>().find("/graph?g0.expr="), std::string::npos);
}

TEST(RulesInterop, SameAlertsAsDebianVmalert) {
  if (!testutil::Installed("victoria-metrics") || !testutil::Installed("vmalert")) GTEST_SKIP() << "Debian's victoria-metrics or vmalert is not installed";
  testutil::TempDir dir;
  testutil::VictoriaMetrics vm(dir.path());
  ASSERT_TRUE(vm.ok());
  testutil::WriteFile(dir.File("rules.yml"), kRules);
  Receiver ours_rx("/api/v2/alerts"), theirs_rx("/api/v2/alerts");
  RulesService rs(dir, {"-rule=" + dir.File("rules.yml"), "-datasource.url=" + vm.url(), "-notifier.url=" + ours_rx.url(),
                        "-external.label=env=lab"});
  ASSERT_TRUE(rs.ok());
  int vmalert_port = testutil::FreePort();
  testutil::Child vmalert({"/usr/bin/vmalert", "-rule=" + dir.File("rules.yml"), "-datasource.url=" + vm.url(),
                           "-notifier.url=" + theirs_rx.url(), "-external.label=env=lab",
                           "-httpListenAddr=127.0.0.1:" + std::to_string(vmalert_port)},
                          dir.File("vmalert.log"));
  ASSERT_TRUE(testutil::Poll(std::chrono::seconds(30), [&] { return !ours_rx.Alerts().empty() && !theirs_rx.Alerts().empty(); }))
      << testutil::ReadFile(dir.File("vmalert.log"));
  auto ours = ours_rx.Alerts()[0], theirs = theirs_rx.Alerts()[0];
  // vmalert adds its group name as "alertgroup"; everything else must match.
  auto their_labels = theirs["labels"];
  their_labels.erase("alertgroup");
  EXPECT_EQ(ours["labels"], their_labels);
  EXPECT_EQ(ours["annotations"], theirs["annotations"]);
  for (const auto* a : {&ours, &theirs}) {
    EXPECT_TRUE((*a).contains("startsAt"));
    EXPECT_GT(*ParseRfc3339((*a)["endsAt"].get<std::string>()), *ParseRfc3339((*a)["startsAt"].get<std::string>()));
  }
}

}  // namespace
}  // namespace sremon::rules::e2e
