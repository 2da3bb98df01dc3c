// Behaviour of `sremon alertmanager` against upstream's acceptance tests (v0.25.0
// test/with_api_v2/acceptance): same configurations, timings and expectations, except where
// noted (shorter resolve_timeout so the suite stays fast).
#include <fmt/format.h>

#include "harness.h"

namespace sremon::amtest {
namespace {

std::string Conf(const std::string& webhook_url, const std::string& route, const std::string& extra = "",
                 bool send_resolved = true) {
  return fmt::format(R"(
route:
  receiver: "default"
{}
receivers:
- name: "default"
  webhook_configs:
  - url: '{}'
    send_resolved: {}
{}
)",
                     route, webhook_url, send_resolved ? "true" : "false", extra);
}

TEST(Acceptance, Repeat) {
  Webhook wh;
  AmServer am(Conf(wh.url(), "  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1ms"));
  wh.SetZero(am.t0());
  am.At(1);
  am.Push({A({{"alertname", "test"}}).Active(1)});
  am.At(3.5);
  am.Push({A({{"alertname", "test"}}).Active(1, 3)});
  am.At(5);
  CheckBatches(wh, am,
               {{2, 2.5, {A({{"alertname", "test"}}).Active(1)}},
                {3, 3.5, {A({{"alertname", "test"}}).Active(1)}},
                {4, 4.5, {A({{"alertname", "test"}}).Active(1, 3)}}});
}

TEST(Acceptance, Batching) {
  Webhook wh;
  AmServer am(Conf(wh.url(), "  group_by: []\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 4900ms"));
  wh.SetZero(am.t0());
  auto a1 = A({{"alertname", "test1"}}).Active(1), a2 = A({{"alertname", "test5"}}).Active(1),
       a3 = A({{"alertname", "test2"}}).Active(1), a4 = A({{"alertname", "test3"}}).Active(1),
       a5 = A({{"alertname", "test4"}}).Active(1);
  am.At(1.1);
  am.Push({a1});
  am.At(1.7);
  am.Push({a2});
  am.At(3.3);
  am.Push({a3, a4, a5});
  am.At(9.6);
  CheckBatches(wh, am, {{2, 2.5, {a1, a2}}, {4.1, 4.5, {a1, a2, a3, a4, a5}}, {5, 9}, {9.1, 9.5, {a1, a2, a3, a4, a5}}});
}

// Upstream uses resolve_timeout 10s; 3s here keeps the suite short with the same logic.
TEST(Acceptance, ResolvedByTimeout) {
  Webhook wh;
  AmServer am("global:\n  resolve_timeout: 3s\n" +
              Conf(wh.url(), "  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 5s"));
  wh.SetZero(am.t0());
  am.At(1);
  am.Push({A({{"alertname", "test"}, {"lbl", "v1"}}), A({{"alertname", "test"}, {"lbl", "v2"}}),
           A({{"alertname", "test"}, {"lbl", "v3"}})});
  am.At(7.6);
  auto f = [](const char* v) { return A({{"alertname", "test"}, {"lbl", v}}).Active(1); };
  auto r = [](const char* v) { return A({{"alertname", "test"}, {"lbl", v}}).Active(1, 4); };
  CheckBatches(wh, am, {{2, 2.5, {f("v1"), f("v2"), f("v3")}}, {7, 7.5, {r("v1"), r("v2"), r("v3")}}}, 0.2);
}

TEST(Acceptance, ResolvedFilter) {
  Webhook wh1, wh2;
  std::string conf = fmt::format(R"(
global:
  resolve_timeout: 10s
route:
  receiver: "default"
  group_by: [alertname]
  group_wait: 1s
  group_interval: 5s
receivers:
- name: "default"
  webhook_configs:
  - url: '{}'
    send_resolved: true
  - url: '{}'
    send_resolved: false
)",
                                 wh1.url(), wh2.url());
  AmServer am(conf);
  wh1.SetZero(am.t0());
  wh2.SetZero(am.t0());
  auto a = [](const char* v) { return A({{"alertname", "test"}, {"lbl", v}}); };
  am.At(1);
  am.Push({a("v1").Active(1), a("v2").Active(1)});
  am.At(3);
  am.Push({a("v1").Active(1, 4)});
  am.At(3);
  am.Push({a("v3").Active(3)});
  am.At(8);
  am.Push({a("v3").Active(3)});
  am.At(12.6);
  CheckBatches(wh1, am,
               {{2, 2.5, {a("v1").Active(1), a("v2").Active(1)}},
                {7, 7.5, {a("v1").Active(1, 4), a("v2").Active(1), a("v3").Active(3)}},
                {12, 12.5, {a("v2").Active(1, 11), a("v3").Active(3)}}},
               0.2);
  CheckBatches(wh2, am,
               {{2, 2.5, {a("v1").Active(1), a("v2").Active(1)}},
                {7, 7.5, {a("v2").Active(1), a("v3").Active(3)}},
                {12, 12.5, {}}},
               0.2);
}

