#include "dashboards/provisioning.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "util/time.h"

namespace sremon::dashboards {
namespace {
namespace fs = std::filesystem;

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

struct TempTree {
  fs::path dir = fs::temp_directory_path() / ("sremon_prov_test_" + std::to_string(NowMs()) + "_" + std::to_string(rand()));
  TempTree() { fs::create_directories(dir); }
  ~TempTree() { fs::remove_all(dir); }
};

// The reference's provisioning files, verbatim.
constexpr const char* kRefDatasources = R"(apiVersion: 1

datasources:
  - name: VictoriaMetrics
    type: prometheus
    access: proxy
    url: http://victoriametrics:8428
    isDefault: true
    editable: false)";
constexpr const char* kRefProviders = R"(apiVersion: 1

providers:
  - name: 'SRE Dashboards'
    orgId: 1
    folder: ''
    type: file
    disableDeletion: false
    updateIntervalSeconds: 10
    allowUiUpdates: true
    options:
      path: /etc/grafana/provisioning/dashboards)";

TEST(Provisioning, ReferenceDatasources) {
  auto ds = ParseDatasources(kRefDatasources, "datasource.yml");
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_EQ(ds->size(), 1u);
  const auto& d = (*ds)[0];
  EXPECT_EQ(d.name, "VictoriaMetrics");
  EXPECT_EQ(d.type, "prometheus");
  EXPECT_EQ(d.url, "http://victoriametrics:8428");
  EXPECT_TRUE(d.is_default);
  EXPECT_FALSE(d.uid.empty());
  EXPECT_EQ(d.uid, (*ParseDatasources(kRefDatasources, "again"))[0].uid) << "stable uid across restarts";
}

TEST(Provisioning, ReferenceProviders) {
  auto ps = ParseDashboardProviders(kRefProviders, "dashboard.yml");
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  ASSERT_EQ(ps->size(), 1u);
  EXPECT_EQ((*ps)[0].name, "SRE Dashboards");
  EXPECT_EQ((*ps)[0].folder, "");
  EXPECT_EQ((*ps)[0].update_interval_s, 10);
  EXPECT_TRUE((*ps)[0].allow_ui_updates);
  EXPECT_FALSE((*ps)[0].disable_deletion);
  EXPECT_EQ((*ps)[0].path, "/etc/grafana/provisioning/dashboards");
}

TEST(Provisioning, BadFilesAreErrorsNamingTheFile) {
  auto check_ds = [](const char* yaml, const char* want) {
    auto r = ParseDatasources(yaml, "bad.yml");
    ASSERT_FALSE(r.ok()) << yaml;
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("bad.yml"), std::string::npos);
  };
  check_ds("datasources: [", "cannot parse");
  check_ds("datasources: 3", "must be a list");
  check_ds("datasources:\n  - type: prometheus\n    url: http://x", "without a name");
  check_ds("datasources:\n  - name: x\n    type: prometheus", "has no url");
  check_ds("- a\n- b", "expected a map");
  auto check_p = [](const char* yaml, const char* want) {
    auto r = ParseDashboardProviders(yaml, "bad.yml");
    ASSERT_FALSE(r.ok()) << yaml;
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
  };
  check_p("providers:\n  - name: a\n    type: file\n", "options.path is required");
  check_p("providers:\n  - name: a\n    type: git\n    options: {path: /x}", "unsupported type");
  check_p("providers: {a: 1}", "must be a list");
  check_p("providers:\n  - name: a\n    updateIntervalSeconds: ten\n    options: {path: /x}", "bad.yml");
  EXPECT_TRUE(ParseDatasources("", "empty.yml").ok());
}

TEST(Provisioning, EnvExpansion) {
  setenv("SREMON_PROV_TEST_PORT", "18428", 1);
  EXPECT_EQ(ExpandEnv("http://h:${SREMON_PROV_TEST_PORT}/x"), "http://h:18428/x");
  EXPECT_EQ(ExpandEnv("$SREMON_PROV_TEST_PORT-a"), "18428-a");
  EXPECT_EQ(ExpandEnv("cost $$5"), "cost $5");
  EXPECT_EQ(ExpandEnv("${SREMON_PROV_TEST_UNSET_X}|"), "|");
  EXPECT_EQ(ExpandEnv("end $"), "end $");
  EXPECT_EQ(ExpandEnv("${unterminated"), "${unterminated");
}

TEST(Provisioning, ResolveInputs) {
  auto model = nlohmann::json::parse(R"({
    "__inputs": [{"name": "DS_PROMETHEUS", "type": "datasource", "pluginId": "prometheus"},
                 {"name": "VAR_JOB", "type": "constant", "value": "sre_app"}],
    "__requires": [{"type": "grafana"}],
    "panels": [{"datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
                "targets": [{"expr": "up{job=\"${VAR_JOB}\"}", "datasource": "${DS_PROMETHEUS}"}]},
               {"datasource": "${DS_OTHER}", "targets": [{"expr": "rate(x[$__rate_interval]) * ${scale}"}]},
               {"datasource": "${DS_VAR}"}],
    "templating": {"list": [{"name": "DS_VAR", "type": "datasource"}, {"name": "scale"}]}
  })");
  ResolveInputs(&model, "vm-uid");
  EXPECT_FALSE(model.contains("__inputs"));
  EXPECT_FALSE(model.contains("__requires"));
  EXPECT_EQ(model["panels"][0]["datasource"]["uid"], "vm-uid");
  EXPECT_EQ(model["panels"][0]["targets"][0]["datasource"], "vm-uid");
  EXPECT_EQ(model["panels"][0]["targets"][0]["expr"], "up{job=\"sre_app\"}");
  EXPECT_EQ(model["panels"][1]["datasource"], "vm-uid") << "unknown ${DS_...} falls back to the default";
  EXPECT_EQ(model["panels"][1]["targets"][0]["expr"], "rate(x[$__rate_interval]) * ${scale}") << "variables stay";
  EXPECT_EQ(model["panels"][2]["datasource"], "${DS_VAR}") << "a dashboard variable named DS_ stays";
  auto given = nlohmann::json::parse(R"({"__inputs":[{"name":"DS_X","type":"datasource"}],"a":"${DS_X}"})");
  ResolveInputs(&given, "def", {{"DS_X", "chosen"}});
  EXPECT_EQ(given["a"], "chosen");
}

