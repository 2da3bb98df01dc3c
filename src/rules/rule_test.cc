// The alert state machine, timing by timing (Prometheus rules/alerting.go semantics), recording
// rules, groups (alignment, missed iterations) and reloads.
#include "rules/rule.h"

#include <chrono>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>

#include "rules/group.h"
#include "rules/manager.h"
#include "testutil/testutil.h"

namespace sremon::rules {
namespace {

constexpr int64_t kS = 1000;

RuleSpec AlertSpec(int64_t for_ms, int64_t keep_ms = 0) {
  RuleSpec s;
  s.alert = "AppDown";
  s.expr = "up == 0";
  s.for_ms = for_ms;
  s.keep_firing_for_ms = keep_ms;
  s.labels = {{"severity", "critical"}};
  s.annotations = {{"summary", "{{ $labels.job }} down, value {{ $value }}"}};
  return s;
}

promql::Vector Down() { return {{model::Labels{{"__name__", "up"}, {"job", "app"}, {"instance", "a:1"}}, 0, 0}}; }

const Alert& Only(const AlertingRule& r, std::vector<Alert>* keep) {
  *keep = r.Alerts();
  EXPECT_EQ(keep->size(), 1u);
  return keep->at(0);
}

TEST(AlertingRule, PendingThenFiringAfterFor) {
  AlertingRule r(AlertSpec(30 * kS), {});
  std::vector<OutSample> out;
  std::vector<Alert> keep;
  ASSERT_TRUE(r.EvalVector(0, Down(), &out).ok());
  EXPECT_EQ(Only(r, &keep).state, AlertState::kPending);
  EXPECT_EQ(keep[0].active_at, 0);
  EXPECT_TRUE(r.AlertsToSend(0, 60 * kS, 15 * kS).empty()) << "pending alerts are not sent";
  ASSERT_TRUE(r.EvalVector(15 * kS, Down(), &out).ok());
  EXPECT_EQ(Only(r, &keep).state, AlertState::kPending);
  ASSERT_TRUE(r.EvalVector(30 * kS, Down(), &out).ok());
  EXPECT_EQ(Only(r, &keep).state, AlertState::kFiring);
  EXPECT_EQ(keep[0].fired_at, 30 * kS);
  EXPECT_EQ(r.State(), AlertState::kFiring);
  // Labels: series labels without __name__, rule labels, alertname; annotation templated.
  EXPECT_EQ(keep[0].labels.ToString(), "{alertname=\"AppDown\", instance=\"a:1\", job=\"app\", severity=\"critical\"}");
  EXPECT_EQ(keep[0].annotations.at("summary"), "app down, value 0");

  auto sent = r.AlertsToSend(30 * kS, 60 * kS, 15 * kS);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].valid_until, 30 * kS + 4 * 60 * kS);
  ASSERT_TRUE(r.EvalVector(45 * kS, Down(), &out).ok());
  EXPECT_TRUE(r.AlertsToSend(45 * kS, 60 * kS, 15 * kS).empty()) << "not re-sent before resendDelay";
  ASSERT_TRUE(r.EvalVector(105 * kS, Down(), &out).ok());
  EXPECT_EQ(r.AlertsToSend(105 * kS, 60 * kS, 15 * kS).size(), 1u) << "re-sent after resendDelay";

  // Resolution: sent at once with endsAt = resolution time, retained 15 minutes.
  ASSERT_TRUE(r.EvalVector(120 * kS, {}, &out).ok());
  EXPECT_EQ(Only(r, &keep).state, AlertState::kInactive);
  EXPECT_EQ(keep[0].resolved_at, 120 * kS);
  sent = r.AlertsToSend(120 * kS, 60 * kS, 15 * kS);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].resolved_at, 120 * kS);
  ASSERT_TRUE(r.EvalVector(135 * kS, {}, &out).ok());
  EXPECT_TRUE(r.AlertsToSend(135 * kS, 60 * kS, 15 * kS).empty());
  ASSERT_TRUE(r.EvalVector(200 * kS, {}, &out).ok());
  EXPECT_EQ(r.AlertsToSend(200 * kS, 60 * kS, 15 * kS).size(), 1u) << "resolved alerts are re-sent too";
  ASSERT_TRUE(r.EvalVector(120 * kS + kResolvedRetentionMs, {}, &out).ok());
  EXPECT_EQ(r.Alerts().size(), 1u);
  ASSERT_TRUE(r.EvalVector(120 * kS + kResolvedRetentionMs + 15 * kS, {}, &out).ok());
  EXPECT_TRUE(r.Alerts().empty()) << "dropped after the retention";
}

