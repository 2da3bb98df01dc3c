// Behaviours where sremon differed from Prometheus 2.42, VictoriaMetrics 1.79, vmalert and
// Alertmanager 0.25 (issue 13, section 4), each checked against the real upstream program Debian
// ships, side by side with ours on the same input. A test is skipped when its program is absent.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <csignal>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "api/vmalert_proxy.h"
#include "http/http.h"
#include "testutil/probes.h"
#include "testutil/testutil.h"

namespace sremon {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testutil::Child;

std::string Base(int port) { return "http://127.0.0.1:" + std::to_string(port); }
std::string Listen(int port) { return "127.0.0.1:" + std::to_string(port); }

// Runs processes in a temporary directory; prints their logs when the test failed.
class CompatTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!HasFailure()) return;
    for (const auto& name : names_) {
      std::string log = testutil::ReadFile(dir_.File(name + ".log"));
      std::cerr << "---- " << name << " log (tail)\n" << (log.size() > 3000 ? log.substr(log.size() - 3000) : log);
    }
  }

  Child* Start(const std::string& name, std::vector<std::string> argv, const std::string& health) {
    names_.push_back(name);
    children_.push_back(std::make_unique<Child>(std::move(argv), dir_.File(name + ".log")));
    EXPECT_TRUE(testutil::WaitHttpOk(health, 20s)) << name << " did not become healthy";
    return children_.back().get();
  }

  static bool Eventually(std::chrono::seconds timeout, const std::function<bool()>& pred) {
    return testutil::Poll(timeout, pred);
  }

  testutil::TempDir dir_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Child>> children_;
};

// The label sets /api/v1/series answers, as sorted JSON strings.
std::set<std::string> SeriesOf(const std::string& base, const std::string& match) {
  std::set<std::string> out;
  json j = testutil::GetJson(base + "/api/v1/series?match%5B%5D=" + http::UrlEncode(match));
  if (!j.is_object() || !j.contains("data")) return out;
  for (const auto& s : j["data"]) out.insert(s.dump());
  return out;
}

// A YAML document as JSON, so that two documents compare by content whatever their style.
json YamlJson(const YAML::Node& n) {
  if (n.IsMap()) {
    json j = json::object();
    for (const auto& kv : n) j[kv.first.as<std::string>()] = YamlJson(kv.second);
    return j;
  }
  if (n.IsSequence()) {
    json j = json::array();
    for (const auto& item : n) j.push_back(YamlJson(item));
    return j;
  }
  return n.IsScalar() ? json(n.as<std::string>()) : json();
}

// Pushgateway exposes a group pushed without an instance as instance="": with honor_labels the
// empty label wins, so the series has no instance (Prometheus 2.42, VictoriaMetrics).
TEST_F(CompatTest, HonorLabelsDropsEmptyInstanceFromPushgateway) {
  if (!testutil::Installed("prometheus-pushgateway") || !testutil::Installed("prometheus")) GTEST_SKIP() << "pushgateway/prometheus absent";
  int pg = testutil::FreePort(), ours = testutil::FreePort(), prom = testutil::FreePort();
  Start("pushgateway", {"/usr/bin/prometheus-pushgateway", "--web.listen-address=" + Listen(pg)}, Base(pg) + "/-/ready");
  auto pushed = http::Post(Base(pg) + "/metrics/job/batch", "batch_last_success 1700000000\n", "text/plain");
  ASSERT_TRUE(pushed.ok() && pushed->status / 100 == 2) << (pushed.ok() ? pushed->body : pushed.status().ToString());
  testutil::WriteFile(dir_.File("scrape.yml"), "global:\n  scrape_interval: 1s\nscrape_configs:\n"
                                                   "  - job_name: pushgateway\n    honor_labels: true\n"
                                                   "    static_configs:\n      - targets: ['" + Listen(pg) + "']\n");
  Start("storage", {testutil::SremonBin(), "storage", "-httpListenAddr=" + Listen(ours), "-storageDataPath=" + dir_.File("s"),
                    "-promscrape.config=" + dir_.File("scrape.yml")}, Base(ours) + "/health");
  Start("prometheus", {"/usr/bin/prometheus", "--config.file=" + dir_.File("scrape.yml"), "--storage.tsdb.path=" + dir_.File("p"),
                       "--web.listen-address=" + Listen(prom)}, Base(prom) + "/-/ready");
  std::set<std::string> theirs, mine;
  ASSERT_TRUE(Eventually(30s, [&] {
    theirs = SeriesOf(Base(prom), "batch_last_success");
    mine = SeriesOf(Base(ours), "batch_last_success");
    return !theirs.empty() && !mine.empty();
  })) << "no batch_last_success series yet";
  EXPECT_EQ(mine, theirs);
  EXPECT_EQ(mine, (std::set<std::string>{R"({"__name__":"batch_last_success","job":"batch"})"}));
}

