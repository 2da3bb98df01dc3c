// Unit tests: matchers, config errors with lines, time intervals, fingerprint, merge, routing,
// the webhook payload and templates (the journal: journal_test.cc).
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "alertmanager/alert.h"
#include "alertmanager/config.h"
#include "alertmanager/matchers.h"
#include "alertmanager/notify.h"
#include "alertmanager/route.h"
#include "alertmanager/silences.h"
#include "alertmanager/templates.h"
#include "alertmanager/timeinterval.h"
#include <yaml-cpp/yaml.h>
#include "util/time.h"

namespace sremon::alertmanager {
namespace {

TEST(Fingerprint, MatchesUpstream) {
  EXPECT_EQ(FingerprintString(Fingerprint(model::Labels{})), "cbf29ce484222325");
  // Value computed with Alertmanager's model.LabelSet.Fingerprint (see docs in ALERTMANAGER.md).
  EXPECT_EQ(FingerprintString(Fingerprint(model::Labels{{"a", "b"}, {"alertname", "X"}})), "c4fa8262820e0e19");
}

TEST(Matchers, ParseLikeUpstream) {
  auto check = [](std::string_view in, std::string_view want) {
    auto ms = ParseMatchers(in);
    if (want.substr(0, 6) == "error:") {
      ASSERT_FALSE(ms.ok()) << in;
      EXPECT_NE(ms.status().message().find(want.substr(6)), std::string::npos) << ms.status().message();
      return;
    }
    ASSERT_TRUE(ms.ok()) << in << ": " << ms.status().message();
    EXPECT_EQ(MatchersString(*ms), want) << in;
  };
  check("foo=bar", R"({foo="bar"})");
  check(R"({foo="bar", baz=~"a|b"})", R"({foo="bar",baz=~"a|b"})");
  check(R"(foo!="bar,baz",x!~y)", R"({foo!="bar,baz",x!~"y"})");
  check(R"(a="with \"quote\"")", R"({a="with \"quote\""})");
  check(R"(a="x\ny")", R"({a="x\ny"})");
  check("a=", R"({a=""})");
  check("foo", "error:bad matcher format: foo");
  check(R"(a="b)", "error:unescaped double quote");
  check(R"(a=b"c)", "error:unescaped double quote");
  check("a=~(", "error:");
}

TEST(Config, ErrorsNameFileAndLine) {
  auto check = [](const std::string& yaml, const std::string& want) {
    auto c = ParseConfig(yaml, "am.yml");
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_EQ(c.status().message(), want);
  };
  check("route:\n  receiver: a\nreceivers:\n- name: b\n", "am.yml:2: undefined receiver \"a\" used in route");
  check("route:\n  receiver: a\n  foo: 1\nreceivers:\n- name: a\n", "am.yml:3: field foo not found in type config.plain");
  check("route:\n  receiver: a\n  group_wait: x\nreceivers:\n- name: a\n", "am.yml:3: not a valid duration string: \"x\"");
  check("", "am.yml: no route provided in config");
  // Regression (fuzzer): a non-UTF-8 byte once reached an fmt quoting path that aborts.
  check("route:\n  receiver: \xc9\nreceivers:\n  - name: x\n", "am.yml: yaml: invalid leading UTF-8 octet");
}

TEST(Config, InheritanceAndKeys) {
  auto c = ParseConfig(R"(
route:
  receiver: r
  group_by: [a]
  group_wait: 1s
  routes:
  - matchers: ['x="1"', 'b=~"c"']
    group_interval: 2s
    routes:
    - match: {y: "2"}
      receiver: s
      group_by: ['...']
receivers: [{name: r}, {name: s}]
)",
                       "t.yml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto root = Route::Build((*c)->route);
  auto m = root->Match(model::Labels{{"x", "1"}, {"b", "c"}, {"y", "2"}, {"a", "v"}});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]->key(), R"({}/{b=~"c",x="1"}/{y="2"})");
  EXPECT_EQ(m[0]->opts().receiver, "s");
  EXPECT_EQ(m[0]->opts().group_wait, 1000);
  EXPECT_EQ(m[0]->opts().group_interval, 2000);
  EXPECT_EQ(m[0]->opts().repeat_interval, 4 * 3600000);
  EXPECT_TRUE(m[0]->opts().group_by_all);
  auto m2 = root->Match(model::Labels{{"x", "1"}, {"b", "c"}, {"a", "v"}});
  ASSERT_EQ(m2.size(), 1u);
  EXPECT_EQ(m2[0]->opts().receiver, "r");
  EXPECT_EQ(LabelSetString(m2[0]->GroupLabels(model::Labels{{"a", "v"}, {"z", "q"}})), R"({a="v"})");
  EXPECT_EQ(root->Match(model::Labels{{"q", "1"}})[0], root.get());
}

