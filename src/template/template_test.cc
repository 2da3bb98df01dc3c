// Table-driven tests of the template engine; expected outputs are what Go's text/template and
// Prometheus's template functions print for the same input.
#include "template/template.h"

#include <atomic>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>

namespace sremon::tmpl {
namespace {

Value Data() {
  Map labels{{"job", Value("api")}, {"instance", Value("host-1.example.com:9090")}, {"severity", Value("critical")}};
  Map alert1{{"Status", Value("firing")}, {"Labels", Value(Map{{"alertname", Value("A")}})}};
  Map alert2{{"Status", Value("resolved")}, {"Labels", Value(Map{{"alertname", Value("B")}})}};
  List alerts{Value(alert1), Value(alert2)};
  Value alerts_v(alerts);
  auto methods = std::make_shared<Map>();
  (*methods)["Firing"] = Value(Function([alerts](std::span<const Value>) -> Result<Value> { return Value(List{alerts[0]}); }));
  alerts_v.WithMethods(methods);
  Map m{{"Labels", Value(labels)},
        {"Value", Value(1234567.0)},
        {"Int", Value(3)},
        {"Empty", Value(List{})},
        {"Items", Value(List{Value("a"), Value("b"), Value("c")})},
        {"Alerts", alerts_v},
        {"Nested", Value(Map{{"Inner", Value(Map{{"X", Value("deep")}})}})}};
  return Value(std::move(m));
}

void Check(std::string_view text, std::string_view want) {
  auto t = Template::Parse("t", text, PrometheusFuncs());
  ASSERT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  auto out = t->Execute(Data());
  ASSERT_TRUE(out.ok()) << text << ": " << out.status().ToString();
  EXPECT_EQ(*out, want) << text;
}

void CheckParseError(std::string_view text, std::string_view want_substr) {
  auto t = Template::Parse("t", text, PrometheusFuncs());
  ASSERT_FALSE(t.ok()) << text;
  EXPECT_NE(t.status().message().find(want_substr), std::string::npos) << text << ": " << t.status().message();
}

void CheckExecError(std::string_view text, std::string_view want_substr) {
  auto t = Template::Parse("t", text, PrometheusFuncs());
  ASSERT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  auto out = t->Execute(Data());
  ASSERT_FALSE(out.ok()) << text << " gave " << *out;
  EXPECT_NE(out.status().message().find(want_substr), std::string::npos) << text << ": " << out.status().message();
}

TEST(Template, TextAndFields) {
  Check("plain text", "plain text");
  Check("{{ .Labels.job }}", "api");
  Check("{{.Labels.missing}}", "<no value>");
  Check("{{.Labels.missing.deeper}}|{{ if .Labels.missing }}y{{ else }}n{{ end }}|{{ index .Labels \"missing\" }}|", "<no value>|n||");
  Check("{{ .Nested.Inner.X }}", "deep");
  Check("{{ .Value }}", "1.234567e+06");
  Check("{{ .Int }}", "3");
  Check("{{ .Items }}", "[a b c]");
  Check("{{ $ := . }}{{ $.Labels.job }}", "api");
  Check("{{ \"a\\tb\" }}|{{ `raw\\n` }}|{{ 'x' }}|{{ 0x10 }}|{{ 1.5 }}|{{ -2 }}|{{ true }}", "a\tb|raw\\n|120|16|1.5|-2|true");
  // Literals are strconv.Unquote'd as Go's parser does: raw strings drop carriage returns,
  // invalid UTF-8 in a quoted string becomes U+FFFD, '\xff' is the byte 255.
  Check("{{ `a\r\nb` }}|{{ \"\\t\xff\" }}|{{ '\\xff' }}|{{ '\\u00e9' }}", "a\nb|\t\xef\xbf\xbd|255|233");
}

TEST(Template, Trim) {
  Check("a  {{- \"b\" -}}  c", "abc");
  Check("a\n  {{- /* comment */ -}}\n  c", "ac");
  Check("x{{/* c */}}y", "xy");
  Check("{{- .Int -}}", "3");
  Check("{{-3}}", "-3");
}

TEST(Template, Variables) {
  Check("{{ $labels := .Labels }}{{ $labels.job }}", "api");
  Check("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", "2");
  Check("{{ $v := .Value }}{{ if gt $v 1000.0 }}big{{ end }}", "big");
  Check("{{ with $x := .Labels.job }}{{ $x }}{{ end }}", "api");
}

TEST(Template, Control) {
  Check("{{ if .Labels.job }}yes{{ else }}no{{ end }}", "yes");
  Check("{{ if .Labels.nope }}yes{{ else if eq .Labels.job \"api\" }}api{{ else }}no{{ end }}", "api");
  Check("{{ range .Items }}[{{ . }}]{{ end }}", "[a][b][c]");
  Check("{{ range $i, $v := .Items }}{{ $i }}={{ $v }} {{ end }}", "0=a 1=b 2=c ");
  Check("{{ range $k, $v := .Labels }}{{ $k }}={{ $v }};{{ end }}", "instance=host-1.example.com:9090;job=api;severity=critical;");
  Check("{{ range .Empty }}x{{ else }}empty{{ end }}", "empty");
  Check("{{ range .Items }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}", "a");
  Check("{{ range .Items }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}", "ac");
  Check("{{ with .Nested.Inner }}{{ .X }}{{ end }}", "deep");
  Check("{{ with .Labels.nope }}x{{ else }}none{{ end }}", "none");
  Check("{{ range .Alerts.Firing }}{{ .Labels.alertname }}{{ end }}", "A");
  Check("{{ range .Alerts }}{{ .Status }} {{ end }}", "firing resolved ");
  Check("{{ len .Alerts.Firing }}", "1");
}

TEST(Template, DefineTemplateBlock) {
  Check("{{ define \"x\" }}[{{ . }}]{{ end }}{{ template \"x\" .Labels.job }}", "[api]");
  Check("{{ block \"b\" .Int }}<{{ . }}>{{ end }}", "<3>");
  auto t = Template::Parse("main", "{{ define \"t1\" }}one{{ end }}", {});
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->AddParse("more", "{{ define \"t2\" }}{{ template \"t1\" }}two{{ end }}").ok());
  EXPECT_EQ(*t->ExecuteTemplate("t2", Value()), "onetwo");
  EXPECT_EQ(t->ExecuteTemplate("nope", Value()).status().code(), Status::Code::kNotFound);
}

TEST(Template, Builtins) {
  Check("{{ and 1 0 }} {{ and 1 2 }} {{ or 0 \"\" }} {{ or 0 5 }} {{ not 0 }}", "0 2  5 true");
  Check("{{ len .Items }} {{ index .Items 1 }} {{ index .Labels \"job\" }} {{ slice \"abcdef\" 1 3 }}", "3 b api bc");
  Check("{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt 1.5 1 }} {{ ge \"b\" \"a\" }}",
        "true true true true true true true");
  Check("{{ print \"a\" 1 2 \"b\" }}", "a1 2b");
  Check("{{ println 1 \"x\" }}", "1 x\n");
  Check("{{ html \"<a&b>\" }} {{ urlquery \"a b&c\" }} {{ js \"it's\" }}", "&lt;a&amp;b&gt; a+b%26c it\\'s");
  Check("{{ .Labels.job | printf \"%s-%s\" \"x\" }}", "x-api");
  Check("{{ (index .Items 0) }}{{ (.Nested.Inner).X }}", "adeep");
}

TEST(Template, Printf) {
  auto p = [](std::string_view f, std::vector<Value> a) { return Sprintf(f, a); };
  EXPECT_EQ(p("%.2f", {Value(3.14159)}), "3.14");
  EXPECT_EQ(p("%d items", {Value(5)}), "5 items");
  EXPECT_EQ(p("%d", {Value(1.5)}), "%!d(float64=1.5)");
  EXPECT_EQ(p("%s", {Value(2.0)}), "%!s(float64=2)");
  EXPECT_EQ(p("%v %v %v", {Value(1e6), Value(100.0), Value("s")}), "1e+06 100 s");
  EXPECT_EQ(p("%g %g", {Value(0.1), Value(1e21)}), "0.1 1e+21");
  EXPECT_EQ(p("%5s|%-5s|%05d|%x|%X|%q", {Value("a"), Value("b"), Value(42), Value(255), Value("hi"), Value("q\"")}),
            "    a|b    |00042|ff|6869|\"q\\\"\"");
  EXPECT_EQ(p("%d %d", {Value(1)}), "1 %!d(MISSING)");
  EXPECT_EQ(p("%d", {Value(1), Value("x")}), "1%!(EXTRA string=x)");
  EXPECT_EQ(p("100%%", {}), "100%");
  EXPECT_EQ(p("%f %v", {Value(std::nan("")), Value(-INFINITY)}), "NaN -Inf");
  EXPECT_EQ(p("%.1e", {Value(12345.0)}), "1.2e+04");
  EXPECT_EQ(p("%t", {Value(true)}), "true");
}

TEST(Template, PrometheusFunctions) {
  Check("{{ 1234567.0 | humanize }}", "1.235M");
  Check("{{ humanize 0.00123 }}", "1.23m");
  Check("{{ humanize 0 }} {{ humanize 999 }} {{ humanize 1000 }}", "0 999 1k");
  Check("{{ humanize \"2048\" }}", "2.048k");
  Check("{{ humanize1024 1048576.0 }} {{ humanize1024 512 }} {{ humanize1024 1 }}", "1Mi 512 1");
  Check("{{ humanizeDuration 0 }}|{{ humanizeDuration 1.5 }}|{{ humanizeDuration 90 }}|{{ humanizeDuration 3661 }}|{{ humanizeDuration 90061 }}|{{ humanizeDuration 0.0012 }}|{{ humanizeDuration -60 }}",
        "0s|1.5s|1m 30s|1h 1m 1s|1d 1h 1m 1s|1.2ms|-1m 0s");
  Check("{{ humanizePercentage 0.1234 }}", "12.34%");
  Check("{{ humanizeTimestamp 1435065584.128 }}", "2015-06-23 13:19:44.128 +0000 UTC");
  Check("{{ humanizeTimestamp 0 }}", "1970-01-01 00:00:00 +0000 UTC");
  Check("{{ toUpper \"abc\" }} {{ toLower \"ABC\" }} {{ title \"hello wOrld-x\" }}", "ABC abc Hello WOrld-X");
  Check("{{ reReplaceAll \"(a*)bc\" \"x${1}y\" \"aabcbc\" }}", "xaayxy");
  Check("{{ reReplaceAll \"(?P<host>[^:]+):.*\" \"$host\" .Labels.instance }}", "host-1.example.com");
  Check("{{ reReplaceAll \"a\" \"$$\" \"banana\" }}", "b$n$n$");
  Check("{{ reReplaceAll \"x*\" \"-\" \"abc\" }}", "-a-b-c-");
  Check("{{ match \"^api\" .Labels.job }} {{ match \"z\" \"abc\" }}", "true false");
  Check("{{ stripPort .Labels.instance }} {{ stripDomain .Labels.instance }} {{ stripPort \"[::1]:80\" }}",
        "host-1.example.com host-1:9090 ::1");
  Check("{{ parseDuration \"1m30s\" }}", "90");
  Check("{{ join \", \" .Items }}", "a, b, c");
  Check("{{ safeHtml \"<b>\" }}", "<b>");
  Check("{{ (args 1 \"x\").arg1 }}", "x");
}

TEST(Template, QueryFunctions) {
  QueryFunc q = [](const std::string& expr) -> Result<List> {
    if (expr == "fail") return Status::Execution("bad query");
    List out;
    out.push_back(Value(Map{{"Labels", Value(Map{{"instance", Value("b")}})}, {"Value", Value(2.0)}}));
    out.push_back(Value(Map{{"Labels", Value(Map{{"instance", Value("a")}})}, {"Value", Value(1.0)}}));
    return out;
  };
  auto run = [&](std::string_view text) {
    auto t = Template::Parse("q", text, PrometheusFuncs(q));
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t->Execute(Value());
  };
  EXPECT_EQ(*run("{{ query \"up\" | first | value }}"), "2");
  EXPECT_EQ(*run("{{ with query \"up\" }}{{ . | first | label \"instance\" }}{{ end }}"), "b");
  EXPECT_EQ(*run("{{ range query \"up\" | sortByLabel \"instance\" }}{{ .Labels.instance }}={{ .Value }} {{ end }}"), "a=1 b=2 ");
  auto err = run("{{ query \"fail\" }}");
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("error calling query: bad query"), std::string::npos);
}

