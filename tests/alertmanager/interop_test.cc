// Interop with Debian's upstream programs against `sremon alertmanager`: amtool (alert
// add/query, silence add/query/expire/import, config routes test) and vmalert sending the alerts
// of a rule evaluated on a real VictoriaMetrics. Each part skips when its binary is absent.
#include <algorithm>

#include <fmt/format.h>

#include "harness.h"
#include "testutil/victoria_metrics.h"
#include "util/strings.h"

namespace sremon::amtest {
namespace {

// RunCommand appends to its output string: start from an empty one each time.
int RunCmd(const std::string& cmd, std::string* out = nullptr) {
  if (out) out->clear();
  return testutil::RunCommand(cmd, out);
}

std::string Conf(const std::string& url) {
  return fmt::format(R"(
route:
  receiver: default
  group_wait: 100ms
  routes:
  - matchers: [severity="page"]
    receiver: pager
receivers:
- name: default
  webhook_configs: [{{url: '{}'}}]
- name: pager
  webhook_configs: [{{url: '{}'}}]
)",
                     url, url);
}

TEST(Interop, Amtool) {
  if (!testutil::Installed("amtool")) GTEST_SKIP() << "amtool not installed";
  Webhook wh;
  AmServer am(Conf(wh.url()));
  std::string amtool = "amtool --alertmanager.url=" + am.url() + " ";
  std::string out;
  ASSERT_EQ(RunCmd(amtool + "alert add alertname=DiskFull severity=page instance=db1 "
                                          "--annotation=summary='disk is full' 2>&1",
                                 &out),
            0)
      << out;
  ASSERT_EQ(RunCmd(amtool + "alert query -o json 2>/dev/null", &out), 0) << out;
  json alerts = json::parse(out, nullptr, false);
  ASSERT_EQ(alerts.size(), 1u) << out;
  EXPECT_EQ(alerts[0]["labels"]["alertname"], "DiskFull");
  EXPECT_EQ(alerts[0]["annotations"]["summary"], "disk is full");
  EXPECT_EQ(alerts[0]["receivers"][0]["name"], "pager");
  ASSERT_EQ(RunCmd(amtool + "alert query alertname=DiskFull 2>/dev/null", &out), 0);
  EXPECT_NE(out.find("DiskFull"), std::string::npos) << out;

  ASSERT_EQ(RunCmd(amtool + "silence add alertname=DiskFull -c 'maintenance' -a tester -d 1h 2>/dev/null", &out), 0)
      << out;
  std::string id(Trim(out));
  EXPECT_EQ(id.size(), 36u) << out;
  ASSERT_EQ(RunCmd(amtool + "silence query -q 2>/dev/null", &out), 0);
  EXPECT_EQ(Trim(out), id);
  ASSERT_EQ(RunCmd(amtool + "alert query -s -o json 2>/dev/null", &out), 0);
  EXPECT_EQ(json::parse(out)[0]["status"]["silencedBy"][0], id) << out;
  // Export as JSON and import it back (creates new silences with the same matchers).
  ASSERT_EQ(RunCmd(amtool + "silence query -o json > " + am.dir().File("sil.json") + " 2>/dev/null"), 0);
  ASSERT_EQ(RunCmd(amtool + "silence expire " + id + " 2>&1", &out), 0) << out;
  ASSERT_EQ(RunCmd(amtool + "silence query -q 2>/dev/null", &out), 0);
  EXPECT_EQ(Trim(out), "");
  ASSERT_EQ(RunCmd(amtool + "silence query --expired -q 2>/dev/null", &out), 0);
  EXPECT_EQ(Trim(out), id);
  ASSERT_EQ(RunCmd(amtool + "silence import " + am.dir().File("sil.json") + " 2>&1", &out), 0) << out;
  ASSERT_EQ(RunCmd(amtool + "silence query -o json 2>/dev/null", &out), 0);
  json active = json::parse(out);
  ASSERT_EQ(active.size(), 1u) << out;
  EXPECT_NE(active[0]["id"], id);
  EXPECT_EQ(active[0]["comment"], "maintenance");

  // config routes test reads config.original from /api/v2/status.
  ASSERT_EQ(RunCmd(amtool + "config routes test severity=page 2>/dev/null", &out), 0) << out;
  EXPECT_EQ(Trim(out), "pager");
  ASSERT_EQ(RunCmd(amtool + "config routes test severity=info 2>/dev/null", &out), 0) << out;
  EXPECT_EQ(Trim(out), "default");
}

// A rule evaluator (vmalert or `sremon rules`, same flags) on a real VictoriaMetrics sends
// its firing alert to us; we route it and deliver it to the webhook.
void RuleEvaluatorSendsToUs(const std::string& evaluator) {
  Webhook wh;
  AmServer am(Conf(wh.url()));
  testutil::TempDir dir;
  int eval_port = testutil::FreePort();
  testutil::VictoriaMetrics vm(dir.path());
  ASSERT_TRUE(vm.ok()) << testutil::ReadFile(vm.log());
  std::string vm_url = vm.url();
  ASSERT_TRUE(vm.Import(fmt::format("sremon_interop_up{{job=\"db\",instance=\"a\"}} 0 {}\n", NowMs() - 5000)));
  vm.Flush();  // searchable now rather than after VictoriaMetrics' next in-memory flush
  testutil::WriteFile(dir.File("rules.yml"), R"(
groups:
- name: interop
  interval: 1s
  rules:
  - alert: InstanceDown
    expr: sremon_interop_up == 0
    labels: {severity: page}
    annotations: {summary: '{{ $labels.instance }} is down'}
)");
  std::vector<std::string> argv = {evaluator};
  if (evaluator == testutil::SremonBin()) argv.push_back("rules");
  for (std::string f : {"-rule=" + dir.File("rules.yml"), "-datasource.url=" + vm_url, "-notifier.url=" + am.url(),
                        "-httpListenAddr=127.0.0.1:" + std::to_string(eval_port), std::string("-evaluationInterval=1s")}) {
    argv.push_back(f);
  }
  testutil::Child eval(argv, dir.File("eval.log"));
  json alerts;
  for (int i = 0; i < 200 && alerts.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    alerts = am.GetJson("/api/v2/alerts?filter=alertname%3DInstanceDown");
  }
  ASSERT_EQ(alerts.size(), 1u) << testutil::ReadFile(dir.File("eval.log")) << testutil::ReadFile(vm.log());
  EXPECT_EQ(alerts[0]["labels"]["instance"], "a");
  EXPECT_EQ(alerts[0]["annotations"]["summary"], "a is down");
  EXPECT_EQ(alerts[0]["receivers"][0]["name"], "pager");
  for (int i = 0; i < 30 && wh.batches().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_FALSE(wh.batches().empty());
  EXPECT_EQ(wh.batches()[0].payload["alerts"][0]["labels"]["alertname"], "InstanceDown");
  EXPECT_NE(wh.batches()[0].payload["alerts"][0]["generatorURL"].get<std::string>(), "");
}

// Routing with upstream as the oracle: the same config and alerts given to Debian's
// prometheus-alertmanager and to us must give the same groups (receiver, labels, alerts) and the
// same notifications. Regression for two routing differences: a parent's mute_time_intervals
// muted its children (upstream's are never inherited), and `group_by: []` put a route's alerts
// into one group (upstream keeps the parent's grouping).
TEST(Interop, RoutingMatchesUpstream) {
  if (!testutil::Installed("prometheus-alertmanager")) GTEST_SKIP() << "prometheus-alertmanager not installed";
  const char* conf = R"(
route:
  receiver: default
  group_by: [alertname]
  group_wait: 100ms
  routes:
  - matchers: [muted="1"]
    mute_time_intervals: [always]
    receiver: muted
    routes:
    - matchers: [child="1"]
  - matchers: [team="a"]
    group_by: []
    receiver: team
    continue: true
  - matchers: ['team=~"a|b"']
    group_by: ['...']
    receiver: every
time_intervals:
- name: always
  time_intervals: [{{weekdays: ['sunday:saturday']}}]
receivers:
- {{name: default, webhook_configs: [{{url: '{0}'}}]}}
- {{name: muted, webhook_configs: [{{url: '{0}'}}]}}
- {{name: team, webhook_configs: [{{url: '{0}'}}]}}
- {{name: every, webhook_configs: [{{url: '{0}'}}]}}
)";
  std::vector<TAlert> alerts = {A({{"alertname", "Parent"}, {"muted", "1"}}),
                                A({{"alertname", "Child"}, {"muted", "1"}, {"child", "1"}}),
                                A({{"alertname", "T1"}, {"team", "a"}, {"i", "1"}}),
                                A({{"alertname", "T1"}, {"team", "a"}, {"i", "2"}}),
                                A({{"alertname", "T2"}, {"team", "a"}}),
                                A({{"alertname", "B"}, {"team", "b"}}),
                                A({{"alertname", "Other"}})};
  // "alertname/i ..." of a list of alerts, sorted.
  auto names = [](const json& list) {
    std::vector<std::string> out;
    for (const auto& a : list)
      out.push_back(a["labels"]["alertname"].get<std::string>() + "/" + a["labels"].value("i", ""));
    std::sort(out.begin(), out.end());
    return Join(out, " ");
  };
  // The groups as "receiver {labels}: alerts" lines, sorted.
  auto groups = [&](const json& gs) {
    std::vector<std::string> out;
    for (const auto& g : gs)
      out.push_back(g["receiver"]["name"].get<std::string>() + " " + g["labels"].dump() + ": " +
                    names(g["alerts"]));
    std::sort(out.begin(), out.end());
    return out;
  };
  // The notifications as "receiver: alerts" lines, sorted.
  auto notified = [&](const Webhook& wh) {
    std::vector<std::string> out;
    for (const auto& b : wh.batches())
      out.push_back(b.payload["receiver"].get<std::string>() + ": " + names(b.payload["alerts"]));
    std::sort(out.begin(), out.end());
    return out;
  };

  Webhook ours_wh, up_wh;
  AmServer ours(fmt::format(fmt::runtime(conf), ours_wh.url()));
  testutil::TempDir up_dir;
  testutil::WriteFile(up_dir.File("am.yml"), fmt::format(fmt::runtime(conf), up_wh.url()));
  int port = testutil::FreePort();
  std::string up_url = "http://127.0.0.1:" + std::to_string(port);
  testutil::Child upstream(
      {"/usr/bin/prometheus-alertmanager", "--config.file=" + up_dir.File("am.yml"),
       "--storage.path=" + up_dir.File("data"), "--web.listen-address=127.0.0.1:" + std::to_string(port),
       "--cluster.listen-address="},
      up_dir.File("am.log"));
  ASSERT_TRUE(testutil::WaitHttpOk(up_url + "/-/ready")) << testutil::ReadFile(up_dir.File("am.log"));

  ours.Push(alerts);
  json body = json::array();
  for (const auto& a : alerts) body.push_back({{"labels", a.labels}});
  auto r = http::Post(up_url + "/api/v2/alerts", body.dump(), "application/json");
  ASSERT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().message());