TEST(AlertingRule, PendingThatClearsIsForgotten) {
  AlertingRule r(AlertSpec(30 * kS), {});
  std::vector<OutSample> out;
  ASSERT_TRUE(r.EvalVector(0, Down(), &out).ok());
  ASSERT_TRUE(r.EvalVector(15 * kS, {}, &out).ok());
  EXPECT_TRUE(r.Alerts().empty());
  EXPECT_TRUE(r.AlertsToSend(15 * kS, 0, 15 * kS).empty());
  // Coming back restarts the `for` timer.
  ASSERT_TRUE(r.EvalVector(30 * kS, Down(), &out).ok());
  ASSERT_TRUE(r.EvalVector(45 * kS, Down(), &out).ok());
  EXPECT_EQ(r.Alerts()[0].active_at, 30 * kS);
  EXPECT_EQ(r.Alerts()[0].state, AlertState::kPending);
}

TEST(AlertingRule, ZeroForFiresAtOnce) {
  AlertingRule r(AlertSpec(0), {});
  std::vector<OutSample> out;
  ASSERT_TRUE(r.EvalVector(5 * kS, Down(), &out).ok());
  EXPECT_EQ(r.Alerts()[0].state, AlertState::kFiring);
  EXPECT_EQ(r.AlertsToSend(5 * kS, 60 * kS, 15 * kS).size(), 1u);
}

TEST(AlertingRule, KeepFiringFor) {
  AlertingRule r(AlertSpec(0, 30 * kS), {});
  std::vector<OutSample> out;
  std::vector<Alert> keep;
  ASSERT_TRUE(r.EvalVector(0, Down(), &out).ok());
  ASSERT_TRUE(r.EvalVector(15 * kS, {}, &out).ok());
  EXPECT_EQ(Only(r, &keep).state, AlertState::kFiring);
  EXPECT_EQ(keep[0].keep_firing_since, 15 * kS);
  ASSERT_TRUE(r.EvalVector(30 * kS, {}, &out).ok());
  EXPECT_EQ(Only(r, &keep).state, AlertState::kFiring);
  ASSERT_TRUE(r.EvalVector(45 * kS, {}, &out).ok());
  EXPECT_EQ(Only(r, &keep).state, AlertState::kInactive);
  EXPECT_EQ(keep[0].resolved_at, 45 * kS);
  // A result while held resets the hold.
  AlertingRule r2(AlertSpec(0, 30 * kS), {});
  ASSERT_TRUE(r2.EvalVector(0, Down(), &out).ok());
  ASSERT_TRUE(r2.EvalVector(15 * kS, {}, &out).ok());
  ASSERT_TRUE(r2.EvalVector(30 * kS, Down(), &out).ok());
  EXPECT_EQ(r2.Alerts()[0].keep_firing_since, 0);
  ASSERT_TRUE(r2.EvalVector(45 * kS, {}, &out).ok());
  ASSERT_TRUE(r2.EvalVector(60 * kS, {}, &out).ok());
  EXPECT_EQ(r2.Alerts()[0].state, AlertState::kFiring);
}

TEST(AlertingRule, WritesAlertsSeriesAndStaleMarkers) {
  AlertingRule r(AlertSpec(30 * kS), {});
  std::vector<OutSample> out;
  ASSERT_TRUE(r.EvalVector(10 * kS, Down(), &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels.ToString(), "ALERTS{alertname=\"AppDown\", alertstate=\"pending\", instance=\"a:1\", job=\"app\", severity=\"critical\"}");
  EXPECT_EQ(out[0].v, 1);
  EXPECT_EQ(out[1].labels.MetricName(), "ALERTS_FOR_STATE");
  EXPECT_EQ(out[1].v, 10);
  out.clear();
  ASSERT_TRUE(r.EvalVector(40 * kS, Down(), &out).ok());
  // Now firing: the pending series goes stale.
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].labels.Get("alertstate"), "firing");
  EXPECT_TRUE(model::IsStaleNaN(out[2].v));
  EXPECT_EQ(out[2].labels.Get("alertstate"), "pending");
}

TEST(AlertingRule, TemplateErrorsShowInAnnotation) {
  RuleSpec s = AlertSpec(0);
  s.annotations = {{"a", "{{ humanize \"x\" }}"}, {"b", "{{ .Broken"}, {"c", "{{ $value | humanizePercentage }} {{ $externalLabels.env }}"}};
  AlertingRuleOptions o;
  o.external_labels = model::Labels{{"env", "prod"}};
  AlertingRule r(s, o);
  std::vector<OutSample> out;
  ASSERT_TRUE(r.EvalVector(0, {{model::Labels{{"job", "x"}}, 0, 0.25}}, &out).ok());
  auto a = r.Alerts()[0];
  EXPECT_EQ(a.annotations["a"].rfind("<error expanding template: template: __alert_AppDown:1:", 0), 0u) << a.annotations["a"];
  EXPECT_NE(a.annotations["a"].find("error calling humanize"), std::string::npos);
  EXPECT_EQ(a.annotations["b"].rfind("<error expanding template: template: __alert_AppDown", 0), 0u) << a.annotations["b"];
  EXPECT_EQ(a.annotations["c"], "25% prod");
}