TEST(VmalertTargetTest, EncodesThePathAndRefusesControlBytes) {
  auto ok = api::VmalertTarget("http://r:8880/", "/vmalert/api/v1/rules", "type=alert");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "http://r:8880/vmalert/api/v1/rules?type=alert");
  auto crlf = api::VmalertTarget("http://r:8880", "/vmalert/a\r\nHost: x/ b", "");
  ASSERT_TRUE(crlf.ok());
  EXPECT_EQ(*crlf, "http://r:8880/vmalert/a%0D%0AHost%3A%20x/%20b");
  EXPECT_FALSE(api::VmalertTarget("http://r:8880", "/vmalert/../admin", "").ok());
  EXPECT_FALSE(api::VmalertTarget("http://r:8880", "/vmalert/x", "a=\x01").ok());
}

// /api/v1/rules, /api/v1/alerts and /vmalert/... on the storage: proxied to the rules service
// with -vmalert.proxyURL; without it the answers of VictoriaMetrics 1.79 itself.
TEST_F(CompatTest, StorageServesRulesAlertsAndConfigAsVictoriaMetrics) {
  if (!testutil::Installed("victoria-metrics")) GTEST_SKIP() << "victoria-metrics absent";
  int vm = testutil::FreePort(), bare = testutil::FreePort(), proxied = testutil::FreePort(), rules = testutil::FreePort();
  testutil::WriteFile(dir_.File("scrape.yml"), "scrape_configs:\n  - job_name: x\n    static_configs:\n"
                                               "      - targets: ['127.0.0.1:1']\n");
  testutil::WriteFile(dir_.File("rules.yml"), "groups:\n  - name: g\n    interval: 1s\n    rules:\n"
                                              "      - alert: Always\n        expr: vector(1)\n");
  Start("vm", {"/usr/bin/victoria-metrics", "-httpListenAddr=" + Listen(vm), "-storageDataPath=" + dir_.File("vm"),
               "-promscrape.config=" + dir_.File("scrape.yml")}, Base(vm) + "/health");
  Start("bare", {testutil::SremonBin(), "storage", "-httpListenAddr=" + Listen(bare), "-storageDataPath=" + dir_.File("b"),
                 "-promscrape.config=" + dir_.File("scrape.yml")}, Base(bare) + "/health");
  Start("rules", {testutil::SremonBin(), "rules", "-httpListenAddr=" + Listen(rules), "-rule=" + dir_.File("rules.yml"),
                  "-datasource.url=" + Base(bare), "-evaluationInterval=1s"}, Base(rules) + "/health");
  Start("proxied", {testutil::SremonBin(), "storage", "-httpListenAddr=" + Listen(proxied), "-storageDataPath=" + dir_.File("p"),
                    "-vmalert.proxyURL=" + Base(rules)}, Base(proxied) + "/health");

  // Without a proxy URL: byte for byte what VictoriaMetrics answers.
  for (const char* path : {"/api/v1/rules", "/api/v1/alerts", "/prometheus/api/v1/rules", "/vmalert/api/v1/rules"}) {
    auto theirs = http::Get(Base(vm) + path);
    auto mine = http::Get(Base(bare) + path);
    ASSERT_TRUE(theirs.ok() && mine.ok()) << path;
    EXPECT_EQ(mine->status, theirs->status) << path;
    EXPECT_EQ(mine->body, theirs->body) << path;
  }
  // The scrape config: the same YAML document as VictoriaMetrics serves.
  json theirs = testutil::GetJson(Base(vm) + "/api/v1/status/config");
  json mine = testutil::GetJson(Base(bare) + "/api/v1/status/config");
  ASSERT_EQ(mine.value("status", ""), "success") << mine;
  EXPECT_EQ(YamlJson(YAML::Load(mine["data"]["yaml"].get<std::string>())),
            YamlJson(YAML::Load(theirs["data"]["yaml"].get<std::string>())));

  // With the proxy URL: the rules service's own answers.
  ASSERT_TRUE(Eventually(20s, [&] { return testutil::RuleAlertState(Base(rules), "Always") == "firing"; }));
  for (const char* path : {"/api/v1/rules", "/api/v1/alerts", "/vmalert/api/v1/rules", "/prometheus/api/v1/alerts"}) {
    std::string direct = std::string(path).starts_with("/prometheus") ? std::string(path).substr(11) : path;
    json via = testutil::GetJson(Base(proxied) + path);
    json from_rules = testutil::GetJson(Base(rules) + direct);
    ASSERT_EQ(via.value("status", ""), "success") << path << ": " << via;
    EXPECT_NE(via.dump().find("Always"), std::string::npos) << path << ": " << via;
    EXPECT_EQ(via["data"].size(), from_rules["data"].size()) << path;
  }
  auto odd = http::Get(Base(proxied) + "/vmalert/x%0D%0AInjected:%201");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->headers.Get("Injected"), "");
}