TEST(Provisioning, LoadSyncRescanAndDelete) {
  TempTree t;
  Write(t.dir / "datasources/ds.yml", kRefDatasources);
  Write(t.dir / "dashboards/dashboard.yml", kRefProviders);
  Write(t.dir / "dashboards/sre.json",
        R"({"uid":"sre","title":"SRE","panels":[{"type":"stat","datasource":"${DS_PROMETHEUS}"}]})");
  Write(t.dir / "dashboards/sub/noid.json", R"({"title":"No uid"})");
  Write(t.dir / "dashboards/broken.json", R"({"title": )");
  auto prov = LoadProvisioning(t.dir.string());
  ASSERT_TRUE(prov.ok()) << prov.status().ToString();
  ASSERT_EQ(prov->providers.size(), 1u);
  EXPECT_EQ(prov->providers[0].path, (t.dir / "dashboards").string()) << "reference container path maps to the dir";
  EXPECT_EQ(prov->datasources[0].id, 1);
  auto store = Store::Open(":memory:").value();
  DashboardProvisioner p(store.get(), prov->providers, prov->datasources[0].uid);
  ASSERT_TRUE(p.SyncOnce().ok());
  auto list = store->ListDashboards();
  ASSERT_EQ(list->size(), 2u) << "the broken file is skipped";
  auto sre = store->DashboardByUid("sre");
  ASSERT_TRUE(sre.ok());
  EXPECT_EQ(sre->provisioner, "SRE Dashboards");
  EXPECT_NE(sre->data.find(prov->datasources[0].uid), std::string::npos);
  ASSERT_TRUE(p.SyncOnce().ok());
  EXPECT_EQ(store->DashboardByUid("sre")->version, 1) << "unchanged files make no new version";
  // An edit of the file shows up at the next scan; a removed file deletes its dashboard.
  Write(t.dir / "dashboards/sre.json", R"({"uid":"sre","title":"SRE v2","panels":[]})");
  fs::last_write_time(t.dir / "dashboards/sre.json", fs::file_time_type::clock::now() + std::chrono::seconds(5));
  fs::remove(t.dir / "dashboards/sub/noid.json");
  ASSERT_TRUE(p.SyncOnce().ok());
  EXPECT_EQ(store->DashboardByUid("sre")->title, "SRE v2");
  EXPECT_EQ(store->DashboardByUid("sre")->version, 2);
  EXPECT_EQ(store->ListDashboards()->size(), 1u);
  // Write-back of a UI save.
  auto d = *store->DashboardByUid("sre");
  ASSERT_TRUE(p.WriteBack(d, nlohmann::json::parse(R"({"uid":"sre","id":4,"version":2,"title":"From UI"})")).ok());
  std::ifstream in(t.dir / "dashboards/sre.json");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("From UI"), std::string::npos);
  EXPECT_EQ(text.find("\"id\""), std::string::npos);
}

TEST(Provisioning, RelativeProviderPathFromTheRepositoryRoot) {
  TempTree t;
  Write(t.dir / "grafana/provisioning/dashboards/dashboard.yml",
        "providers:\n  - name: repo\n    options:\n      path: grafana/provisioning/dashboards\n");
  auto prov = LoadProvisioning((t.dir / "grafana/provisioning").string());
  ASSERT_TRUE(prov.ok()) << prov.status().ToString();
  EXPECT_EQ(fs::path(prov->providers[0].path), t.dir / "grafana/provisioning/dashboards");
}

TEST(Provisioning, MissingDirIsEmptyAndFoldersAreCreated) {
  auto prov = LoadProvisioning("/nonexistent/sremon/provisioning");
  ASSERT_TRUE(prov.ok());
  EXPECT_TRUE(prov->datasources.empty());
  TempTree t;
  Write(t.dir / "d/x.json", R"({"uid":"x","title":"X"})");
  DashboardProvider prov_in_folder{"p", "Ops", "", "file", (t.dir / "d").string(), 10, false, true};
  auto store = Store::Open(":memory:").value();
  DashboardProvisioner p(store.get(), {prov_in_folder}, "");
  ASSERT_TRUE(p.SyncOnce().ok());
  auto folder = store->FolderByTitle("Ops");
  ASSERT_TRUE(folder.ok());
  EXPECT_EQ(store->DashboardByUid("x")->folder_uid, folder->uid);
}

}  // namespace
}  // namespace sremon::dashboards
