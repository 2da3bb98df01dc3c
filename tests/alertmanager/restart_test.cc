// Restart-correctness beyond upstream: silences acknowledged just before kill -9 survive, and
// what was already notified is not notified again after a restart before its time.
#include <fmt/format.h>

#include "harness.h"

namespace sremon::amtest {
namespace {

std::string Conf(const std::string& url) {
  return fmt::format(R"(
route:
  receiver: default
  group_by: [alertname]
  group_wait: 200ms
  group_interval: 500ms
  repeat_interval: 1h
receivers:
- name: default
  webhook_configs:
  - url: '{}'
)",
                     url);
}

TEST(Restart, SilenceCreatedJustBeforeKill9Survives) {
  Webhook wh;
  AmServer am(Conf(wh.url()));
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(am.SetSilence(json::array({{{"name", "alertname"}, {"value", "s" + std::to_string(i)}, {"isRegex", false}}}),
                                -1, 3600));
  }
  am.Kill9();  // well within 0.5 s of the last acknowledged create
  am.Start();
  json silences = am.GetJson("/api/v2/silences");
  ASSERT_EQ(silences.size(), ids.size()) << silences.dump();
  for (const auto& id : ids) {
    json s = am.GetJson("/api/v2/silence/" + id);
    EXPECT_EQ(s["id"], id);
    EXPECT_EQ(s["status"]["state"], "active");
  }
}

TEST(Restart, NotifiedAlertIsNotResentAfterKill9) {
  Webhook wh;
  AmServer am(Conf(wh.url()));
  wh.SetZero(am.t0());
  am.Push({A({{"alertname", "Down"}, {"job", "x"}})});
  am.At(1.0);
  ASSERT_EQ(wh.batches().size(), 1u);
  am.Kill9();
  am.Start();
  // The alert itself came back from disk, and the notification log says it was sent.
  json alerts = am.GetJson("/api/v2/alerts");
  ASSERT_EQ(alerts.size(), 1u);
  // Prometheus-style re-send of the same firing alert after the restart.
  am.Push({A({{"alertname", "Down"}, {"job", "x"}})});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(wh.batches().size(), 1u) << "re-sent after restart: " << wh.batches().back().payload.dump();
  // A real change still goes out: the alert resolves.
  am.Push({A({{"alertname", "Down"}, {"job", "x"}}).Active(0.001, 1.0)});
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  auto batches = wh.batches();
  ASSERT_EQ(batches.size(), 2u) << am.log();
  EXPECT_EQ(batches[1].payload["status"], "resolved");
}

TEST(Restart, InhibitionHoldsAcrossRestart) {
  // Target and source were both stored before the crash; after restart the target stays muted
  // (state is loaded before any group flushes).
  Webhook wh;
  AmServer am(Conf(wh.url()) + R"(
inhibit_rules:
- source_matchers: ['severity="critical"']
  target_matchers: ['severity="warning"']
  equal: [job]
)");
  am.Push({A({{"alertname", "Crit"}, {"severity", "critical"}, {"job", "x"}}),
           A({{"alertname", "Warn"}, {"severity", "warning"}, {"job", "x"}})});
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  am.Kill9();
  am.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  for (const auto& b : wh.batches()) {
    for (const auto& a : b.payload["alerts"]) EXPECT_NE(a["labels"]["alertname"], "Warn") << b.payload.dump();
  }
  ASSERT_FALSE(wh.batches().empty());
}

}  // namespace
}  // namespace sremon::amtest