// Metadata Prometheus sends over remote_write is answered by /api/v1/metadata.
TEST_F(CompatTest, RemoteWriteMetadataFromPrometheusIsKept) {
  if (!testutil::Installed("prometheus")) GTEST_SKIP() << "prometheus absent";
  int ours = testutil::FreePort(), prom = testutil::FreePort();
  Start("storage", {testutil::SremonBin(), "storage", "-httpListenAddr=" + Listen(ours), "-storageDataPath=" + dir_.File("s")},
        Base(ours) + "/health");
  testutil::WriteFile(dir_.File("prometheus.yml"),
                      "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n"
                      "      - targets: ['" + Listen(prom) + "']\nremote_write:\n  - url: " + Base(ours) +
                          "/api/v1/write\n    metadata_config:\n      send_interval: 1s\n");
  Start("prometheus", {"/usr/bin/prometheus", "--config.file=" + dir_.File("prometheus.yml"),
                       "--storage.tsdb.path=" + dir_.File("p"), "--web.listen-address=" + Listen(prom)},
        Base(prom) + "/-/ready");
  json theirs, mine;
  ASSERT_TRUE(Eventually(40s, [&] {
    theirs = testutil::GetJson(Base(prom) + "/api/v1/metadata");
    mine = testutil::GetJson(Base(ours) + "/api/v1/metadata");
    return theirs.is_object() && mine.is_object() && theirs["data"].size() > 50 &&
           mine["data"].size() >= theirs["data"].size();
  })) << "ours: " << (mine.is_object() ? mine["data"].size() : 0)
      << " families, Prometheus: " << (theirs.is_object() ? theirs["data"].size() : 0);
  int compared = 0;
  for (const auto& [family, entries] : theirs["data"].items()) {
    ASSERT_TRUE(mine["data"].contains(family)) << family;
    EXPECT_EQ(mine["data"][family][0]["type"], entries[0]["type"]) << family;
    EXPECT_EQ(mine["data"][family][0]["help"], entries[0]["help"]) << family;
    ++compared;
  }
  std::cerr << "metadata of " << compared << " families compared\n";
}