TEST(AlertingRule, TemplatedLabelsAndQuery) {
  RuleSpec s = AlertSpec(0);
  s.labels = {{"severity", "{{ if gt $value 10.0 }}critical{{ else }}warning{{ end }}"}};
  s.annotations = {{"q", "{{ query \"count(up)\" | first | value }}"}};
  AlertingRuleOptions o;
  o.template_query = [](const std::string& q, int64_t ts) -> Result<promql::Vector> {
    return promql::Vector{{model::Labels(), ts, q == "count(up)" ? 7.0 : -1.0}};
  };
  AlertingRule r(s, o);
  std::vector<OutSample> out;
  ASSERT_TRUE(r.EvalVector(0, {{model::Labels{{"job", "a"}}, 0, 20}, {model::Labels{{"job", "b"}}, 0, 1}}, &out).ok());
  auto alerts = r.Alerts();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].labels.Get("severity"), "critical");
  EXPECT_EQ(alerts[1].labels.Get("severity"), "warning");
  EXPECT_EQ(alerts[0].annotations["q"], "7");
}

TEST(AlertingRule, DuplicateLabelSetIsAnError) {
  AlertingRule r(AlertSpec(0), {});
  std::vector<OutSample> out;
  Status st = r.EvalVector(0, {{model::Labels{{"__name__", "a"}, {"job", "x"}}, 0, 1}, {model::Labels{{"__name__", "b"}, {"job", "x"}}, 0, 1}}, &out);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("same labelset after applying alert labels"), std::string::npos);
}

TEST(AlertingRule, Limit) {
  AlertingRuleOptions o;
  o.limit = 1;
  AlertingRule r(AlertSpec(0), o);
  std::vector<OutSample> out;
  Status st = r.EvalVector(0, {{model::Labels{{"job", "x"}}, 0, 1}, {model::Labels{{"job", "y"}}, 0, 1}}, &out);
  EXPECT_NE(st.message().find("exceeded limit of 1 with 2 alerts"), std::string::npos) << st.ToString();
  EXPECT_TRUE(r.Alerts().empty());
}

TEST(AlertingRule, RestoreResumesForAndKeepsFiring) {
  // Was pending for 10 s before the restart: 20 s remain.
  AlertingRule pending(AlertSpec(30 * kS), {});
  pending.SetRestored({{model::Labels{{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "AppDown"}, {"instance", "a:1"}, {"job", "app"}, {"severity", "critical"}}, -10 * kS}});
  std::vector<OutSample> out;
  ASSERT_TRUE(pending.EvalVector(0, Down(), &out).ok());
  EXPECT_EQ(pending.Alerts()[0].state, AlertState::kPending);
  EXPECT_EQ(pending.Alerts()[0].active_at, -10 * kS);
  ASSERT_TRUE(pending.EvalVector(15 * kS, Down(), &out).ok());
  EXPECT_EQ(pending.Alerts()[0].state, AlertState::kPending);
  ASSERT_TRUE(pending.EvalVector(20 * kS, Down(), &out).ok());
  EXPECT_EQ(pending.Alerts()[0].state, AlertState::kFiring);

  // Was firing: fires at the first evaluation, with its original start.
  AlertingRule firing(AlertSpec(30 * kS), {});
  firing.SetRestored({{model::Labels{{"alertname", "AppDown"}, {"instance", "a:1"}, {"job", "app"}, {"severity", "critical"}}, -100 * kS}});
  ASSERT_TRUE(firing.EvalVector(0, Down(), &out).ok());
  EXPECT_EQ(firing.Alerts()[0].state, AlertState::kFiring);
  EXPECT_EQ(firing.Alerts()[0].fired_at, -70 * kS);
}

