// The files of the reference layout (prometheus/, grafana/) and the container files: what the
// issue promises about them, checked without the tools (the upstream tools check them too, in
// the foundation_promtool_* / amtool / compose tests).
#include <filesystem>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "testutil/testutil.h"

namespace sremon {
namespace {

std::string Path(const std::string& rel) { return testutil::SourceDir() + "/" + rel; }
YAML::Node Yaml(const std::string& rel) { return YAML::LoadFile(Path(rel)); }

// yaml-cpp does not apply YAML merge keys ("<<: *anchor"), which docker-compose.yml uses.
void ApplyMergeKeys(YAML::Node node) {
  if (node.IsSequence()) {
    for (auto child : node) ApplyMergeKeys(child);
    return;
  }
  if (!node.IsMap()) return;
  if (YAML::Node merged = node["<<"]) {
    for (const auto& kv : merged) {
      if (!node[kv.first.as<std::string>()]) node[kv.first.as<std::string>()] = kv.second;
    }
    node.remove("<<");
  }
  for (auto kv : node) ApplyMergeKeys(kv.second);
}

TEST(ConfigFilesTest, PrometheusScrapesTheAppEvery15sAndEveryServiceOfTheStack) {
  YAML::Node c = Yaml("prometheus/prometheus.yml");
  EXPECT_EQ(c["global"]["scrape_interval"].as<std::string>(), "15s");
  ASSERT_EQ(c["scrape_configs"].size(), 6u);
  YAML::Node job = c["scrape_configs"][0];
  EXPECT_EQ(job["job_name"].as<std::string>(), "sre_app");
  EXPECT_EQ(job["metrics_path"].as<std::string>(), "/metrics");
  EXPECT_EQ(job["static_configs"][0]["targets"][0].as<std::string>(), "localhost:8080");
  // The stack watches itself: a job per service, on its default port (monitoring_rules.yml).
  std::vector<std::pair<std::string, std::string>> want = {{"storage", "localhost:8428"},
                                                           {"rules", "localhost:8880"},
                                                           {"alertmanager", "localhost:9093"},
                                                           {"inbox", "localhost:5001"},
                                                           {"dashboards", "localhost:3000"}};
  for (size_t i = 0; i < want.size(); ++i) {
    YAML::Node j = c["scrape_configs"][i + 1];
    EXPECT_EQ(j["job_name"].as<std::string>(), want[i].first);
    EXPECT_EQ(j["static_configs"][0]["targets"][0].as<std::string>(), want[i].second) << want[i].first;
  }
}

TEST(ConfigFilesTest, AlertRulesAreTheReferenceRules) {
  YAML::Node g = Yaml("prometheus/alert_rules.yml")["groups"][0];
  EXPECT_EQ(g["name"].as<std::string>(), "sre_app_alerts");
  EXPECT_EQ(g["interval"].as<std::string>(), "15s");
  YAML::Node down = g["rules"][0], rate = g["rules"][1];
  EXPECT_EQ(down["alert"].as<std::string>(), "AppDown");
  EXPECT_EQ(down["expr"].as<std::string>(), "up{job=\"sre_app\"} == 0");
  EXPECT_EQ(down["for"].as<std::string>(), "30s");
  EXPECT_EQ(down["labels"]["severity"].as<std::string>(), "critical");
  EXPECT_EQ(rate["alert"].as<std::string>(), "HighRequestRate");
  EXPECT_EQ(rate["expr"].as<std::string>(), "rate(app_requests_total[1m]) > 5");
  EXPECT_EQ(rate["for"].as<std::string>(), "1m");
  EXPECT_EQ(rate["labels"]["severity"].as<std::string>(), "warning");
}

TEST(ConfigFilesTest, AlertmanagerRoutesToTheInboxWebhook) {
  YAML::Node c = Yaml("prometheus/alertmanager.yml");
  EXPECT_EQ(c["route"]["group_wait"].as<std::string>(), "10s");
  EXPECT_EQ(c["route"]["group_interval"].as<std::string>(), "10s");
  EXPECT_EQ(c["route"]["repeat_interval"].as<std::string>(), "1h");
  YAML::Node hook = c["receivers"][0]["webhook_configs"][0];
  EXPECT_EQ(hook["url"].as<std::string>(), "http://localhost:5001/webhook");
  EXPECT_TRUE(hook["send_resolved"].as<bool>());
}

TEST(ConfigFilesTest, GrafanaProvisioningPointsAtTheRepoAndTheStore) {
  YAML::Node ds = Yaml("grafana/provisioning/datasources/datasource.yml")["datasources"][0];
  EXPECT_EQ(ds["type"].as<std::string>(), "prometheus");
  EXPECT_EQ(ds["url"].as<std::string>(), "http://localhost:8428");
  YAML::Node prov = Yaml("grafana/provisioning/dashboards/dashboard.yml")["providers"][0];
  std::string path = prov["options"]["path"].as<std::string>();
  EXPECT_EQ(path, "grafana/provisioning/dashboards");
  EXPECT_TRUE(std::filesystem::exists(Path(path) + "/sre-app.json")) << "the provider finds the dashboard";

  // The dashboard: Grafana 11 JSON model, every panel on the provisioned data source.
  auto d = nlohmann::json::parse(testutil::ReadFile(Path(path + "/sre-app.json")));
  EXPECT_GE(d["schemaVersion"].get<int>(), 39);
  std::map<std::string, nlohmann::json> panels;
  for (const auto& p : d["panels"]) {
    panels[p["title"]] = p;
    EXPECT_EQ(p["datasource"]["uid"], ds["uid"].as<std::string>()) << p["title"];
    EXPECT_TRUE(p.contains("gridPos"));
    for (const auto& t : p["targets"]) EXPECT_EQ(t["datasource"]["uid"], ds["uid"].as<std::string>());
  }
  auto expr = [&](const std::string& title, size_t i = 0) -> std::string {
    return panels.at(title)["targets"][i]["expr"];
  };
  ASSERT_TRUE(panels.count("App Status"));
  EXPECT_EQ(panels["App Status"]["type"], "stat");
  EXPECT_EQ(expr("App Status"), "up{job=\"sre_app\"}");
  auto mapping = panels["App Status"]["fieldConfig"]["defaults"]["mappings"][0]["options"];
  EXPECT_EQ(mapping["1"]["text"], "UP");
  EXPECT_EQ(mapping["0"]["text"], "DOWN");
  EXPECT_EQ(expr("App Uptime"), "time() - process_start_time_seconds{job=\"sre_app\"}");
  EXPECT_EQ(expr("Requests per second"), "rate(app_requests_total[1m])");
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NE(expr("Latency p50 / p95 / p99", i).find("histogram_quantile(0.") , std::string::npos);
    EXPECT_NE(expr("Latency p50 / p95 / p99", i).find("app_request_latency_seconds_bucket"), std::string::npos);
  }
  EXPECT_NE(expr("Error ratio").find("status=~\"5..\""), std::string::npos);
}

TEST(ContainerFilesTest, ComposeProfilesPinnedImagesAndHealthchecks) {
  YAML::Node c = Yaml("docker-compose.yml");
  ApplyMergeKeys(c);
  std::map<std::string, std::string> reference_images = {
      {"victoriametrics", "victoriametrics/victoria-metrics:v1.93.0"},
      {"vmalert", "victoriametrics/vmalert:v1.93.0"},
      {"grafana", "grafana/grafana:11.1.0"},
      {"alertmanager", "prom/alertmanager:v0.27.0"}};
  std::set<std::string> in_reference, in_native;
  for (const auto& kv : c["services"]) {
    std::string name = kv.first.as<std::string>();
    YAML::Node s = kv.second;
    ASSERT_TRUE(s["image"]) << name << " has no image";
    std::string image = s["image"].as<std::string>();
    // Pinned: an explicit tag that is a version, never "latest" or a bare name.
    EXPECT_TRUE(std::regex_match(image, std::regex(R"([a-z0-9./_-]+:v?[0-9]+\.[0-9]+\.[0-9]+)"))) << name << ": " << image;
    ASSERT_TRUE(s["healthcheck"]) << name << " has no healthcheck";
    EXPECT_TRUE(s["healthcheck"]["test"].IsSequence()) << name;
    for (const auto& p : s["profiles"]) {
      std::string profile = p.as<std::string>();
      EXPECT_TRUE(profile == "reference" || profile == "native") << name << ": " << profile;
      (profile == "reference" ? in_reference : in_native).insert(name);
    }
    if (reference_images.count(name)) EXPECT_EQ(image, reference_images[name]);
    if (image.starts_with("sremon:")) EXPECT_TRUE(s["build"]) << name << ": our image is built from the Dockerfile";
  }
  EXPECT_EQ(in_reference, (std::set<std::string>{"app", "victoriametrics", "vmalert", "grafana", "alertmanager"}));
  EXPECT_EQ(in_native, (std::set<std::string>{"app", "storage", "inbox", "sremon-alertmanager", "rules", "dashboards"}));
  EXPECT_EQ(c["services"]["app"]["container_name"].as<std::string>(), "sre_app") << "`docker stop sre_app` drill";
}

TEST(ContainerFilesTest, DockerfileBuildsWithTheScriptsOfUpSh) {
  std::string docker = testutil::ReadFile(Path("Dockerfile"));
  std::string up = testutil::ReadFile(Path("scripts/up.sh"));
  std::regex from(R"(^FROM (\S+))", std::regex::multiline);
  std::vector<std::string> bases;
  for (auto it = std::sregex_iterator(docker.begin(), docker.end(), from); it != std::sregex_iterator(); ++it) {
    bases.push_back((*it)[1]);
  }
  ASSERT_GE(bases.size(), 2u) << "multi-stage";
  for (const auto& b : bases) EXPECT_TRUE(b.starts_with("debian:bookworm")) << b;
  // The same build commands as scripts/up.sh, in both files.
  for (const std::string cmd : {"./scripts/deps.sh build", "./scripts/build.sh sremon"}) {
    EXPECT_NE(up.find(cmd), std::string::npos) << "scripts/up.sh: " << cmd;
    EXPECT_NE(docker.find("RUN " + cmd), std::string::npos) << "Dockerfile: " << cmd;
  }
}

}  // namespace
}  // namespace sremon