// Two rulers with different -external.label write to one storage: each one's ALERTS and
// ALERTS_FOR_STATE carry its label (as vmalert's do), and a restarted ruler restores only its own
// state.
TEST_F(CompatTest, RulersLabelTheirSeriesAndRestoreOnlyTheirOwnState) {
  int storage = testutil::FreePort(), r1 = testutil::FreePort(), r2 = testutil::FreePort(), va = testutil::FreePort();
  testutil::WriteFile(dir_.File("rules.yml"), "groups:\n  - name: g\n    interval: 1s\n    rules:\n"
                                              "      - record: rec_one\n        expr: vector(1)\n"
                                              "      - alert: Slow\n        expr: vector(1)\n        for: 1h\n");
  Start("storage", {testutil::SremonBin(), "storage", "-httpListenAddr=" + Listen(storage), "-storageDataPath=" + dir_.File("s"),
                    "-search.maxStalenessInterval=1m"}, Base(storage) + "/health");
  auto ruler = [&](const std::string& name, int port) {
    return std::vector<std::string>{testutil::SremonBin(), "rules", "-httpListenAddr=" + Listen(port),
                                    "-rule=" + dir_.File("rules.yml"), "-datasource.url=" + Base(storage),
                                    "-remoteWrite.url=" + Base(storage), "-remoteRead.url=" + Base(storage),
                                    "-evaluationInterval=1s", "-external.label=ruler=" + name,
                                    "-remoteWrite.flushInterval=100ms"};
  };
  // To the second: ALERTS_FOR_STATE keeps whole seconds, so a restored activeAt has no more.
  auto active_at = [&](int port) -> std::string {
    json j = testutil::GetJson(Base(port) + "/api/v1/alerts");
    if (!j.is_object() || j["data"]["alerts"].empty()) return "";
    return j["data"]["alerts"][0].value("activeAt", "").substr(0, 19);
  };
  Child* first = Start("r1", ruler("r1", r1), Base(r1) + "/health");
  ASSERT_TRUE(Eventually(20s, [&] { return !SeriesOf(Base(storage), "ALERTS_FOR_STATE{ruler=\"r1\"}").empty(); }))
      << "r1 wrote no ALERTS_FOR_STATE with its label";
  std::string r1_active = active_at(r1);
  std::this_thread::sleep_for(2s);  // r2's alert starts later: its active time differs
  Start("r2", ruler("r2", r2), Base(r2) + "/health");
  ASSERT_TRUE(Eventually(20s, [&] { return !SeriesOf(Base(storage), "ALERTS_FOR_STATE{ruler=\"r2\"}").empty(); }));
  EXPECT_NE(active_at(r2), r1_active);
  for (const char* m : {"ALERTS", "rec_one"}) {
    EXPECT_FALSE(SeriesOf(Base(storage), std::string(m) + "{ruler=\"r1\"}").empty()) << m;
    EXPECT_FALSE(SeriesOf(Base(storage), std::string(m) + "{ruler=\"r2\"}").empty()) << m;
    EXPECT_TRUE(SeriesOf(Base(storage), std::string(m) + "{ruler=\"\"}").empty()) << m << " without a ruler label";
  }

  // The same rules on vmalert label the same series names the same way.
  if (testutil::Installed("vmalert")) {
    Start("vmalert", {"/usr/bin/vmalert", "-httpListenAddr=" + Listen(va), "-rule=" + dir_.File("rules.yml"),
                      "-datasource.url=" + Base(storage), "-remoteWrite.url=" + Base(storage),
                      "-evaluationInterval=1s", "-external.label=ruler=vm", "-notifier.url=http://127.0.0.1:1"},
          Base(va) + "/health");
    for (const char* m : {"ALERTS", "ALERTS_FOR_STATE", "rec_one"}) {
      EXPECT_TRUE(Eventually(20s, [&] { return !SeriesOf(Base(storage), std::string(m) + "{ruler=\"vm\"}").empty(); }))
          << "vmalert wrote no " << m << " with its label";
    }
  }

  first->Stop(SIGTERM);
  Start("r1-again", ruler("r1", r1), Base(r1) + "/health");
  ASSERT_TRUE(Eventually(10s, [&] { return !active_at(r1).empty(); }));
  EXPECT_EQ(active_at(r1), r1_active) << "r1 restored another ruler's state";
  std::string log = testutil::ReadFile(dir_.File("r1-again.log"));
  EXPECT_NE(log.find("restored the `for` state of 1 alert(s)"), std::string::npos) << log;
}

