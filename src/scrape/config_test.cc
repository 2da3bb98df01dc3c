#include "scrape/config.h"

#include <gtest/gtest.h>

namespace sremon::scrape {
namespace {

TEST(ConfigTest, ReferenceConfigAndAllFields) {
  const char* yaml = R"(global:
  scrape_interval: 15s
  scrape_timeout: 5s
  external_labels:
    dc: eu1
rule_files: [alert_rules.yml]
scrape_configs:
  - job_name: "sre_app"
    metrics_path: /metrics
    static_configs:
      - targets: ["app:8000"]
  - job_name: node
    scrape_interval: 30s
    scrape_timeout: 20s
    metrics_path: /probe
    scheme: http
    params: {module: [http_2xx], x: [a, b]}
    honor_labels: true
    honor_timestamps: false
    basic_auth: {username: u, password: p}
    static_configs:
      - targets: [a:1, b:2]
        labels: {env: prod}
    file_sd_configs:
      - files: [targets/*.json, t.yml]
        refresh_interval: 1m
    relabel_configs:
      - source_labels: [__address__]
        regex: "(.*):.*"
        target_label: host
      - action: hashmod
        source_labels: [__address__]
        modulus: 4
        target_label: shard
    metric_relabel_configs:
      - action: drop
        source_labels: [__name__]
        regex: go_.*
    sample_limit: 1000
    label_limit: 30
)";
  auto cfg = ParseConfig(yaml, "/etc/p/prometheus.yml", true);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->scrape_interval_ms, 15000);
  EXPECT_EQ(cfg->external_labels.Get("dc"), "eu1");
  EXPECT_EQ(cfg->base_dir, "/etc/p");
  ASSERT_EQ(cfg->scrape_configs.size(), 2u);
  const auto& app = cfg->scrape_configs[0];
  EXPECT_EQ(app.scrape_interval_ms, 15000);
  EXPECT_EQ(app.scrape_timeout_ms, 5000);
  EXPECT_TRUE(app.honor_timestamps);
  const auto& node = cfg->scrape_configs[1];
  EXPECT_EQ(node.scrape_interval_ms, 30000);
  EXPECT_EQ(node.scrape_timeout_ms, 20000);
  EXPECT_EQ(node.metrics_path, "/probe");
  EXPECT_EQ(node.params.at("x").size(), 2u);
  EXPECT_TRUE(node.honor_labels);
  EXPECT_FALSE(node.honor_timestamps);
  ASSERT_TRUE(node.basic_auth);
  EXPECT_EQ(node.basic_auth->username, "u");
  EXPECT_EQ(node.static_configs[0].labels.Get("env"), "prod");
  EXPECT_EQ(node.file_sd_configs[0].files.size(), 2u);
  EXPECT_EQ(node.file_sd_configs[0].refresh_interval_ms, 60000);
  EXPECT_EQ(node.relabel_configs.size(), 2u);
  EXPECT_EQ(node.relabel_configs[1].action, RelabelAction::kHashMod);
  EXPECT_EQ(node.metric_relabel_configs[0].action, RelabelAction::kDrop);
  EXPECT_EQ(node.sample_limit, 1000u);
  EXPECT_EQ(node.label_limit, 30u);
}

TEST(ConfigTest, ShortIntervalClampsDefaultTimeout) {
  auto cfg = ParseConfig("scrape_configs:\n  - job_name: a\n    scrape_interval: 2s\n", "p.yml", true);
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->scrape_configs[0].scrape_timeout_ms, 2000);
}

TEST(ConfigTest, Errors) {
  auto check = [](const std::string& yaml, bool strict, const std::string& want) {
    auto cfg = ParseConfig(yaml, "p.yml", strict);
    if (want.empty()) {
      EXPECT_TRUE(cfg.ok()) << yaml << ": " << cfg.status().ToString();
      return;
    }
    ASSERT_FALSE(cfg.ok()) << yaml;
    EXPECT_NE(cfg.status().message().find(want), std::string::npos) << "got: " << cfg.status().message();
  };
  check("scrape_configs:\n  - job_name: a\n    scrape_intervall: 1s\n", true,
        "p.yml:3: scrape_configs[0]: unknown field \"scrape_intervall\"");
  check("scrape_configs:\n  - job_name: a\n    scrape_intervall: 1s\n", false, "");
  check("scrape_configs:\n  - job_name: a\n    oauth2: {}\n", true, "unknown field \"oauth2\"");
  check("scrape_configs:\n  - job_name: a\n    tls_config: {min_version: TLS13}\n", true,
        "tls_config: unknown field \"min_version\"");
  check("scrape_configs:\n  - job_name: a\n    tls_config: {cert_file: c.pem}\n", true,
        "cert_file and key_file must be given together");
  check("global:\n  scrape_interval: 1x\n", true, "p.yml:2: global: scrape_interval");
  check("scrape_configs:\n  - job_name: a\n  - job_name: a\n", true, "p.yml:3: found multiple scrape configs");
  check("scrape_configs:\n  - metrics_path: /x\n", true, "p.yml:2: scrape_configs[0]: job_name is missing");
  check("scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 10s\n", true,
        "p.yml:4: scrape_configs \"a\": scrape_timeout 10s is greater than scrape_interval 5s");
  check("scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - regex: \"(\"\n", true,
        "p.yml:4: scrape_configs \"a\": relabel_configs[0]: invalid regex");
  check("scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: bogus\n", true,
        "p.yml:4: scrape_configs \"a\": relabel_configs[0]: unknown relabel action \"bogus\"");
  check("scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: hashmod\n        target_label: x\n",
        true, "requires non-zero modulus");
  check("scrape_configs:\n  - job_name: a\n    honor_labels: maybe\n", true, "p.yml:3: scrape_configs \"a\": honor_labels");
  check("scrape_configs:\n  - job_name: a\n    static_configs:\n      - labels: {1x: y}\n", true,
        "invalid label name \"1x\"");
  check("scrape_configs: [\n", true, "p.yml:");
  check("", true, "");
}

TEST(ConfigTest, LoadMissingFile) {
  auto cfg = LoadConfig("/nonexistent/prometheus.yml", true);
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("/nonexistent/prometheus.yml"), std::string::npos);
}

}  // namespace
}  // namespace sremon::scrape
