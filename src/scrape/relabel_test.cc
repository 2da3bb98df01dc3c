// Relabeling cases follow the Prometheus documentation and relabel_test.go semantics.
#include "scrape/relabel.h"

#include <gtest/gtest.h>

#include "scrape/config.h"
#include "scrape/targets.h"

namespace sremon::scrape {
namespace {

std::vector<RelabelConfig> Parse(const std::string& relabel_yaml) {
  auto cfg = ParseConfig("scrape_configs:\n  - job_name: j\n    relabel_configs:\n" + relabel_yaml, "t.yml", true);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  if (!cfg.ok()) return {};
  return cfg->scrape_configs[0].relabel_configs;
}

struct Case {
  const char* name;
  const char* config;  // relabel_configs items, indented by 6
  model::Labels in;
  model::Labels want;  // empty = dropped
};

TEST(RelabelTest, Cases) {
  const Case kCases[] = {
      {"replace defaults", "      - source_labels: [a]\n        target_label: b\n", {{"a", "foo"}}, {{"a", "foo"}, {"b", "foo"}}},
      {"replace groups and separator",
       "      - source_labels: [a, b]\n        regex: \"f(.*);(.*)r\"\n        target_label: c\n        replacement: \"${1}-$2\"\n",
       {{"a", "foo"}, {"b", "bar"}},
       {{"a", "foo"}, {"b", "bar"}, {"c", "oo-ba"}}},
      {"replace default (.*) stops at a newline (Prometheus 2.x)",
       "      - source_labels: [a]\n        target_label: b\n", {{"a", "x\ny"}}, {{"a", "x\ny"}}},
      {"replace anchored: no partial match",
       "      - source_labels: [a]\n        regex: \"o\"\n        target_label: b\n", {{"a", "foo"}}, {{"a", "foo"}}},
      {"replace empty result deletes", "      - source_labels: [missing]\n        target_label: a\n", {{"a", "x"}}, {}},
      {"replace $1x is an unknown name",
       "      - source_labels: [a]\n        regex: \"(.*)\"\n        target_label: b\n        replacement: \"$1x\"\n",
       {{"a", "v"}}, {{"a", "v"}}},
      {"replace $01 is the unknown name \"01\", not group 1 (Go regexp.Expand)",
       "      - source_labels: [a]\n        regex: \"(.*)\"\n        target_label: b\n        replacement: \"x$01\"\n",
       {{"a", "v"}}, {{"a", "v"}, {"b", "x"}}},
      {"replace named group",
       "      - source_labels: [a]\n        regex: \"(?P<host>[^:]+):.*\"\n        target_label: h\n        replacement: \"$host\"\n",
       {{"a", "h1:80"}}, {{"a", "h1:80"}, {"h", "h1"}}},
      {"replace dollar escape",
       "      - source_labels: [a]\n        target_label: b\n        replacement: \"$$1\"\n", {{"a", "v"}}, {{"a", "v"}, {"b", "$1"}}},
      {"replace templated target",
       "      - source_labels: [a]\n        regex: \"(.*)\"\n        target_label: \"x_$1\"\n        replacement: v\n",
       {{"a", "k"}}, {{"a", "k"}, {"x_k", "v"}}},
      {"replace invalid target skipped",
       "      - source_labels: [a]\n        regex: \"(.*)\"\n        target_label: \"$1\"\n", {{"a", "1bad"}}, {{"a", "1bad"}}},
      {"keep match", "      - action: keep\n        source_labels: [a]\n        regex: \"fo+\"\n", {{"a", "foo"}}, {{"a", "foo"}}},
      {"keep no match", "      - action: keep\n        source_labels: [a]\n        regex: \"f\"\n", {{"a", "foo"}}, {}},
      {"drop match", "      - action: drop\n        source_labels: [a]\n        regex: \"foo|bar\"\n", {{"a", "bar"}}, {}},
      {"drop empty source matches empty regex",
       "      - action: drop\n        source_labels: [x]\n        regex: \"\"\n", {{"a", "1"}}, {}},
      {"keepequal", "      - action: keepequal\n        source_labels: [a]\n        target_label: b\n",
       {{"a", "1"}, {"b", "1"}}, {{"a", "1"}, {"b", "1"}}},
      {"keepequal differs", "      - action: keepequal\n        source_labels: [a]\n        target_label: b\n",
       {{"a", "1"}, {"b", "2"}}, {}},
      {"dropequal", "      - action: dropequal\n        source_labels: [a]\n        target_label: b\n",
       {{"a", "1"}, {"b", "1"}}, {}},
      {"labelmap", "      - action: labelmap\n        regex: \"__meta_(.+)\"\n",
       {{"__meta_zone", "z1"}, {"a", "1"}}, {{"__meta_zone", "z1"}, {"a", "1"}, {"zone", "z1"}}},
      {"labeldrop", "      - action: labeldrop\n        regex: \"tmp.*\"\n", {{"tmp1", "x"}, {"tmpa", "y"}, {"a", "1"}},
       {{"a", "1"}}},
      {"labelkeep", "      - action: labelkeep\n        regex: \"a|b\"\n", {{"a", "1"}, {"b", "2"}, {"c", "3"}},
       {{"a", "1"}, {"b", "2"}}},
      {"lowercase", "      - action: lowercase\n        source_labels: [a]\n        target_label: b\n", {{"a", "FoO"}},
       {{"a", "FoO"}, {"b", "foo"}}},
      {"uppercase", "      - action: uppercase\n        source_labels: [a]\n        target_label: b\n", {{"a", "FoO"}},
       {{"a", "FoO"}, {"b", "FOO"}}},
      // md5("foo"): big-endian uint64 of bytes 8..15, mod 1000 = 696 (Prometheus hashmod).
      {"hashmod", "      - action: hashmod\n        source_labels: [a]\n        modulus: 1000\n        target_label: h\n",
       {{"a", "foo"}}, {{"a", "foo"}, {"h", "696"}}},
  };
  for (const Case& c : kCases) {
    auto configs = Parse(c.config);
    model::LabelsBuilder lb(c.in);
    bool kept = Relabel(configs, &lb);
    if (c.want.empty()) {
      EXPECT_TRUE(!kept || lb.Build().empty()) << c.name << ": got " << lb.Build().ToString();
    } else {
      EXPECT_TRUE(kept) << c.name;
      EXPECT_EQ(lb.Build().ToString(), c.want.ToString()) << c.name;
    }
  }
}

TEST(TargetsTest, PopulateLabelsAndUrl) {
  auto cfg = ParseConfig(R"(scrape_configs:
  - job_name: j
    scrape_interval: 10s
    params: {module: [m1]}
    static_configs:
      - targets: ["h1:9100", "drop:1"]
        labels: {env: prod}
    relabel_configs:
      - action: drop
        source_labels: [__address__]
        regex: "drop:.*"
      - source_labels: [__address__]
        target_label: __param_target
      - target_label: __metrics_path__
        replacement: /probe
      - target_label: __tmp_x
        replacement: gone
)",
                         "t.yml", true);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const auto& job = cfg->scrape_configs[0];
  std::vector<Target> active;
  std::vector<model::Labels> dropped;
  BuildTargets(job, TargetGroup{job.static_configs[0].targets, job.static_configs[0].labels, ""}, &active, &dropped);
  ASSERT_EQ(active.size(), 1u);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].Get("__address__"), "drop:1");
  EXPECT_EQ(active[0].url, "http://h1:9100/probe?module=m1&target=h1%3A9100");
  EXPECT_EQ(active[0].labels.ToString(), "{env=\"prod\", instance=\"h1:9100\", job=\"j\"}");
  EXPECT_EQ(active[0].discovered.Get("__scrape_interval__"), "10s");

  // A group's own __metrics_path__ and job win over the job's defaults.
  std::vector<Target> own;
  BuildTargets(job, TargetGroup{{"h2:1"}, model::Labels{{"__metrics_path__", "/m/7"}, {"job", "mine"}}, ""}, &own,
               &dropped);
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].discovered.Get("__metrics_path__"), "/m/7");
  EXPECT_EQ(own[0].labels.Get("job"), "mine");
}

}  // namespace
}  // namespace sremon::scrape
