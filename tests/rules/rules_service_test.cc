// `sremon rules` end to end: Debian's victoria-metrics as datasource and remote_write receiver,
// an in-process Alertmanager API receiver; alerts go pending → firing → resolved with the right
// labels, annotations and timings; results are written back; API, page, metrics and reloads.
#include <signal.h>

#include <atomic>

#include "harness.h"
#include "util/strings.h"

namespace sremon::rules::e2e {
namespace {

constexpr const char* kRules = R"(groups:
- name: sre_app_alerts
  interval: 1s
  rules:
  - alert: AppDown
    expr: up{job="sre_app"} == 0
    for: 2s
    labels:
      severity: critical
    annotations:
      summary: "App SRE está DOWN"
      description: "A aplicação {{ $labels.job }} está fora do ar há mais de 30 segundos."
      broken: '{{ humanize "x" }}'
  - record: job:up:sum
    expr: sum by (job) (up)
)";

// Keeps writing up{job="sre_app"} = value into VictoriaMetrics every 250 ms.
class Feeder {
 public:
  explicit Feeder(testutil::VictoriaMetrics& vm) : vm_(vm), thread_([this] { Loop(); }) {}
  ~Feeder() {
    stop_ = true;
    thread_.join();
  }
  std::atomic<int> value{0};