TEST(RecordingRule, LabelsAndStaleness) {
  RuleSpec s;
  s.record = "job:up:sum";
  s.expr = "sum by (job) (up)";
  s.labels = {{"env", "prod"}};
  RecordingRule r(s, {{"team", "sre"}, {"env", "dev"}}, 0);
  std::vector<OutSample> out;
  ASSERT_TRUE(r.EvalVector(1000, {{model::Labels{{"job", "a"}}, 1000, 3}, {model::Labels{{"job", "b"}}, 1000, 4}}, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels.ToString(), "job:up:sum{env=\"prod\", job=\"a\", team=\"sre\"}");
  EXPECT_EQ(out[0].t, 1000);
  out.clear();
  ASSERT_TRUE(r.EvalVector(2000, {{model::Labels{{"job", "a"}}, 2000, 5}}, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(model::IsStaleNaN(out[1].v));
  EXPECT_EQ(out[1].labels.Get("job"), "b");
  out.clear();
  EXPECT_FALSE(r.EvalVector(3000, {{model::Labels{{"job", "a"}, {"env", "x"}}, 0, 1}, {model::Labels{{"job", "a"}}, 0, 1}}, &out).ok());
}

GroupSpec OneAlertGroup(int64_t interval_ms) {
  GroupSpec g;
  g.name = "g";
  g.file = "f.yml";
  g.interval_ms = interval_ms;
  g.rules.push_back(AlertSpec(0));
  return g;
}

TEST(Group, EvalTimestampIsAlignedWithinTheInterval) {
  Group g(OneAlertGroup(15 * kS), {});
  int64_t t0 = g.EvalTimestamp(1'700'000'000'000);
  EXPECT_LE(t0, 1'700'000'000'000);
  EXPECT_GT(t0, 1'700'000'000'000 - 15 * kS);
  // Stable phase: the same offset in every interval.
  EXPECT_EQ(g.EvalTimestamp(1'700'000'000'000 + 15 * kS), t0 + 15 * kS);
  EXPECT_EQ(g.EvalTimestamp(t0), t0);
  EXPECT_EQ(g.EvalTimestamp(t0 - 1), t0 - 15 * kS);
}

TEST(Group, EvalSendsAlertsWithExternalLabelsAndWritesSeries) {
  GroupOptions o;
  o.external_labels = model::Labels{{"env", "lab"}};
  o.external_url = "http://rules:8880";
  o.query = [](const std::string&, int64_t) -> Result<promql::Vector> { return Down(); };
  std::vector<AlertMessage> sent;
  std::vector<OutSample> written;
  o.notify = [&](std::vector<AlertMessage> m) { sent = std::move(m); };
  o.write = [&](std::vector<OutSample> s) { written = std::move(s); };
  Group g(OneAlertGroup(15 * kS), o);
  g.Eval(30 * kS);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].labels.Get("env"), "lab");
  EXPECT_EQ(sent[0].starts_at_ms, 30 * kS);
  EXPECT_EQ(sent[0].generator_url, "http://rules:8880/graph?g0.expr=up%20%3D%3D%200&g0.tab=1");
  EXPECT_EQ(written.size(), 2u);
  EXPECT_EQ(g.status().last_eval_ms, 30 * kS);
}

TEST(Group, SlowEvaluationsNeverOverlapAndCountMissed) {
  GroupOptions o;
  std::atomic<int> running{0}, max_running{0}, calls{0};
  o.query = [&](const std::string&, int64_t) -> Result<promql::Vector> {
    int r = ++running;
    max_running = std::max(max_running.load(), r);
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(calls == 1 ? 230 : 1));
    --running;
    return promql::Vector{};
  };
  Group g(OneAlertGroup(100), o);
  g.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(650));
  g.Stop();
  EXPECT_EQ(max_running.load(), 1);
  EXPECT_GE(g.status().missed, 1u);
  EXPECT_GE(g.status().iterations, 2u);
}

TEST(Manager, ReloadKeepsStateOfUnchangedRulesAndRejectsBadFiles) {
  testutil::TempDir dir;
  std::string path = dir.File("r.yml");
  testutil::WriteFile(path, "groups:\n- name: g\n  interval: 15s\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 1m\n");
  ManagerOptions mo;
  mo.rule_patterns = {dir.path() + "/*.yml"};
  mo.start_groups = false;
  mo.group.query = [](const std::string&, int64_t) -> Result<promql::Vector> { return Down(); };
  Manager m(mo);
  ASSERT_TRUE(m.Load().ok());
  ASSERT_EQ(m.Groups().size(), 1u);
  m.Groups()[0]->Eval(0);
  // Add a rule: the group changes, the unchanged alert keeps its pending state and active_at.
  testutil::WriteFile(path, "groups:\n- name: g\n  interval: 15s\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 1m\n  - record: r\n    expr: up\n");
  ASSERT_TRUE(m.Load().ok());
  auto g = m.Groups()[0];
  ASSERT_EQ(g->rules().size(), 2u);
  auto* ar = dynamic_cast<AlertingRule*>(g->rules()[0].get());
  ASSERT_EQ(ar->Alerts().size(), 1u);
  EXPECT_EQ(ar->Alerts()[0].active_at, 0);
  // A broken file keeps the running configuration.
  testutil::WriteFile(path, "groups:\n- name: g\n  rules:\n  - alert: A\n");
  Status st = m.Load();
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(m.last_reload_ok());
  EXPECT_NE(m.last_reload_error().find("r.yml:4"), std::string::npos) << m.last_reload_error();
  EXPECT_EQ(m.Groups()[0].get(), g.get());
}

}  // namespace
}  // namespace sremon::rules
