// The promtool-format test runner: series notation, the shipped rule tests, failures, JUnit,
// coverage and inexact annotations.
#include "rules/unittest.h"

#include <cmath>

#include <gtest/gtest.h>

#include "model/labels.h"
#include "testutil/testutil.h"

namespace sremon::rules {
namespace {

std::string Expand(std::string_view in) {
  auto r = ExpandSeriesValues(in);
  if (!r.ok()) return "error: " + r.status().message();
  std::string out;
  for (const auto& v : *r) {
    if (!out.empty()) out += ' ';
    out += v.kind == SeriesValue::kGap ? "_" : v.kind == SeriesValue::kStale ? "stale" : fmt::format("{}", v.v);
  }
  return out;
}

TEST(SeriesNotation, ExpandsLikePromtool) {
  EXPECT_EQ(Expand("-2+4x3"), "-2 2 6 10");
  EXPECT_EQ(Expand(" 1-2x4"), "1 -1 -3 -5 -7");
  EXPECT_EQ(Expand(" 1x4"), "1 1 1 1 1");
  EXPECT_EQ(Expand("1 _x3 stale"), "1 _ _ _ stale");
  EXPECT_EQ(Expand("1e3 1e+3+1x1 Inf -Inf"), "1000 1000 1001 inf -inf");
  EXPECT_EQ(Expand("0.5+0.25x2"), "0.5 0.75 1");
  EXPECT_EQ(Expand(""), "");
  EXPECT_EQ(Expand("abc"), "error: invalid series value \"abc\"");
  EXPECT_EQ(Expand("1+x3"), "error: invalid series value \"1+x3\"");
  auto ls = ParseSeriesLabels("up{job=\"a\", instance=\"b\"}");
  ASSERT_TRUE(ls.ok());
  EXPECT_EQ(ls->ToString(), "up{instance=\"b\", job=\"a\"}");
  EXPECT_FALSE(ParseSeriesLabels("up{job=~\"a\"}").ok());
}

TEST(RuleUnitTests, ShippedRulesPass) {
  for (const char* f : {"alert_rules_test.yml", "slo_rules_test.yml"}) {
    std::string path = testutil::SourceDir() + "/prometheus/" + f;
    UnitTestOptions o;
    o.report_coverage = true;
    auto r = RunRuleUnitTests(path, o);
    EXPECT_TRUE(r.passed()) << FormatUnitTestResult(r, o);
    EXPECT_TRUE(r.uncovered.empty() || std::string(f) == "slo_rules_test.yml") << FormatUnitTestResult(r, o);
  }
}

TEST(RuleUnitTests, FailuresAreReportedLikePromtool) {
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("r.yml"), R"(groups:
- name: g
  rules:
  - alert: Down
    expr: up == 0
    annotations:
      summary: "{{ $labels.job }} is down since {{ 1 }}"
  - alert: Untested
    expr: vector(1)
  - record: job:up
    expr: up
)");
  testutil::WriteFile(dir.File("t.yml"), R"(rule_files: [r.yml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'up{job="a"}'
    values: '0 0 0'
  alert_rule_test:
  - eval_time: 1m
    alertname: Down
    exp_alerts:
    - exp_labels: {job: a}
      exp_annotations:
        summary: "a is down since .*"
  promql_expr_test:
  - expr: up
    eval_time: 2m
    exp_samples:
    - labels: 'up{job="a"}'
      value: 1
)");
  UnitTestOptions exact;
  exact.report_coverage = true;
  auto r = RunRuleUnitTests(dir.File("t.yml"), exact);
  EXPECT_FALSE(r.passed());
  std::string text = FormatUnitTestResult(r, exact);
  EXPECT_NE(text.find("alertname: Down, time: 1m"), std::string::npos) << text;
  EXPECT_NE(text.find("expr: \"up\", time: 2m"), std::string::npos) << text;
  EXPECT_NE(text.find("Not covered by any test: " + dir.File("r.yml") + ":8: alert Untested"), std::string::npos) << text;
  EXPECT_NE(text.find("record job:up"), std::string::npos) << text;
  std::string xml = FormatJUnit({r});
  EXPECT_NE(xml.find("<testsuite name=\"" + dir.File("t.yml") + "\" tests=\"1\" failures=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message="), std::string::npos);

  // Inexact annotations: the pattern matches; only the promql test still fails.
  UnitTestOptions inexact;
  inexact.inexact_annotations = true;
  auto r2 = RunRuleUnitTests(dir.File("t.yml"), inexact);
  std::string text2 = FormatUnitTestResult(r2, inexact);
  EXPECT_EQ(text2.find("alertname: Down"), std::string::npos) << text2;
  EXPECT_NE(text2.find("expr: \"up\""), std::string::npos) << text2;
}

TEST(RuleUnitTests, BadFiles) {
  testutil::TempDir dir;
  EXPECT_FALSE(RunRuleUnitTests(dir.File("missing.yml"), {}).file_error.ok());
  testutil::WriteFile(dir.File("t.yml"), "rule_files: [nope.yml]\ntests: []\n");
  EXPECT_FALSE(RunRuleUnitTests(dir.File("t.yml"), {}).file_error.ok());
  testutil::WriteFile(dir.File("t2.yml"), "tests:\n- input_series:\n  - series: 'up{'\n    values: '1'\n");
  auto r = RunRuleUnitTests(dir.File("t2.yml"), {});
  EXPECT_FALSE(r.passed());
  testutil::WriteFile(dir.File("t3.yml"), "[1, 2");
  EXPECT_FALSE(RunRuleUnitTests(dir.File("t3.yml"), {}).file_error.ok());
}

}  // namespace
}  // namespace sremon::rules