TEST(Template, ParseErrors) {
  CheckParseError("{{ .Foo", "t:1:0: unclosed action");
  CheckParseError("a\n{{ nofunc 1 }}", "t:2:3: function \"nofunc\" not defined");
  CheckParseError("{{ if 1 }}x", "unexpected EOF in if");
  CheckParseError("{{ end }}", "unexpected {{end}}");
  CheckParseError("{{ $x }}", "undefined variable \"$x\"");
  CheckParseError("{{ \"abc }}", "unterminated quoted string");
  CheckParseError("{{ \"a\\'b\" }}", "invalid syntax in quoted string");  // \' only in '...'
  CheckParseError("{{ 'ab' }}", "invalid character constant");
  CheckParseError("{{ }}", "missing value for command");
  CheckParseError("{{ break }}", "{{break}} outside {{range}}");
  CheckParseError("{{ (1 }}", "unclosed left paren");
  CheckParseError("{{ 1 | 2 }}", "non executable command");
  CheckParseError("{{/* x */ }}", "comment ends before closing delimiter");
  CheckParseError("{{ define \"a\" }}{{ define \"b\" }}{{ end }}{{ end }}", "define is only allowed at top level");
  CheckParseError("{{" + std::string(2000, '(') + "1 }}", "nested too deeply");
}

