// Interop with Debian's upstream programs against `sremon alertmanager`: amtool (alert
// add/query, silence add/query/expire/import, config routes test) and vmalert sending the alerts
// of a rule evaluated on a real VictoriaMetrics. Each part skips when its binary is absent.
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