TEST(Acceptance, Inhibiting) {
  Webhook wh;
  AmServer am(Conf(wh.url(), "  group_by: []\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1s",
                   R"(
inhibit_rules:
- source_match:
    alertname: JobDown
  target_match:
    alertname: InstanceDown
  equal: [job, zone])"));
  wh.SetZero(am.t0());
  auto t1 = A({{"alertname", "test1"}, {"job", "testjob"}, {"zone", "aa"}});
  auto ia = A({{"alertname", "InstanceDown"}, {"job", "testjob"}, {"zone", "aa"}});
  auto ib = A({{"alertname", "InstanceDown"}, {"job", "testjob"}, {"zone", "ab"}});
  auto jd = A({{"alertname", "JobDown"}, {"job", "testjob"}, {"zone", "aa"}});
  am.At(1);
  am.Push({t1.Active(1), ia.Active(1), ib.Active(1)});
  am.At(2.2);
  am.Push({jd.Active(2.2)});
  am.At(3.6);
  am.Push({jd.Active(2.2, 3.6)});
  am.At(4.6);
  CheckBatches(wh, am,
               {{2, 2.5, {t1.Active(1), ia.Active(1), ib.Active(1)}},
                {3, 3.5, {t1.Active(1), ib.Active(1), jd.Active(2.2)}},
                {4, 4.5, {t1.Active(1), ia.Active(1), ib.Active(1), jd.Active(2.2, 3.6)}}});
}

TEST(Acceptance, AlwaysInhibiting) {
  Webhook wh;
  AmServer am(Conf(wh.url(), "  group_by: []\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1s",
                   R"(
inhibit_rules:
- source_matchers: ['alertname="JobDown"']
  target_matchers: ['alertname="InstanceDown"']
  equal: [job, zone])"));
  wh.SetZero(am.t0());
  auto ia = A({{"alertname", "InstanceDown"}, {"job", "testjob"}, {"zone", "aa"}});
  auto jd = A({{"alertname", "JobDown"}, {"job", "testjob"}, {"zone", "aa"}});
  am.At(1);
  am.Push({jd.Active(1), ia.Active(1)});
  am.At(2.6);
  am.Push({jd.Active(1, 2.6), ia.Active(1, 2.6)});
  am.At(3.6);
  CheckBatches(wh, am, {{2, 2.5, {jd.Active(1)}}, {3, 3.5, {ia.Active(1, 2.6), jd.Active(1, 2.6)}}});
}

TEST(Acceptance, Silencing) {
  Webhook wh;
  AmServer am(Conf(wh.url(), "  group_by: []\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1ms"));
  wh.SetZero(am.t0());
  auto t1 = A({{"alertname", "test1"}}).Active(1), t2 = A({{"alertname", "test2"}}).Active(1);
  am.At(1);
  am.Push({t1, t2});
  am.At(2.3);
  am.SetSilence(json::array({{{"name", "alertname"}, {"value", "test1"}, {"isRegex", false}}}), 2.5, 4.5);
  am.At(5.6);
  CheckBatches(wh, am, {{2, 2.5, {t1, t2}}, {3, 3.5, {t2}}, {4, 4.5, {t2}}, {5, 5.5, {t1, t2}}});
}

TEST(Acceptance, SilenceDelete) {
  Webhook wh;
  AmServer am(Conf(wh.url(), "  group_by: []\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1ms"));
  wh.SetZero(am.t0());
  auto t1 = A({{"alertname", "test1"}}).Active(1), t2 = A({{"alertname", "test2"}}).Active(1);
  am.At(1);
  am.Push({t1, t2});
  am.At(1.3);
  std::string id = am.SetSilence(json::array({{{"name", "alertname"}, {"value", ".+"}, {"isRegex", true}}}), 1.5, 100);
  am.At(3.5);
  am.DelSilence(id);
  am.At(4.6);
  CheckBatches(wh, am, {{2, 3.4, {}}, {3.5, 4.5, {t1, t2}}});
}

TEST(Acceptance, Reload) {
  Webhook wh;
  std::string conf = Conf(wh.url(), "  group_by: []\n  group_wait: 1s\n  group_interval: 6s\n  repeat_interval: 10m");
  AmServer am(conf);
  wh.SetZero(am.t0());
  auto t1 = A({{"alertname", "test1"}}).Active(1), t2 = A({{"alertname", "test2"}}).Active(3);
  am.At(1);
  am.Push({t1});
  am.At(3);
  am.Reload();
  am.At(4);
  am.Push({t2});
  am.At(9.6);
  CheckBatches(wh, am, {{2, 2.5, {t1}}, {3, 8.9, {}}, {9, 9.5, {t1, t2}}}, 1.1);
}

TEST(Acceptance, Retry) {
  // The second webhook drops (answers 200 without recording) everything before 4.5s:
  // integrations are logged independently, so only the first one counts as notified at 2.
  Webhook wh1, wh2([](double at) { return at < 4.5 ? 0 : 200; });
  std::string conf = fmt::format(R"(
route:
  receiver: "default"
  group_by: []
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 3s
receivers:
- name: "default"
  webhook_configs:
  - url: '{}'
  - url: '{}'
)",
                                 wh1.url(), wh2.url());
  AmServer am(conf);
  wh1.SetZero(am.t0());
  wh2.SetZero(am.t0());
  auto t1 = A({{"alertname", "test1"}}).Active(1);
  am.At(1);
  am.Push({t1});
  am.At(6.6);
  CheckBatches(wh1, am, {{2, 2.5, {t1}}, {3, 5.9, {}}, {6, 6.5, {t1}}});
  CheckBatches(wh2, am, {{6, 6.5, {t1}}});
}

TEST(Acceptance, MergeAlerts) {
  Webhook wh;
  AmServer am(Conf(wh.url(), "  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1ms"));
  wh.SetZero(am.t0());
  auto a = [] { return A({{"alertname", "test"}}); };
  am.At(1.1);
  am.Push({a().Active(1.1)});
  am.At(1.2);
  am.Push({a().Active(1)});
  am.At(2.6);
  am.Push({a().Annotate("ann", "v1").Active(2)});
  am.At(3.6);
  am.Push({a().Annotate("ann", "v2").Active(3)});
  am.At(4.6);
  am.Push({a().Annotate("ann", "v2").Active(3, 4.5)});
  am.Push({a().Annotate("ann", "v2").Active(2, 4.1)});
  am.Push({a().Annotate("ann", "v2").Active(2, 4.8)});
  am.At(5.3);
  am.Push({a().Annotate("ann", "v3").Active(5)});
  am.At(6.6);
  CheckBatches(wh, am,
               {{2, 2.5, {a().Active(1)}},
                {3, 3.5, {a().Annotate("ann", "v1").Active(1)}},
                {4, 4.5, {a().Annotate("ann", "v2").Active(1)}},
                {5, 5.5, {a().Annotate("ann", "v2").Active(1, 4.8)}},
                {6, 6.5, {a().Annotate("ann", "v3").Active(5)}}});
}

// Beyond the upstream catalogue: `continue` and grouping across sibling routes.
TEST(Acceptance, ContinueAndGrouping) {
  Webhook wh_team, wh_all, wh_default;
  std::string conf = fmt::format(R"(
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
  - matchers: ['team="a"']
    receiver: all
    continue: true
    group_by: ['...']
  - matchers: ['team=~"a|b"']
    receiver: team
    group_by: [team]
  - match: {{team: c}}
    receiver: team
receivers:
- name: default
  webhook_configs: [{{url: '{}'}}]
- name: all
  webhook_configs: [{{url: '{}'}}]
- name: team
  webhook_configs: [{{url: '{}'}}]
)",
                                 wh_default.url(), wh_all.url(), wh_team.url());
  AmServer am(conf);
  for (auto* w : {&wh_team, &wh_all, &wh_default}) w->SetZero(am.t0());
  auto x1 = A({{"alertname", "X"}, {"team", "a"}, {"i", "1"}}).Active(1);
  auto x2 = A({{"alertname", "Y"}, {"team", "a"}, {"i", "2"}}).Active(1);
  auto y = A({{"alertname", "Z"}, {"team", "b"}}).Active(1);
  auto z = A({{"alertname", "Q"}, {"team", "d"}}).Active(1);
  am.At(1);
  am.Push({x1, x2, y, z});
  am.At(2.6);
  // `all` groups by every label: one notification per alert; `team` groups a's two together.
  CheckBatches(wh_all, am, {{2, 2.5, {x1}}, {2, 2.5, {x2}}});
  CheckBatches(wh_team, am, {{2, 2.5, {x1, x2}}, {2, 2.5, {y}}});
  CheckBatches(wh_default, am, {{2, 2.5, {z}}});
  auto batches = wh_team.batches();
  ASSERT_FALSE(batches.empty());
  bool saw_key = false;
  for (const auto& b : batches) {
    if (b.payload["groupKey"] == "{}/{team=~\"a|b\"}:{team=\"a\"}") {
      saw_key = true;
      EXPECT_EQ(b.payload["groupLabels"], json({{"team", "a"}}));
      EXPECT_EQ(b.payload["commonLabels"], json({{"team", "a"}}));
      EXPECT_EQ(b.payload["version"], "4");
      EXPECT_EQ(b.payload["receiver"], "team");
      EXPECT_EQ(b.payload["truncatedAlerts"], 0);
      EXPECT_EQ(b.payload["externalURL"], am.url());
    }
  }
  EXPECT_TRUE(saw_key) << batches[0].payload.dump();
}