 private:
  void Loop() {
    while (!stop_) {
      vm_.Import(fmt::format("up{{job=\"sre_app\",instance=\"127.0.0.1:8080\"}} {} {}\n", value.load(), NowMs()));
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  testutil::VictoriaMetrics& vm_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string Metrics(RulesService& rs) {
  auto r = http::Get(rs.url() + "/metrics");
  return r.ok() ? r->body : "";
}

TEST(RulesService, FlagsAreCheckedLikeVmalert) {
  std::string out;
  EXPECT_EQ(testutil::RunCommand(testutil::SremonBin() + " rules -rule=x.yml -bogus=1", &out), 2) << out;
  EXPECT_EQ(testutil::RunCommand(testutil::SremonBin() + " rules -rule=x.yml", &out), 2) << out;
  EXPECT_NE(out.find("-datasource.url is required"), std::string::npos) << out;
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("bad.yml"), "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up ==\n");
  EXPECT_EQ(testutil::RunCommand(testutil::SremonBin() + " rules -dryRun -rule=" + dir.File("bad.yml"), &out), 1);
  EXPECT_NE(out.find("bad.yml:5:"), std::string::npos) << out;
  EXPECT_EQ(testutil::RunCommand(testutil::SremonBin() + " rules -rule=" + dir.File("bad.yml") + " -datasource.url=http://127.0.0.1:1", &out), 1);
}

TEST(RulesService, AlertLifecycleAgainstVictoriaMetrics) {
  if (!testutil::Installed("victoria-metrics")) GTEST_SKIP() << "Debian's victoria-metrics is not installed";
  testutil::TempDir dir;
  testutil::VictoriaMetrics vm(dir.path());
  ASSERT_TRUE(vm.ok());
  Receiver am("/api/v2/alerts");
  Feeder feeder(vm);
  // VictoriaMetrics makes new series searchable after a few seconds.
  ASSERT_TRUE(testutil::Poll(std::chrono::seconds(30), [&] {
    auto v = Query(vm, "up");
    return v.ok() && v->size() == 1;
  }));
  testutil::WriteFile(dir.File("rules.yml"), kRules);
  RulesService rs(dir, {"-rule=" + dir.File("rules.yml"), "-datasource.url=" + vm.url(), "-notifier.url=" + am.url(),
                        "-remoteWrite.url=" + vm.url(), "-remoteWrite.flushInterval=200ms", "-evaluationInterval=5s",
                        "-external.label=env=test", "-external.url=http://rules.example"});
  ASSERT_TRUE(rs.ok()) << testutil::ReadFile(dir.File("rules.log"));

  // Pending first.
  ASSERT_TRUE(testutil::Poll(std::chrono::seconds(10), [&] {
    auto a = rs.Alerts();
    return !a.empty() && a[0]["state"] == "pending";
  })) << testutil::ReadFile(dir.File("rules.log"));
  auto pending = rs.Alerts()[0];
  EXPECT_EQ(pending["labels"]["alertname"], "AppDown");
  EXPECT_EQ(pending["labels"]["severity"], "critical");
  EXPECT_FALSE(pending["labels"].contains("env")) << "external labels are added when sending, as Prometheus does";
  EXPECT_EQ(pending["value"], "0e+00");
  EXPECT_TRUE(am.Alerts().empty()) << "pending alerts are not sent";
  int64_t active_at = *ParseRfc3339(pending["activeAt"].get<std::string>());

  // Then firing, sent with everything Alertmanager needs.
  ASSERT_TRUE(testutil::Poll(std::chrono::seconds(10), [&] { return !am.Alerts().empty(); }));
  auto sent = am.Alerts()[0];
  EXPECT_EQ(sent["labels"], nlohmann::json({{"alertname", "AppDown"}, {"env", "test"}, {"instance", "127.0.0.1:8080"},
                                             {"job", "sre_app"}, {"severity", "critical"}}));
  EXPECT_EQ(sent["annotations"]["summary"], "App SRE está DOWN");
  EXPECT_EQ(sent["annotations"]["description"], "A aplicação sre_app está fora do ar há mais de 30 segundos.");
  EXPECT_EQ(sent["annotations"]["broken"].get<std::string>().rfind("<error expanding template: template: __alert_AppDown:1:", 0), 0u)
      << sent["annotations"]["broken"];
  int64_t starts = *ParseRfc3339(sent["startsAt"].get<std::string>());
  int64_t ends = *ParseRfc3339(sent["endsAt"].get<std::string>());
  EXPECT_GE(starts - active_at, 2000) << "fires `for` after it became active";
  EXPECT_LE(starts - active_at, 2000 + 1000);
  EXPECT_GT(ends, NowMs()) << "a firing alert's endsAt is in the future";
  EXPECT_EQ(sent["generatorURL"].get<std::string>().rfind("http://rules.example/graph?g0.expr=", 0), 0u);

  // Written back: ALERTS, ALERTS_FOR_STATE, the recording rule.
  ASSERT_TRUE(testutil::Poll(std::chrono::seconds(30), [&] {
    auto v = Query(vm, "ALERTS{alertname=\"AppDown\",alertstate=\"firing\"}");
    return v.ok() && v->size() == 1;
  }));
  auto fs = Query(vm, "ALERTS_FOR_STATE{alertname=\"AppDown\"}");
  ASSERT_TRUE(fs.ok() && fs->size() == 1);
  EXPECT_EQ(static_cast<int64_t>((*fs)[0].v), active_at / 1000);
  auto rec = Query(vm, "job:up:sum");
  ASSERT_TRUE(rec.ok() && rec->size() == 1);
  EXPECT_EQ((*rec)[0].metric.Get("job"), "sre_app");

  // API shapes (Prometheus and vmalert paths), page, metrics.
  for (const char* path : {"/api/v1/rules", "/vmalert/api/v1/rules"}) {
    auto j = rs.GetJson(path);
    ASSERT_EQ(j["status"], "success") << path;
    auto& g = j["data"]["groups"][0];
    EXPECT_EQ(g["name"], "sre_app_alerts");
    EXPECT_EQ(g["interval"], 1);
    EXPECT_EQ(g["rules"][0]["type"], "alerting");
    EXPECT_EQ(g["rules"][0]["state"], "firing");
    EXPECT_EQ(g["rules"][0]["duration"], 2);
    EXPECT_EQ(g["rules"][0]["health"], "ok");
    EXPECT_EQ(g["rules"][0]["alerts"].size(), 1u);
    EXPECT_EQ(g["rules"][1]["type"], "recording");
    EXPECT_EQ(g["rules"][1]["health"], "ok");
  }
  EXPECT_EQ(rs.GetJson("/api/v1/rules?type=record")["data"]["groups"][0]["rules"].size(), 1u);
  auto bad = http::Get(rs.url() + "/api/v1/rules?type=bogus");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(rs.GetJson("/vmalert/api/v1/alerts")["data"]["alerts"][0]["state"], "firing");
  auto page = http::Get(rs.url() + "/");
  ASSERT_TRUE(page.ok());
  EXPECT_NE(page->body.find("AppDown"), std::string::npos);
  EXPECT_NE(page->body.find("job:up:sum"), std::string::npos);
  std::string m = Metrics(rs);
  EXPECT_NE(m.find("vmalert_alerts_sent_total{addr=\"" + am.url() + "\"}"), std::string::npos) << m;
  EXPECT_NE(m.find("vmalert_config_last_reload_successful 1"), std::string::npos);
  EXPECT_NE(m.find("vmalert_iteration_total"), std::string::npos);

  // Backtest over the service's datasource.
  auto bt = rs.GetJson("/api/v1/backtest?rule=AppDown&from=" + std::to_string(active_at / 1000 - 2) + "&step=1s");
  EXPECT_EQ(bt["status"], "success") << bt.dump();
  EXPECT_GE(bt["data"]["alerts"].size(), 1u) << bt.dump();
  // The same from the command line.
  std::string bt_out;
  EXPECT_EQ(testutil::RunCommand(testutil::SremonBin() + " rules backtest --rule " + dir.File("rules.yml") + " --from " +
                                     std::to_string(active_at / 1000 - 2) + " --step 1s --name AppDown --datasource.url " + vm.url(),
                                 &bt_out), 0) << bt_out;
  EXPECT_NE(bt_out.find("Backtest of alert \"AppDown\""), std::string::npos) << bt_out;
  EXPECT_NE(bt_out.find("firing"), std::string::npos) << bt_out;
  auto bt_bad = http::Get(rs.url() + "/api/v1/backtest?rule=nope&from=0");
  ASSERT_TRUE(bt_bad.ok());
  EXPECT_EQ(bt_bad->status, 400);

  // Resolution: sent once more with endsAt at the resolution time.
  feeder.value = 1;
  int64_t resolved_after = NowMs();
  ASSERT_TRUE(testutil::Poll(std::chrono::seconds(10), [&] {
    for (const auto& a : am.Alerts()) {
      if (*ParseRfc3339(a["endsAt"].get<std::string>()) <= NowMs() && *ParseRfc3339(a["endsAt"].get<std::string>()) >= resolved_after - 1000) return true;
    }
    return false;
  }));
  EXPECT_TRUE(testutil::Poll(std::chrono::seconds(5), [&] { return rs.Alerts().empty(); }));

  // Reload: an invalid file keeps the running rules; SIGHUP with a good one applies it.
  testutil::WriteFile(dir.File("rules.yml"), "groups:\n- name: g\n  rules:\n  - alert: A\n");
  auto rl = http::Post(rs.url() + "/-/reload", "", "text/plain");
  ASSERT_TRUE(rl.ok());
  EXPECT_EQ(rl->status, 500);
  EXPECT_NE(rl->body.find("rules.yml:4"), std::string::npos) << rl->body;
  EXPECT_NE(Metrics(rs).find("vmalert_config_last_reload_successful 0"), std::string::npos);
  EXPECT_EQ(rs.GetJson("/api/v1/rules")["data"]["groups"][0]["rules"].size(), 2u);
  testutil::WriteFile(dir.File("rules.yml"), std::string(kRules) + "  - record: extra\n    expr: vector(1)\n");
  ::kill(rs.child().pid(), SIGHUP);
  EXPECT_TRUE(testutil::Poll(std::chrono::seconds(5), [&] { return rs.GetJson("/api/v1/rules")["data"]["groups"][0]["rules"].size() == 3u; }));
  EXPECT_NE(Metrics(rs).find("vmalert_config_last_reload_successful 1"), std::string::npos);
  EXPECT_EQ(rs.child().Stop(SIGTERM), 0);
}

TEST(RulesService, DatasourceDownIsAnErrorNotACrash) {
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("rules.yml"), kRules);
  RulesService rs(dir, {"-rule=" + dir.File("rules.yml"), "-datasource.url=http://127.0.0.1:1", "-evaluationInterval=1s"});
  ASSERT_TRUE(rs.ok());
  ASSERT_TRUE(testutil::Poll(std::chrono::seconds(5), [&] {
    auto j = rs.GetJson("/api/v1/rules");
    return j.is_object() && j["data"]["groups"][0]["rules"][0]["health"] == "err";
  }));
  auto r = rs.GetJson("/api/v1/rules")["data"]["groups"][0]["rules"][0];
  EXPECT_NE(r["lastError"].get<std::string>().find("cannot query datasource"), std::string::npos) << r.dump();
  for (const char* p : {"/api/v1/rules?rule_name[]=%zz", "/nope", "/api/v1/backtest?rule=AppDown&from=garbage"}) {
    auto resp = http::Get(rs.url() + p);
    ASSERT_TRUE(resp.ok()) << p;
    EXPECT_LT(resp->status, 500) << p;
  }
  EXPECT_TRUE(rs.child().Running());
}

}  // namespace
}  // namespace sremon::rules::e2e