// `amtool config show` prints the loaded config with every default filled in: the same bytes
// from our alertmanager as from Debian's.
TEST_F(CompatTest, AmtoolConfigShowMatchesAlertmanager) {
  if (!testutil::Installed("amtool") || !testutil::Installed("prometheus-alertmanager")) GTEST_SKIP() << "alertmanager/amtool absent";
  const std::string config = R"(global:
  resolve_timeout: 2m
  smtp_from: am@example.org
  smtp_smarthost: smtp.example.org:587
  smtp_auth_username: am
  smtp_auth_password: hunter2
  slack_api_url: https://hooks.slack.com/services/X
route:
  receiver: default
  group_by: [alertname, job]
  group_wait: 10s
  routes:
    - receiver: mail
      matchers: ['severity="critical"', 'team=~"a|b"']
      continue: true
      group_by: ['...']
      mute_time_intervals: [nights]
    - receiver: chat
      match:
        team: c
      match_re:
        service: ^(x|y)$
      repeat_interval: 2h
      active_time_intervals: [nights]
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [alertname]
receivers:
  - name: default
    webhook_configs:
      - url: http://localhost:5001/webhook
        max_alerts: 3
        http_config:
          basic_auth: {username: u, password: p}
  - name: mail
    email_configs:
      - to: ops@example.org
        headers: {Subject: 'hi {{ .Status }}'}
  - name: chat
    slack_configs:
      - channel: '#ops'
        send_resolved: true
        title: 'T'
time_intervals:
  - name: nights
    time_intervals:
      - times: [{start_time: '22:00', end_time: '24:00'}]
        weekdays: ['monday:friday', sunday]
        days_of_month: ['1:5', '-1']
        months: ['january', 'may:june']
        years: ['2024:2026']
        location: 'UTC'
templates: [')" + dir_.File("tmpl") + R"(/*.tmpl']
)";
  for (const std::string& which : {std::string("stack"), std::string("full")}) {
    std::string file = dir_.File(which + ".yml");
    if (which == "full") {
      testutil::WriteFile(file, config);
    } else {
      std::filesystem::copy_file(testutil::SourceDir() + "/prometheus/alertmanager.yml", file);
    }
    int ours = testutil::FreePort(), theirs = testutil::FreePort();
    Child* a = Start("am-ours-" + which, {testutil::SremonBin(), "alertmanager", "--web.listen-address=" + Listen(ours),
                                          "--config.file=" + file, "--storage.path=" + dir_.File("ao-" + which)},
                     Base(ours) + "/-/healthy");
    Child* b = Start("am-upstream-" + which,
                     {"/usr/bin/prometheus-alertmanager", "--web.listen-address=" + Listen(theirs), "--config.file=" + file,
                      "--storage.path=" + dir_.File("au-" + which), "--cluster.listen-address="},
                     Base(theirs) + "/-/healthy");
    std::string out_ours, out_theirs;
    EXPECT_EQ(testutil::RunCommand("amtool config show --alertmanager.url=" + Base(ours), &out_ours), 0) << out_ours;
    EXPECT_EQ(testutil::RunCommand("amtool config show --alertmanager.url=" + Base(theirs), &out_theirs), 0) << out_theirs;
    EXPECT_EQ(out_ours, out_theirs) << which;
    EXPECT_NE(out_ours.find("resolve_timeout:"), std::string::npos);
    a->Stop(SIGTERM);
    b->Stop(SIGTERM);
  }
}