  // Both have flushed every group well after group_wait.
  std::vector<std::string> up_notified;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    up_notified = notified(up_wh);
    if (up_notified.size() >= 8 && notified(ours_wh).size() >= 8) break;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto up_groups = http::Get(up_url + "/api/v2/alerts/groups");
  ASSERT_TRUE(up_groups.ok());
  EXPECT_EQ(groups(ours.GetJson("/api/v2/alerts/groups")), groups(json::parse(up_groups->body)));
  EXPECT_EQ(notified(ours_wh), notified(up_wh));
  // What upstream does, spelled out: Child is notified under a muted parent, team's groups
  // are by alertname.
  EXPECT_EQ(notified(up_wh),
            (std::vector<std::string>{"default: Other/", "every: B/", "every: T1/1", "every: T1/2",
                                      "every: T2/", "muted: Child/", "team: T1/1 T1/2", "team: T2/"}));
}

TEST(Interop, VmalertSendsToUs) {
  if (!testutil::Installed("vmalert") || !testutil::Installed("victoria-metrics")) GTEST_SKIP() << "vmalert or victoria-metrics not installed";
  RuleEvaluatorSendsToUs("/usr/bin/vmalert");
}

TEST(Interop, SremonRulesSendsToUs) {
  if (!testutil::Installed("victoria-metrics")) GTEST_SKIP() << "victoria-metrics not installed (the datasource)";
  RuleEvaluatorSendsToUs(testutil::SremonBin());
}

}  // namespace
}  // namespace sremon::amtest