TEST(TimeInterval, Contains) {
  auto parse = [](const std::string& y) { return ParseTimeInterval(YAML::Load(y)); };
  auto ti = parse("{times: [{start_time: '09:00', end_time: '17:00'}], weekdays: ['monday:friday']}");
  ASSERT_TRUE(ti.ok()) << ti.status().message();
  auto t = [](const char* s) { return *ParseRfc3339(s); };
  EXPECT_TRUE(ti->ContainsTime(t("2024-01-03T10:00:00Z")));   // Wednesday
  EXPECT_FALSE(ti->ContainsTime(t("2024-01-03T17:00:00Z")));  // end is exclusive
  EXPECT_FALSE(ti->ContainsTime(t("2024-01-06T10:00:00Z")));  // Saturday
  auto last = parse("{days_of_month: ['-1'], months: ['february']}");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->ContainsTime(t("2024-02-29T12:00:00Z")));
  EXPECT_FALSE(last->ContainsTime(t("2024-02-28T12:00:00Z")));
  EXPECT_FALSE(parse("{weekdays: ['funday']}").ok());
  EXPECT_FALSE(parse("{location: 'Mars/Base'}").ok());
}

TEST(Merge, LatestExplicitEndWins) {
  int64_t now = NowMs();
  Alert a{model::Labels{{"a", "b"}}, {}, "", now - 10000, now - 3000, now - 100, false};
  Alert b{model::Labels{{"a", "b"}}, {}, "", now - 5000, now - 4000, now, false};
  Alert m = MergeAlerts(a, b);
  EXPECT_EQ(m.starts_at, now - 10000);
  EXPECT_EQ(m.ends_at, now - 3000);
  Alert firing{model::Labels{{"a", "b"}}, {}, "", now, now + 300000, now + 1, true};
  EXPECT_EQ(MergeAlerts(a, firing).ends_at, now + 300000);
}

TEST(Webhook, PayloadShape) {
  NotifyData d;
  d.receiver = "team.x";
  d.group_key = "{}:{alertname=\"A\"}";
  d.group_labels = model::Labels{{"alertname", "A"}};
  d.now = NowMs();
  d.external_url = "http://am";
  d.alerts.push_back({model::Labels{{"alertname", "A"}, {"job", "j"}}, {{"s", "x"}}, "http://gen", 1000, 0, 0, false});
  d.alerts.push_back({model::Labels{{"alertname", "A"}, {"job", "k"}}, {{"s", "x"}}, "", 2000, 3000, 0, false});
  auto j = nlohmann::ordered_json::parse(WebhookPayload(d, 0));
  EXPECT_EQ(j.dump(),
            R"({"receiver":"team\\.x","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A","job":"j"},)"
            R"("annotations":{"s":"x"},"startsAt":"1970-01-01T00:00:01Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://gen",)"
            R"("fingerprint":")" + FingerprintString(d.alerts[0].Fingerprint()) +
                R"("},{"status":"resolved","labels":{"alertname":"A","job":"k"},"annotations":{"s":"x"},"startsAt":"1970-01-01T00:00:02Z",)"
                R"("endsAt":"1970-01-01T00:00:03Z","generatorURL":"","fingerprint":")" +
                FingerprintString(d.alerts[1].Fingerprint()) +
                R"("}],"groupLabels":{"alertname":"A"},"commonLabels":{"alertname":"A"},"commonAnnotations":{"s":"x"},)"
                R"("externalURL":"http://am","version":"4","groupKey":"{}:{alertname=\"A\"}","truncatedAlerts":0})");
  EXPECT_EQ(nlohmann::json::parse(WebhookPayload(d, 1))["truncatedAlerts"], 1);
  EXPECT_EQ(FormatGoTime(1500), "1970-01-01T00:00:01.5Z");
}

