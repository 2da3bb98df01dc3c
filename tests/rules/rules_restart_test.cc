// Restart correctness: kill -9 while an alert is pending and while it is firing; after the
// restart the `for` timer resumes from ALERTS_FOR_STATE (read back from Debian's
// victoria-metrics) and a firing alert never shows as pending again.
#include <signal.h>

#include "harness.h"

namespace sremon::rules::e2e {
namespace {

TEST(RulesRestart, ForResumesAndFiringStaysFiring) {
  if (!testutil::Installed("victoria-metrics")) GTEST_SKIP() << "Debian's victoria-metrics is not installed";
  testutil::TempDir dir;
  testutil::VictoriaMetrics vm(dir.path());
  ASSERT_TRUE(vm.ok());
  // A condition that holds all along: vector(1) always returns one sample.
  testutil::WriteFile(dir.File("rules.yml"), R"(groups:
- name: restart
  interval: 1s
  rules:
  - alert: AlwaysOn
    expr: vector(1)
    for: 30s
    labels: {severity: page}
)");
  std::vector<std::string> flags{"-rule=" + dir.File("rules.yml"), "-datasource.url=" + vm.url(),
                                 "-remoteWrite.url=" + vm.url(), "-remoteWrite.flushInterval=100ms"};
  int64_t active_at = 0;
  {
    RulesService rs(dir, flags, "rules1.log");
    ASSERT_TRUE(rs.ok());
    ASSERT_TRUE(testutil::Poll(std::chrono::seconds(10), [&] { return !rs.Alerts().empty(); }));
    active_at = *ParseRfc3339(rs.Alerts()[0]["activeAt"].get<std::string>());
    // Pending for a while and persisted, then killed without warning.
    ASSERT_TRUE(testutil::Poll(std::chrono::seconds(30), [&] {
      auto v = Query(vm, "ALERTS_FOR_STATE{alertname=\"AlwaysOn\"}");
      return v.ok() && v->size() == 1 && NowMs() - active_at > 3000;
    }));
    ASSERT_EQ(rs.Alerts()[0]["state"], "pending");
    ::kill(rs.child().pid(), SIGKILL);
    rs.child().Wait(std::chrono::milliseconds(5000));
  }
  {
    RulesService rs(dir, flags, "rules2.log");
    ASSERT_TRUE(rs.ok());
    ASSERT_TRUE(testutil::Poll(std::chrono::seconds(10), [&] { return !rs.Alerts().empty(); }));
    auto a = rs.Alerts()[0];
    EXPECT_EQ(*ParseRfc3339(a["activeAt"].get<std::string>()) / 1000, active_at / 1000) << "the `for` timer resumed" << a.dump();
    // Fires 30 s after the original activeAt, not 8 s after the restart.
    ASSERT_TRUE(testutil::Poll(std::chrono::seconds(35), [&] { return rs.Alerts()[0]["state"] == "firing"; }));
    EXPECT_LE(NowMs() - (active_at + 30000), 2500) << "fired late: the timer was reset";
    ASSERT_TRUE(testutil::Poll(std::chrono::seconds(30), [&] {
      auto v = Query(vm, "ALERTS{alertname=\"AlwaysOn\",alertstate=\"firing\"}");
      return v.ok() && v->size() == 1;
    }));
    ::kill(rs.child().pid(), SIGKILL);
    rs.child().Wait(std::chrono::milliseconds(5000));
  }
  {
    RulesService rs(dir, flags, "rules3.log");
    ASSERT_TRUE(rs.ok());
    // From the very first evaluation after the restart it is firing, never pending.
    bool saw_pending = false, saw_firing = false;
    testutil::Poll(std::chrono::seconds(10), [&] {
      auto alerts = rs.Alerts();
      for (const auto& a : alerts) {
        saw_pending |= a["state"] == "pending";
        saw_firing |= a["state"] == "firing";
      }
      return saw_firing;
    });
    EXPECT_TRUE(saw_firing);
    EXPECT_FALSE(saw_pending) << "a firing alert went back to pending after the restart";
    EXPECT_EQ(*ParseRfc3339(rs.Alerts()[0]["activeAt"].get<std::string>()) / 1000, active_at / 1000);
  }
}

}  // namespace
}  // namespace sremon::rules::e2e
