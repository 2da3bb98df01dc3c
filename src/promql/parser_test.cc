#include <gtest/gtest.h>

#include "promql/ast.h"

namespace sremon::promql {
namespace {

struct FormatCase {
  const char* in;
  const char* want;  // canonical String()
};

TEST(ParserTest, CanonicalFormatting) {
  const FormatCase kCases[] = {
      {"1", "1"},
      {"1e6", "1e+06"},
      {"-1", "-1"},
      {"0x1F", "31"},
      {"+Inf", "+Inf"},
      {"-inf", "-Inf"},
      {"NaN", "NaN"},
      {"'a\\'b'", "\"a'b\""},
      {"`raw\\n`", "\"raw\\\\n\""},
      {"foo", "foo"},
      {"foo{b='x', a=~\"y.*\"}", "foo{a=~\"y.*\",b=\"x\"}"},
      {"{__name__=\"foo\"}", "{__name__=\"foo\"}"},
      {"foo offset 5m", "foo offset 5m"},
      {"foo offset -1h30m", "foo offset -1h30m"},
      {"foo @ 100 offset 1m", "foo @ 100.000 offset 1m"},
      {"foo offset 1m @ start()", "foo @ start() offset 1m"},
      {"foo[5m] @ end()", "foo[5m] @ end()"},
      {"rate(foo[5m] offset 1w)", "rate(foo[5m] offset 1w)"},
      {"sum by (a, b) (foo)", "sum by (a, b) (foo)"},
      {"sum(foo) without (a)", "sum without (a) (foo)"},
      {"SUM(foo)", "sum(foo)"},
      {"topk(3, foo)", "topk(3, foo)"},
      {"count_values(\"v\", foo)", "count_values(\"v\", foo)"},
      {"a + b * c", "a + b * c"},
      {"(a + b) * c", "(a + b) * c"},
      {"a > bool 1", "a > bool 1"},
      {"a * on(x) group_left(y) b", "a * on (x) group_left (y) b"},
      {"a / ignoring(x) b", "a / ignoring (x) b"},
      {"a and on() b", "a and on () b"},
      {"-foo", "-foo"},
      {"foo[5m:1m]", "foo[5m:1m]"},
      {"max_over_time(rate(foo[1m])[1h:] offset 5m)", "max_over_time(rate(foo[1m])[1h:] offset 5m)"},
      {"label_join(foo, \"a\", \",\", \"b\", \"c\")", "label_join(foo, \"a\", \",\", \"b\", \"c\")"},
      {"foo # comment\n + 1", "foo + 1"},
      {"time()", "time()"},
      {"year()", "year()"},
      {"foo:bar:baz", "foo:bar:baz"},
      {"a atan2 b", "a atan2 b"},
  };
  for (const auto& c : kCases) {
    auto e = ParseExpr(c.in);
    ASSERT_TRUE(e.ok()) << c.in << ": " << e.status().message();
    EXPECT_EQ((*e)->String(), c.want) << c.in;
  }
}

TEST(ParserTest, PrecedenceAndAssociativity) {
  auto num = [](const Node& n) { return static_cast<const NumberLiteral&>(n).value; };
  // ^ is right-associative: 2 ^ 3 ^ 2 = 2 ^ (3 ^ 2).
  auto e = ParseExpr("2 ^ 3 ^ 2");
  ASSERT_TRUE(e.ok());
  auto& b = static_cast<BinaryExpr&>(**e);
  EXPECT_EQ(num(*b.lhs), 2);
  EXPECT_EQ(b.rhs->kind, NodeKind::kBinary);
  // Unary minus binds looser than ^: -2 ^ 2 = -(2 ^ 2).
  e = ParseExpr("-2 ^ 2");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->kind, NodeKind::kUnary);
  // Left-associative subtraction.
  e = ParseExpr("1 - 2 - 3");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(static_cast<BinaryExpr&>(**e).lhs->kind, NodeKind::kBinary);
  // or binds loosest, and/unless above it, comparisons above those.
  e = ParseExpr("a or b and c > d");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(static_cast<BinaryExpr&>(**e).op, BinOp::kOr);
}

struct ErrorCase {
  const char* in;
  const char* want;
};

// Expected texts are what Prometheus 2.42's promtool prints for the same expressions
// (`promtool check rules` on a rule with that expr).
TEST(ParserTest, ErrorsReadLikePrometheus) {
  const ErrorCase kCases[] = {
      {"", "1:1: parse error: no expression found in input"},
      // Invalid UTF-8 in strings, positions as Prometheus 2.42 answers them.
      {"m{x=\"\xff\"}", "1:5: parse error: invalid UTF-8 rune"},
      {"\"\xff\"", "1:1: parse error: invalid UTF-8 rune"},
      {"label_replace(m,\"y\",\"\xff\",\"x\",\".*\")", "1:21: parse error: invalid UTF-8 rune"},
      {"\xff", "1:1: parse error: unexpected character: '\xEF\xBF\xBD'"},
      {"m{\xff=\"a\"}", "1:3: parse error: unexpected character inside braces: '\xEF\xBF\xBD'"},
      {"foo(", "1:5: parse error: unclosed left parenthesis"},
      {"foo{",
       "1:5: parse error: unexpected end of input inside braces"},
      {"sum(",
       "1:5: parse error: unclosed left parenthesis"},
      {"foo[5m",
       "1:7: parse error: unclosed left bracket"},
      {"rate(foo)",
       "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector"},
      {"foo(bar)",
       "1:1: parse error: unknown function with name \"foo\""},
      {"abs(1, 2)",
       "1:1: parse error: expected 1 argument(s) in call to \"abs\", got 2"},
      {"round()",
       "1:1: parse error: expected at least 1 argument(s) in call to \"round\", got 0"},
      {"hour(a, b)",
       "1:1: parse error: expected at most 1 argument(s) in call to \"hour\", got 2"},
      {"1 +",
       "1:4: parse error: unexpected end of input"},
      {"foo * * bar",
       "1:7: parse error: unexpected <op:*>"},
      {"1 > 2",
       "1:3: parse error: comparisons between scalars must use BOOL modifier"},
      {"a + bool b",
       "1:3: parse error: bool modifier can only be used on comparison operators"},
      {"1 and foo",
       "1:1: parse error: set operator \"and\" not allowed in binary scalar expression"},
      {"a and on(x) group_left b",
       "1:1: parse error: no grouping allowed for \"and\" operation"},
      {"foo[5m] + 1",
       "1:1: parse error: binary expression must contain only scalar and instant vector types"},
      {"(foo)[5m]",
       "1:6: parse error: ranges only allowed for vector selectors"},
      {"sum(foo, bar)",
       "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2"},
      {"topk(foo)",
       "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1"},
      {"foo[5x]",
       "1:5: parse error: bad duration syntax: \"5\""},
      {"foo x",
       "1:5: parse error: unexpected identifier \"x\""},
      {"bar{__name__=\"x\"}",
       "1:1: parse error: metric name must not be set twice: \"bar\" or \"x\""},
      {"-\"s\"",
       "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got \"string\""},
      {"a * on(x) group_left(x) b",
       "1:3: parse error: label \"x\" must not occur in ON and GROUP clause at once"},
      {"(1 + 2",
       "1:7: parse error: unclosed left parenthesis"},
      {"sum(foo) by (a) by (b)",
       "1:17: parse error: unexpected <by>"},
      {"{}",
       "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"{x=~\".*\"}",
       "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"foo{a=~\"(\"}",
       "1:5: parse error: error parsing regexp: missing closing ): `^(?:()$`"},
      {"foo offset 5m offset 1m",
       "1:1: parse error: offset may not be set multiple times"},
      {"foo @ 1 @ 2",
       "1:1: parse error: @ <timestamp> may not be set multiple times"},
      {"sum(foo)[5m]",
       "1:9: parse error: ranges only allowed for vector selectors"},
      {"rate(foo[5m])[1m]",
       "1:14: parse error: ranges only allowed for vector selectors"},
      {"foo[5m][5m:]",
       "1:1: parse error: subquery is only allowed on instant vector, got matrix instead"},
      {"1.5m",
       "1:1: parse error: unexpected duration \"1.5m\""},
      {"foo{a=\"b\",,}",
       "1:11: parse error: unexpected \",\" in label matching, expected identifier or \"}\""},
      {"foo{a b}",
       "1:7: parse error: unexpected identifier \"b\" in label matching, expected label matching operator"},
      {"foo{a=\"b\"",
       "1:10: parse error: unexpected end of input inside braces"},
      {"count_values(1, foo)",
       "1:14: parse error: expected type string in aggregation parameter, got scalar"},
      {"quantile(\"a\", foo)",
       "1:10: parse error: expected type scalar in aggregation parameter, got string"},
      {"label_replace(foo, 1, \"a\", \"b\", \"c\")",
       "1:20: parse error: expected type string in call to function \"label_replace\", got scalar"},
      {"foo @ start",
       "1:12: parse error: unexpected end of input in @, expected timestamp"},
      {"sum without(a) by (b) (foo)",
       "1:16: parse error: unexpected <by> in aggregation"},
      {"avg by (le (foo)",
       "1:12: parse error: unexpected \"(\" in grouping opts, expected \",\" or \")\""},
      {"foo{a!~\"x\"} offset -",
       "1:21: parse error: unexpected end of input in offset, expected duration"},
      {"histogram_quantile(0.9)",
       "1:1: parse error: expected 2 argument(s) in call to \"histogram_quantile\", got 1"},
      {"vector(\"a\")",
       "1:8: parse error: expected type scalar in call to function \"vector\", got string"},
      {"1 +* 2",
       "1:4: parse error: unexpected <op:*>"},
      {"foo ^^ 2",
       "1:6: parse error: unexpected <op:^>"},
      {"foo !x",
       "1:5: parse error: unexpected character after '!': 'x'"},
  };
  for (const auto& c : kCases) {
    auto e = ParseExpr(c.in);
    ASSERT_FALSE(e.ok()) << c.in;
    EXPECT_EQ(e.status().message(), c.want) << c.in;
  }
}

// Expected outputs are what Prometheus 2.42 answers on /api/v1/format_query for the same input.
TEST(ParserTest, PrettifyMatchesPrometheusFormatQuery) {
  const FormatCase kCases[] = {
      {"sum(foo) by (a)",
       "sum by (a) (foo)"},
      {"1e6",
       "1e+06"},
      {"-1",
       "-1"},
      {"0x1F",
       "31"},
      {"+Inf",
       "+Inf"},
      {"'a\\'b'",
       "\"a'b\""},
      {"`raw\\n`",
       "\"raw\\\\n\""},
      {"foo{b='x', a=~\"y.*\"}",
       "foo{a=~\"y.*\",b=\"x\"}"},
      {"{__name__=\"foo\"}",
       "{__name__=\"foo\"}"},
      {"{__name__=\"foo\", a=\"b\"}",
       "{__name__=\"foo\",a=\"b\"}"},
      {"foo offset 5m",
       "foo offset 5m"},
      {"foo offset -1h30m",
       "foo offset -1h30m"},
      {"foo @ 100 offset 1m",
       "foo @ 100.000 offset 1m"},
      {"foo offset 1m @ start()",
       "foo @ start() offset 1m"},
      {"foo[5m] @ end()",
       "foo[5m] @ end()"},
      {"rate(foo[5m] offset 1w)",
       "rate(foo[5m] offset 1w)"},
      {"sum without (a) (foo)",
       "sum without (a) (foo)"},
      {"topk(3, foo)",
       "topk(3, foo)"},
      {"count_values(\"v\", foo)",
       "count_values(\"v\", foo)"},
      {"a + b * c",
       "a + b * c"},
      {"(a + b) * c",
       "(a + b) * c"},
      {"a > bool 1",
       "a > bool 1"},
      {"a * on(x) group_left(y) b",
       "a * on (x) group_left (y) b"},
      {"a / ignoring(x) b",
       "a / ignoring (x) b"},
      {"a and on() b",
       "a and on () b"},
      {"a or ignoring() b",
       "a or b"},
      {"a * on(x) group_right b",
       "a * on (x) group_right () b"},
      {"-foo",
       "-foo"},
      {"-(foo)",
       "-(foo)"},
      {"- 1",
       "-1"},
      {"-(1)",
       "-(1)"},
      {"foo[5m:1m]",
       "foo[5m:1m]"},
      {"foo[5m:]",
       "foo[5m:]"},
      {"max_over_time(rate(foo[1m])[1h:] offset 5m)",
       "max_over_time(rate(foo[1m])[1h:] offset 5m)"},
      {"label_join(foo, \"a\", \",\", \"b\", \"c\")",
       "label_join(foo, \"a\", \",\", \"b\", \"c\")"},
      {"foo # comment",
       "foo"},
      {"time()",
       "time()"},
      {"year()",
       "year()"},
      {"foo:bar:baz",
       "foo:bar:baz"},
      {"a atan2 b",
       "a atan2 b"},
      {"1 + 2",
       "1 + 2"},
      {"1 < bool 2",
       "1 < bool 2"},
      {"foo{a=\"\\n\\\"x\"}",
       "foo{a=\"\\n\\\"x\"}"},
      {"foo{a=\"\u00fc\"}",
       "foo{a=\"\u00fc\"}"},
      {"2 ^ 3 ^ 2",
       "2 ^ 3 ^ 2"},
      {"(2 ^ 3) ^ 2",
       "(2 ^ 3) ^ 2"},
      {"foo @ 1.5",
       "foo @ 1.500"},
      {"foo @ -100",
       "foo @ -100.000"},
      {"foo[1d]",
       "foo[1d]"},
      {"foo[90m]",
       "foo[1h30m]"},
      {"foo[3600s]",
       "foo[1h]"},
      {"foo[1500ms]",
       "foo[1s500ms]"},
      {"sum by (job) (rate(http_requests_total{job=\"api-server\", handler=\"/api/v1/query_range\"}[5m])) / on(job) group_left count by (job) (up)",
       "  sum by (job) (rate(http_requests_total{handler=\"/api/v1/query_range\",job=\"api-server\"}[5m]))\n/ on (job) group_left ()\n  count by (job) (up)"},
      {"histogram_quantile(0.99, sum by (le, job, instance, handler) (rate(http_request_duration_seconds_bucket{job=\"api-server\"}[5m])))",
       "histogram_quantile(\n  0.99,\n  sum by (le, job, instance, handler) (\n    rate(http_request_duration_seconds_bucket{job=\"api-server\"}[5m])\n  )\n)"},
      {"sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m])) + sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m]))",
       "  sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m]))\n+\n  sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m]))"},
      {"-sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m])) + sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m]))",
       "  -sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m]))\n+\n  sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m]))"},
      {"max_over_time((sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m])) + sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m])))[1h:5m] offset 1m)",
       "max_over_time(\n  (\n      sum(rate(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa[5m]))\n    +\n      sum(rate(bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb[5m]))\n  )[1h:5m] offset 1m\n)"},
      {"topk(5, sum by (instance) (rate(node_cpu_seconds_total{mode!=\"idle\", instance=~\"host-1.*\"}[5m])) * on(instance) group_left(nodename) node_uname_info)",
       "topk(\n  5,\n    sum by (instance) (rate(node_cpu_seconds_total{instance=~\"host-1.*\",mode!=\"idle\"}[5m]))\n  * on (instance) group_left (nodename)\n    node_uname_info\n)"},
      {"label_replace(sum by (instance) (rate(node_cpu_seconds_total{mode!=\"idle\", instance=~\"host-1.*\"}[5m])), \"a\", \"$1\", \"b\", \"(.*)\")",
       "label_replace(\n  sum by (instance) (rate(node_cpu_seconds_total{instance=~\"host-1.*\",mode!=\"idle\"}[5m])),\n  \"a\",\n  \"$1\",\n  \"b\",\n  \"(.*)\"\n)"},
      {"NaN",
       "NaN"},
      {"1.5e-7",
       "1.5e-07"},
      {"100000",
       "100000"},
      {"1000000",
       "1e+06"},
      {"123456789",
       "1.23456789e+08"},
      {"0.000001",
       "1e-06"},
  };
  for (const auto& c : kCases) {
    auto e = ParseExpr(c.in);
    ASSERT_TRUE(e.ok()) << c.in << ": " << e.status().message();
    EXPECT_EQ(Prettify(**e), c.want) << c.in;
  }
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '(');
  EXPECT_FALSE(ParseExpr(deep + "1" + std::string(100000, ')')).ok());
  EXPECT_FALSE(ParseExpr(std::string(100000, '-') + "1").ok());
  std::string chain = "1";
  for (int i = 0; i < 50000; ++i) chain += " + 1";
  EXPECT_FALSE(ParseExpr(chain).ok());
  EXPECT_TRUE(ParseExpr(std::string(100, '(') + "1" + std::string(100, ')')).ok());
}

TEST(ParserTest, MetricSelector) {
  auto m = ParseMetricSelector("up{job=\"a\", instance=~\"x.*\"}");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->size(), 3u);
  EXPECT_FALSE(ParseMetricSelector("rate(up[5m])").ok());
  // As Prometheus's ParseMetricSelector: {} parses (match[] callers refuse it themselves).
  ASSERT_TRUE(ParseMetricSelector("{}").ok());
  EXPECT_TRUE(ParseMetricSelector("{}")->empty());
  EXPECT_FALSE(ParseExpr("{}").ok());  // as a query it does not
  EXPECT_TRUE(ParseMetricSelector("{__name__=~\"up|down\"}").ok());
}

}  // namespace
}  // namespace sremon::promql

namespace sremon::promql {
namespace {

TEST(ParserTest, PrettifySplitsLongExpressions) {
  auto e = ParseExpr("sum(rate(foo[5m]))");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Prettify(**e), "sum(rate(foo[5m]))");
  e = ParseExpr(
      "sum by (job) (rate(http_requests_total{job=\"api-server\", handler=\"/api/v1/query_range\"}[5m])) / "
      "on(job) group_left count by (job) (up)");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Prettify(**e),
            "  sum by (job) (rate(http_requests_total{handler=\"/api/v1/query_range\",job=\"api-server\"}[5m]))\n"
            "/ on (job) group_left ()\n"
            "  count by (job) (up)");
}

}  // namespace
}  // namespace sremon::promql