// The same CSV imported into ours and into VictoriaMetrics with the same format=, then exported
// as CSV with every column kind: the same lines (compared sorted: the series order is each
// store's own).
TEST_F(CompatTest, CsvImportExportMatchesVictoriaMetrics) {
  if (!testutil::Installed("victoria-metrics")) GTEST_SKIP() << "victoria-metrics absent";
  int vm = testutil::FreePort(), ours = testutil::FreePort();
  Start("vm", {"/usr/bin/victoria-metrics", "-httpListenAddr=" + Listen(vm), "-storageDataPath=" + dir_.File("vm")},
        Base(vm) + "/health");
  Start("storage", {testutil::SremonBin(), "storage", "-httpListenAddr=" + Listen(ours), "-storageDataPath=" + dir_.File("s")},
        Base(ours) + "/health");
  int64_t t = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() - 600;
  std::string csv = "GOOG,1.23,4.56,NYSE," + std::to_string(t) + "\n\"MSFT\",3.21,-1e-7,\"NAS,\"\"DAQ\"\"\"," +
                    std::to_string(t + 60) + "\nIBM,1e300,0.5,,\"" + std::to_string(t + 120) + "\"\n";
  const std::string import_format = "2:metric:ask,3:metric:bid,1:label:ticker,4:label:market,5:time:unix_s";
  for (int port : {vm, ours}) {
    auto r = http::Post(Base(port) + "/api/v1/import/csv?format=" + http::UrlEncode(import_format), csv, "text/csv");
    ASSERT_TRUE(r.ok() && r->status == 204) << port << ": " << (r.ok() ? r->body : r.status().ToString());
  }
  ASSERT_TRUE(http::Get(Base(vm) + "/internal/force_flush").ok());
  auto lines = [](const std::string& body) {
    std::multiset<std::string> out;
    size_t start = 0;
    while (start < body.size()) {
      size_t nl = body.find('\n', start);
      if (nl == std::string::npos) nl = body.size();
      out.insert(body.substr(start, nl - start));
      start = nl + 1;
    }
    return out;
  };
  const std::string match = "&match%5B%5D=" + http::UrlEncode("{ticker!=\"\"}");
  for (const std::string& format :
       {std::string("__name__,__value__,__timestamp__:unix_s,ticker,market,__timestamp__:rfc3339"),
        std::string("__timestamp__:unix_ms,__timestamp__:unix_ns,__value__,nolabel,__name__")}) {
    std::multiset<std::string> theirs, mine;
    ASSERT_TRUE(Eventually(10s, [&] {
      auto a = http::Get(Base(vm) + "/api/v1/export/csv?format=" + http::UrlEncode(format) + match);
      auto b = http::Get(Base(ours) + "/api/v1/export/csv?format=" + http::UrlEncode(format) + match);
      if (!a.ok() || !b.ok()) return false;
      theirs = lines(a->body);
      mine = lines(b->body);
      return theirs.size() == 6;
    })) << "victoria-metrics exported " << theirs.size() << " lines";
    EXPECT_EQ(mine, theirs) << format;
  }
  auto a = http::Get(Base(vm) + "/api/v1/export?" + match.substr(1));
  auto b = http::Get(Base(ours) + "/api/v1/export?" + match.substr(1));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(lines(b->body), lines(a->body));
  for (int port : {vm, ours}) {
    auto missing = http::Get(Base(port) + "/api/v1/export/csv?" + match.substr(1));
    ASSERT_TRUE(missing.ok());
    EXPECT_EQ(missing->status, 400) << port;
  }
}

}  // namespace
}  // namespace sremon
