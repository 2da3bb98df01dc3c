// Inhibition on its own (inhibit/inhibit.go of upstream): source and target matchers, the
// `equal` labels, resolved sources, and an alert matching both sides not muting itself or its
// peers. Sources come from a real AlertStore.
#include "alertmanager/inhibit.h"

#include <gtest/gtest.h>

#include "util/time.h"

namespace sremon::alertmanager {
namespace {

std::vector<InhibitRule> Rules(const std::string& inhibit_rules_yaml) {
  auto c = ParseConfig("route: {receiver: r}\nreceivers: [{name: r}]\ninhibit_rules:\n" + inhibit_rules_yaml,
                       "am.yml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? (*c)->inhibit_rules : std::vector<InhibitRule>{};
}

Alert Firing(model::Labels labels, int64_t now) {
  Alert a;
  a.labels = std::move(labels);
  a.starts_at = now - 60000;
  a.updated_at = now;
  return a;
}

class InhibitTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.Open("").ok()); }
  // The fingerprint of the muting alert, or 0 when nothing mutes.
  uint64_t MutedBy(const Inhibitor& in, model::Labels labels) { return in.Mutes(labels, now_).value_or(0); }

  AlertStore store_;
  int64_t now_ = NowMs();
};

TEST_F(InhibitTest, SourceMutesTargetsWithEqualLabels) {
  Inhibitor in(Rules("- source_matchers: ['severity=\"critical\"']\n"
                     "  target_matchers: ['severity=~\"warning|info\"']\n"
                     "  equal: [cluster, service]\n"),
               &store_);
  Alert source =
      Firing({{"alertname", "Down"}, {"severity", "critical"}, {"cluster", "c1"}, {"service", "s"}}, now_);
  EXPECT_EQ(
      MutedBy(in, {{"alertname", "Slow"}, {"severity", "warning"}, {"cluster", "c1"}, {"service", "s"}}), 0u);
  store_.Put({source});  // the inhibitor sees store changes without being told
  uint64_t fp = source.Fingerprint();
  EXPECT_EQ(
      MutedBy(in, {{"alertname", "Slow"}, {"severity", "warning"}, {"cluster", "c1"}, {"service", "s"}}), fp);
  EXPECT_EQ(MutedBy(in, {{"alertname", "Slow"}, {"severity", "info"}, {"cluster", "c1"}, {"service", "s"}}),
            fp);
  // One equal label differs, or is absent on one side only: not muted.
  EXPECT_EQ(
      MutedBy(in, {{"alertname", "Slow"}, {"severity", "warning"}, {"cluster", "c2"}, {"service", "s"}}), 0u);
  EXPECT_EQ(MutedBy(in, {{"alertname", "Slow"}, {"severity", "warning"}, {"cluster", "c1"}}), 0u);
  // Not a target (the target regex is anchored), or a source itself.
  EXPECT_EQ(MutedBy(in, {{"severity", "warnings"}, {"cluster", "c1"}, {"service", "s"}}), 0u);
  EXPECT_EQ(
      MutedBy(in, {{"alertname", "Other"}, {"severity", "critical"}, {"cluster", "c1"}, {"service", "s"}}),
      0u);
}

TEST_F(InhibitTest, EqualLabelsAbsentOnBothSidesAreEqual) {
  Inhibitor in(Rules("- source_match: {alertname: A}\n  target_match: {alertname: B}\n  equal: [zone]\n"),
               &store_);
  store_.Put({Firing({{"alertname", "A"}}, now_)});
  EXPECT_NE(MutedBy(in, {{"alertname", "B"}}), 0u);  // upstream compares "" with ""
  EXPECT_EQ(MutedBy(in, {{"alertname", "B"}, {"zone", "z"}}), 0u);
}

TEST_F(InhibitTest, ResolvedSourcesDoNotMute) {
  Inhibitor in(Rules("- source_matchers: [alertname=A]\n  target_matchers: [alertname=B]\n"), &store_);
  Alert a = Firing({{"alertname", "A"}}, now_);
  a.ends_at = now_ + 60000;  // still firing at now_, resolved a minute later
  store_.Put({a});
  EXPECT_EQ(MutedBy(in, {{"alertname", "B"}}), a.Fingerprint());
  EXPECT_FALSE(in.Mutes({{"alertname", "B"}}, now_ + 60000).has_value());
  EXPECT_FALSE(in.Mutes({{"alertname", "B"}}, now_ + 120000).has_value());
}

// As upstream: an alert matching the source and the target of one rule is muted only by a
// source that does not also match the target, so it neither mutes itself nor a peer like it.
TEST_F(InhibitTest, AlertMatchingBothSidesDoesNotMuteItselfOrItsPeers) {
  Inhibitor in(Rules("- source_matchers: [alertname=JobDown]\n"
                     "  target_matchers: ['alertname=~\"JobDown|InstanceDown\"']\n"
                     "  equal: [job]\n"),
               &store_);
  Alert job1 = Firing({{"alertname", "JobDown"}, {"job", "j"}, {"zone", "1"}}, now_);
  Alert job2 = Firing({{"alertname", "JobDown"}, {"job", "j"}, {"zone", "2"}}, now_);
  store_.Put({job1, job2});
  EXPECT_EQ(MutedBy(in, job1.labels), 0u);
  EXPECT_EQ(MutedBy(in, job2.labels), 0u);
  uint64_t by = MutedBy(in, {{"alertname", "InstanceDown"}, {"job", "j"}});
  EXPECT_TRUE(by == job1.Fingerprint() || by == job2.Fingerprint()) << by;
  EXPECT_EQ(MutedBy(in, {{"alertname", "InstanceDown"}, {"job", "other"}}), 0u);

  // A source matching only the source side does mute a two-sided alert.
  Inhibitor two(Rules("- source_matchers: [alertname=JobDown]\n"
                      "  target_matchers: ['alertname=~\"JobDown|InstanceDown\"']\n"
                      "  equal: [job]\n"
                      "- source_matchers: [alertname=ClusterDown]\n"
                      "  target_matchers: ['alertname=~\".+Down\"']\n"),
                &store_);
  Alert cluster = Firing({{"alertname", "ClusterDown"}}, now_);
  store_.Put({cluster});
  EXPECT_EQ(MutedBy(two, job1.labels), cluster.Fingerprint());
  // ClusterDown matches both sides of rule two and is the only such source: not muted by itself.
  EXPECT_EQ(MutedBy(two, cluster.labels), 0u);
}

TEST_F(InhibitTest, NoRulesMuteNothing) {
  Inhibitor in({}, &store_);
  store_.Put({Firing({{"alertname", "A"}}, now_)});
  EXPECT_FALSE(in.Mutes({{"alertname", "A"}}, now_).has_value());
}

}  // namespace
}  // namespace sremon::alertmanager