TEST(Acceptance, MaxAlertsAndAuth) {
  Webhook wh;
  std::string conf = fmt::format(R"(
route:
  receiver: default
  group_wait: 500ms
receivers:
- name: default
  webhook_configs:
  - url: '{}'
    max_alerts: 2
    http_config:
      basic_auth: {{username: user, password: pass}}
)",
                                 wh.url());
  AmServer am(conf);
  wh.SetZero(am.t0());
  am.Push({A({{"alertname", "a"}}), A({{"alertname", "b"}}), A({{"alertname", "c"}})});
  am.At(1.2);
  auto batches = wh.batches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].payload["truncatedAlerts"], 1);
  EXPECT_EQ(batches[0].payload["alerts"].size(), 2u);
  EXPECT_EQ(wh.auth_headers()[0], "Basic dXNlcjpwYXNz");
}

TEST(Acceptance, AlertGetReturnsCurrentAlertStatus) {
  Webhook wh;
  AmServer am(Conf(wh.url(), "  group_wait: 1m", R"(
inhibit_rules:
- source_match: {severity: critical}
  target_match: {severity: warning}
  equal: [alertname])"));
  am.Push({A({{"alertname", "test1"}, {"severity", "warning"}})});
  json alerts = am.GetJson("/api/v2/alerts");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["status"]["state"], "active");
  std::string fp_warning = alerts[0]["fingerprint"];
  std::string id = am.SetSilence(json::array({{{"name", "alertname"}, {"value", "test1"}, {"isRegex", false}}}), -1, 100);
  alerts = am.GetJson("/api/v2/alerts");
  EXPECT_EQ(alerts[0]["status"]["state"], "suppressed");
  EXPECT_EQ(alerts[0]["status"]["silencedBy"], json::array({id}));
  am.Push({A({{"alertname", "test1"}, {"severity", "critical"}})});
  alerts = am.GetJson("/api/v2/alerts");
  ASSERT_EQ(alerts.size(), 2u);
  std::string fp_critical;
  for (const auto& a : alerts) {
    if (a["labels"]["severity"] == "critical") fp_critical = a["fingerprint"];
  }
  for (const auto& a : alerts) {
    if (a["labels"]["severity"] == "warning") EXPECT_EQ(a["status"]["inhibitedBy"], json::array({fp_critical}));
  }
  am.DelSilence(id);
  alerts = am.GetJson("/api/v2/alerts");
  for (const auto& a : alerts) {
    EXPECT_EQ(a["status"]["silencedBy"], json::array());
    EXPECT_EQ(a["status"]["state"], a["labels"]["severity"] == "critical" ? "active" : "suppressed");
  }
  // FilterAlertRequest.
  alerts = am.GetJson("/api/v2/alerts?filter=alertname%3Dtest1&filter=severity%3Dwarning");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["fingerprint"], fp_warning);
  EXPECT_EQ(am.GetJson("/api/v2/alerts?inhibited=false").size(), 1u);
  EXPECT_EQ(am.GetJson("/api/v2/alerts?receiver=nomatch").size(), 0u);
  json groups = am.GetJson("/api/v2/alerts/groups");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]["receiver"]["name"], "default");
  EXPECT_EQ(groups[0]["alerts"].size(), 2u);
}

}  // namespace
}  // namespace sremon::amtest