// A Slack receiver's title, text and color rendered for d: its text is `text` (a YAML
// single-quoted string), the others upstream's defaults.
struct SlackMessage {
  std::string title, text, color;
};
SlackMessage RenderSlack(std::string_view text, const NotifyData& d) {
  auto c = ParseConfig(fmt::format("route: {{receiver: r}}\nreceivers:\n- name: r\n  slack_configs:\n"
                                   "  - api_url: http://x/\n    text: '{}'\n",
                                   text),
                       "t.yml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  if (!c.ok()) return {};
  auto fn = BuildTemplates(**c);
  EXPECT_TRUE(fn.ok()) << fn.status().message();
  if (!fn.ok()) return {};
  auto render = [&](const std::string& tmpl) {
    auto r = (*fn)(tmpl, d);
    EXPECT_TRUE(r.ok()) << tmpl << ": " << r.status().message();
    return r.ok() ? *r : "";
  };
  const auto& slack = (*c)->receivers[0].slacks[0];
  return {render(slack.title), render(slack.text), render(slack.color)};
}

TEST(Templates, DefaultSubjectAndCustom) {
  NotifyData d;
  d.receiver = "r";
  d.now = NowMs();
  d.group_labels = model::Labels{{"alertname", "A"}};
  d.alerts.push_back({model::Labels{{"alertname", "A"}, {"job", "j"}}, {{"summary", "s1"}}, "", 1000, 0, 0, false});
  SlackMessage m = RenderSlack(
      R"({{ range .Alerts.Firing }}{{ .Labels.alertname }}={{ .Annotations.summary }};{{ end }})"
      R"({{ .CommonLabels.Names | join "," }})",
      d);
  EXPECT_EQ(m.title, "[FIRING:1] A (j)");
  EXPECT_EQ(m.text, "A=s1;alertname,job");
  EXPECT_EQ(m.color, "danger");
}

// The Go methods templates reach as fields: Alerts.Firing/Resolved, KV.SortedPairs/Names/Values/
// Remove, Pairs.Names/Values (upstream template.Data).
TEST(Templates, MethodsOfAlertsKvAndPairs) {
  NotifyData d;
  d.receiver = "r";
  d.now = NowMs();
  d.alerts.push_back({model::Labels{{"alertname", "A"}, {"job", "j"}, {"x", "1"}}, {}, "", 1000, 0, 0, false});
  d.alerts.push_back({model::Labels{{"alertname", "A"}, {"job", "j"}, {"x", "2"}}, {}, "", 1000, 2000, 0, false});
  d.alerts.push_back({model::Labels{{"alertname", "A"}, {"job", "j"}, {"x", "3"}}, {}, "", 1000, 0, 0, false});
  SlackMessage m = RenderSlack(
      "{{ len .Alerts.Firing }}/{{ len .Alerts.Resolved }} "
      "{{ range .CommonLabels.SortedPairs }}{{ .Name }}={{ .Value }};{{ end }} "
      "{{ .CommonLabels.Names | join \",\" }} {{ .CommonLabels.Values | join \",\" }} "
      "{{ (.CommonLabels.Remove (stringSlice \"job\")).Names | join \",\" }} "
      "{{ .CommonLabels.SortedPairs.Names | join \",\" }} "
      "{{ .CommonLabels.SortedPairs.Values | join \",\" }}",
      d);
  EXPECT_EQ(m.text, "2/1 alertname=A;job=j; alertname,job A,j alertname alertname,job A,j");
}

// --silences.max-silences: upstream v0.28's count (expired silences included); an update in place
// needs no room, a replacing one does, and the error says both numbers.
TEST(Silences, MaxSilences) {
  Silences silences;
  ASSERT_TRUE(silences.Open("", 3600 * 1000).ok());
  silences.SetMaxSilences(2);
  int64_t now = NowMs();
  auto make = [&](const std::string& value) {
    Silence s;
    s.matchers = {*ParseMatcher("alertname=" + value)};
    s.starts_at = now;
    s.ends_at = now + 3600 * 1000;
    s.created_by = "t";
    s.comment = "c";
    return s;
  };
  auto a = silences.Set(make("A"));
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(silences.Set(make("B")).ok());
  auto third = silences.Set(make("C"));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(third.status().message(), "exceeded maximum number of silences: 2 (limit: 2)");
  // Same matchers and start, a later end: updated in place, no room needed.
  auto longer = silences.Get(*a);
  ASSERT_TRUE(longer.ok());
  longer->ends_at += 3600 * 1000;
  auto same = silences.Set(*longer);
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_EQ(*same, *a);
  // Other matchers: a new silence replaces A, which would stay expired: refused.
  Silence changed = *longer;
  changed.matchers = {*ParseMatcher("alertname=Z")};
  EXPECT_FALSE(silences.Set(changed).ok());
  // An expired silence still counts until retention drops it.
  ASSERT_TRUE(silences.Expire(*a).ok());
  EXPECT_FALSE(silences.Set(make("C")).ok());
  silences.SetMaxSilences(0);
  EXPECT_TRUE(silences.Set(make("C")).ok());
}

}  // namespace
}  // namespace sremon::alertmanager
