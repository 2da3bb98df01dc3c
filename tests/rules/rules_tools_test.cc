// `sremon check rules` and `sremon test rules` against Debian's promtool as the oracle: the
// same files pass and fail in both, and the shipped rule tests pass in both.
#include "harness.h"

namespace sremon::rules::e2e {
namespace {

std::string Shipped(const std::string& f) { return testutil::SourceDir() + "/prometheus/" + f; }

TEST(RulesTools, ShippedRuleTestsPassInSremonAndPromtool) {
  std::string files = Shipped("alert_rules_test.yml") + " " + Shipped("slo_rules_test.yml");
  std::string out;
  EXPECT_EQ(testutil::RunCommand(testutil::SremonBin() + " test rules " + files, &out), 0) << out;
  EXPECT_NE(out.find("SUCCESS"), std::string::npos);
  if (!testutil::Installed("promtool")) GTEST_SKIP() << "Debian's promtool is not installed";
  EXPECT_EQ(testutil::RunCommand("promtool test rules " + files, &out), 0) << out;
}

TEST(RulesTools, CheckRulesAgreesWithPromtool) {
  testutil::TempDir dir;
  struct Case {
    const char* name;
    const char* text;
    bool valid;
  } cases[] = {
      {"good.yml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 1m\n  - record: a:b\n    expr: sum(up)\n", true},
      {"badexpr.yml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(up\n", false},
      {"badfield.yml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    labelz: {}\n", false},
      {"badtmpl.yml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    annotations:\n      a: '{{ .Labels.x'\n", false},
      {"dupgroup.yml", "groups:\n- name: g\n- name: g\n", false},
      {"badrecord.yml", "groups:\n- name: g\n  rules:\n  - record: 'a b'\n    expr: up\n", false},
      {"badyaml.yml", "groups: [\n", false},
  };
  bool have_promtool = testutil::Installed("promtool");
  for (const auto& c : cases) {
    testutil::WriteFile(dir.File(c.name), c.text);
    std::string out;
    int ours = testutil::RunCommand(testutil::SremonBin() + " check rules " + dir.File(c.name), &out);
    EXPECT_EQ(ours == 0, c.valid) << c.name << ": " << out;
    if (!c.valid) EXPECT_NE(out.find(dir.File(c.name) + ":"), std::string::npos) << "file:line in " << out;
    if (have_promtool) {
      std::string theirs_out;
      int theirs = testutil::RunCommand("promtool check rules " + dir.File(c.name), &theirs_out);
      EXPECT_EQ(theirs == 0, c.valid) << c.name << " (promtool): " << theirs_out;
    }
  }
  std::string out;
  EXPECT_EQ(testutil::RunCommand(testutil::SremonBin() + " check rules " + Shipped("alert_rules.yml"), &out), 0) << out;
  EXPECT_NE(out.find("SUCCESS: 2 rules found"), std::string::npos) << out;
  EXPECT_EQ(testutil::RunCommand(testutil::SremonBin() + " check bogus x", &out), 2);
}

TEST(RulesTools, TestRulesExtras) {
  testutil::TempDir dir;
  std::string out;
  int rc = testutil::RunCommand(testutil::SremonBin() + " test rules --coverage --junit " + dir.File("junit.xml") + " " +
                                    Shipped("alert_rules_test.yml"), &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Coverage: every rule is tested"), std::string::npos) << out;
  std::string xml = testutil::ReadFile(dir.File("junit.xml"));
  EXPECT_NE(xml.find("<testsuite name=\"" + Shipped("alert_rules_test.yml") + "\" tests=\"2\" failures=\"0\""), std::string::npos) << xml;
  EXPECT_NE(testutil::RunCommand(testutil::SremonBin() + " test rules " + dir.File("missing.yml"), &out), 0);
}

}  // namespace
}  // namespace sremon::rules::e2e