TEST(Template, ExecErrors) {
  CheckExecError("{{ humanize \"abc\" }}", "executing \"t\" at <humanize>: error calling humanize");
  CheckExecError("{{ .Labels.job.x.y }}", "can't evaluate field x in type string");
  CheckExecError("{{ index .Items 10 }}", "index out of range: 10");
  CheckExecError("\n  {{ .Int.Foo }}", "t:2:5:");
  CheckExecError("{{ 1 2 }}", "can't give argument to non-function 1");
  CheckExecError("{{ lt \"a\" 1 }}", "incompatible types for comparison");
  CheckExecError("{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}", "exceeded maximum template depth");
  CheckExecError("{{ template \"none\" }}", "template \"none\" not defined");
  CheckExecError("{{ range .Int.X }}{{ end }}", "can't evaluate field X");
  CheckExecError("{{ range \"s\" }}{{ end }}", "range can't iterate over s");
}

TEST(Template, ConcurrentExecution) {
  auto t = Template::Parse("c", "{{ range .Items }}{{ . | toUpper }}{{ end }}", PrometheusFuncs());
  ASSERT_TRUE(t.ok());
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 200; ++k) good += *t->Execute(Data()) == "ABC";
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 800);
}

}  // namespace
}  // namespace sremon::tmpl
