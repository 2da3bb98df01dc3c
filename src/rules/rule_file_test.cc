// Rule file parsing: the shipped file, every kind of mistake with its file:line message.
#include "rules/rule_file.h"

#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace sremon::rules {
namespace {

TEST(RuleFile, ParsesShippedRules) {
  // The file the stack ships, not a copy of it: a change there is tested here.
  std::string shipped = testutil::ReadFile(testutil::SourceDir() + "/prometheus/alert_rules.yml");
  ASSERT_FALSE(shipped.empty());
  auto f = ParseRuleFile("alert_rules.yml", shipped);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->groups.size(), 1u);
  const GroupSpec& g = f->groups[0];
  EXPECT_EQ(g.name, "sre_app_alerts");
  EXPECT_EQ(g.interval_ms, 15000);
  ASSERT_EQ(g.rules.size(), 2u);
  EXPECT_EQ(g.rules[0].alert, "AppDown");
  EXPECT_EQ(g.rules[0].expr, "up{job=\"sre_app\"} == 0");
  EXPECT_EQ(g.rules[0].for_ms, 30000);
  EXPECT_EQ(g.rules[0].line, 5);
  EXPECT_EQ(g.rules[0].labels[0].name, "severity");
  EXPECT_EQ(g.rules[1].for_ms, 60000);
  EXPECT_EQ(g.rules[1].annotations.size(), 2u);
  EXPECT_TRUE(FindDuplicateRules(*f).empty());
}

TEST(RuleFile, RecordingAndKeepFiringFor) {
  auto f = ParseRuleFile("r.yml", R"(groups:
- name: g
  limit: 10
  labels: {team: sre}
  rules:
  - record: job:up:sum
    expr: sum by (job) (up)
    labels: {a: b}
  - alert: X
    expr: vector(1)
    keep_firing_for: 5m
)");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->groups[0].limit, 10);
  EXPECT_EQ(f->groups[0].labels[0].value, "sre");
  EXPECT_EQ(f->groups[0].rules[0].record, "job:up:sum");
  EXPECT_EQ(f->groups[0].rules[1].keep_firing_for_ms, 300000);
}

TEST(RuleFile, Errors) {
  auto check = [](std::string_view text, std::string_view want) {
    ParseOptions opts;
    opts.validate_expr = [](std::string_view e) {
      return e.find("((") != std::string_view::npos ? Status::InvalidArgument("1:1: parse error: unclosed left parenthesis") : Status::Ok();
    };
    auto f = ParseRuleFile("bad.yml", text, opts);
    ASSERT_FALSE(f.ok()) << text;
    EXPECT_NE(f.status().message().find(want), std::string::npos) << f.status().message();
  };
  check("groups:\n- name: g\n  rules:\n  - alert: A\n    exprr: up\n", "bad.yml:5: group \"g\", rule 1, \"A\": field exprr not found");
  check("groups:\n- name: g\n  rules:\n  - alert: A\n", "bad.yml:4: group \"g\", rule 1, \"A\": field 'expr' must be set");
  check("groups:\n- name: g\n  rules:\n  - alert: A\n    record: b\n    expr: up\n", "only one of 'record' and 'alert' must be set");
  check("groups:\n- name: g\n  rules:\n  - expr: up\n", "one of 'record' or 'alert' must be set");
  check("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: ((up\n", "bad.yml:5: group \"g\", rule 1, \"A\": could not parse expression: 1:1: parse error");
  check("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    for: 5x\n", "bad.yml:6: for: not a valid duration string");
  check("groups:\n- name: g\n  rules:\n  - record: 'bad name'\n    expr: up\n", "invalid recording rule name: bad name");
  check("groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n    annotations: {a: b}\n", "invalid field 'annotations' in recording rule");
  check("groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n    for: 1m\n", "invalid field 'for' in recording rule");
  check("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    labels: {'in-valid': x}\n", "bad.yml:6: invalid label name: in-valid");
  check("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    annotations:\n      s: '{{ .Foo'\n", "bad.yml:7: group \"g\", rule 1, \"A\": annotation \"s\": template: __alert_A");
  check("groups:\n- name: g\n- name: g\n", "bad.yml:3: groupname: \"g\" is repeated in the same file");
  check("groups:\n- name: ''\n", "group name should not be empty");
  check("groups:\n- name: g\n  interval: 1q\n", "interval: not a valid duration string");
  check("groups: [\n", "bad.yml:2: yaml:");
  check("- a\n- b\n", "expected a mapping");
  check("groups:\n- name: g\n  bogus: 1\n", "bad.yml:3: field bogus not found in type rulefmt.RuleGroup");
  check("nope: 1\n", "field nope not found");
  // Found by rule_file_fuzzer: a non-ASCII byte in a duration aborted inside fmt's {:?}.
  check("groups:\n- name: g\n  interval: 15\xe0s\n", "bad.yml:3: group \"g\" interval: not a valid duration string");
}

TEST(RuleFile, EmptyFileHasNoGroups) {
  auto f = ParseRuleFile("e.yml", "");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->groups.empty());
}

TEST(RuleFile, Duplicates) {
  auto f = ParseRuleFile("d.yml", "groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n  - record: r\n    expr: up\n");
  ASSERT_TRUE(f.ok());
  auto d = FindDuplicateRules(*f);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].find("d.yml:6"), std::string::npos) << d[0];
}

TEST(RuleFile, KeyChangesWithDefinition) {
  auto a = ParseRuleFile("k.yml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    for: 1m\n");
  auto b = ParseRuleFile("k.yml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    for: 2m\n");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->groups[0].rules[0].Key(), b->groups[0].rules[0].Key());
  EXPECT_EQ(a->groups[0].rules[0].Key(), a->groups[0].rules[0].Key());
}

}  // namespace
}  // namespace sremon::rules
