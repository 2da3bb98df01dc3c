// `sremon storage` as a process: flags, scraping a real `sremon app`, import/export round trip,
// garbage to every write endpoint, reload, the kill -9 crash test and retention.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common.h"
#include "util/time.h"

namespace sremon::storage_e2e {
namespace {

using namespace std::chrono_literals;

TEST(StorageE2eTest, FlagErrorsExitWithUsage) {
  testutil::TempDir dir;
  std::string out;
  std::string bin = testutil::SremonBin();
  EXPECT_EQ(testutil::RunCommand(bin + " storage -noSuchFlag=1 -storageDataPath=" + dir.path(), &out), 2) << out;
  EXPECT_EQ(testutil::RunCommand(bin + " storage -retentionPeriod=5x -storageDataPath=" + dir.path(), &out), 2) << out;
  EXPECT_NE(out.find("invalid -retentionPeriod"), std::string::npos) << out;
  testutil::WriteFile(dir.File("bad.yml"), "scrape_configs:\n  - job_name: a\n    nope: 1\n");
  EXPECT_EQ(testutil::RunCommand(bin + " storage -httpListenAddr=127.0.0.1:" + std::to_string(testutil::FreePort()) +
                                     " -storageDataPath=" + dir.path() + "/d -promscrape.config=" + dir.File("bad.yml"),
                                 &out),
            1)
      << out;
  EXPECT_NE(out.find("bad.yml:3"), std::string::npos) << out;
}

// What a newcomer sees at the storage's root and at /flags (VictoriaMetrics serves both).
TEST(StorageE2eTest, RootIsAnIndexAndFlagsHideSecrets) {
  testutil::TempDir dir;
  auto s = StartStorage(dir.path(), {"-retentionPeriod=30d"});
  ASSERT_TRUE(s.child);
  auto root = http::Get(s.base + "/");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->status, 200);
  for (const char* link : {"/targets", "/metrics", "/flags", "/api/v1/query?query=up", "/api/v1/labels"}) {
    EXPECT_NE(root->body.find(std::string("href=\"") + link), std::string::npos) << link << " in " << root->body;
  }
  auto flags = http::Get(s.base + "/flags");
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->status, 200);
  EXPECT_NE(flags->body.find("-retentionPeriod=\"30d\"\n"), std::string::npos) << flags->body;
  EXPECT_NE(flags->body.find("-storageDataPath=\"" + dir.path()), std::string::npos) << flags->body;
  auto targets = http::Get(s.base + "/targets");
  ASSERT_TRUE(targets.ok());
  EXPECT_NE(targets->body.find("href=\"/\""), std::string::npos) << "the targets page links home: " << targets->body;
}

TEST(StorageE2eTest, ScrapesRealAppThenMarksItDown) {
  testutil::TempDir dir;
  int app_port = testutil::FreePort();
  testutil::Child app({testutil::SremonBin(), "app", "-httpListenAddr=127.0.0.1:" + std::to_string(app_port)},
                      dir.File("app.log"));
  std::string app_url = "http://127.0.0.1:" + std::to_string(app_port);
  ASSERT_TRUE(testutil::WaitHttpOk(app_url + "/health"));
  (void)http::Get(app_url + "/");  // one request so app_requests_total exists
  testutil::WriteFile(dir.File("prometheus.yml"), "global:\n  scrape_interval: 200ms\nscrape_configs:\n"
                                                  "  - job_name: sre_app\n    static_configs:\n      - targets: [\"127.0.0.1:" +
                                                      std::to_string(app_port) + "\"]\n");
  Proc s = StartStorage(dir.path(), {"-promscrape.config=" + dir.File("prometheus.yml")});
  ASSERT_TRUE(s.child) << testutil::ReadFile(dir.File("storage.log"));
  std::string up_key = "{\"__name__\":\"up\",\"instance\":\"127.0.0.1:" + std::to_string(app_port) + "\",\"job\":\"sre_app\"}";
  SampleMap m;
  for (int i = 0; i < 150; ++i) {
    std::this_thread::sleep_for(100ms);
    m = Export(s.base, "{job=\"sre_app\"}");
    if (m.count(up_key) && m[up_key].size() >= 2) break;
  }
  ASSERT_TRUE(m.count(up_key)) << testutil::ReadFile(dir.File("storage.log"));
  EXPECT_EQ(m[up_key].begin()->second, 1);
  bool has_app_metric = false;
  for (const auto& [k, v] : m) has_app_metric |= k.find("app_requests_total") != std::string::npos;
  EXPECT_TRUE(has_app_metric);

  app.Stop(SIGTERM);
  bool down = false;
  for (int i = 0; i < 150 && !down; ++i) {
    std::this_thread::sleep_for(100ms);
    m = Export(s.base, "up");
    down = m.count(up_key) && m[up_key].rbegin()->second == 0;
  }
  EXPECT_TRUE(down);
  auto targets = nlohmann::json::parse(http::Get(s.base + "/api/v1/targets")->body);
  EXPECT_EQ(targets["data"]["activeTargets"][0]["health"], "down");
  std::string page = http::Get(s.base + "/targets")->body;
  EXPECT_NE(page.find("[connect]"), std::string::npos) << page.substr(0, 2000);
}

TEST(StorageE2eTest, ImportExportRoundTripAndGarbage) {
  testutil::TempDir dir;
  Proc a = StartStorage(dir.path(), {"-maxInsertRequestSize=1048576"});
  ASSERT_TRUE(a.child);
  int64_t now = NowMs() / 1000 * 1000;
  std::string text;
  for (int i = 0; i < 20; ++i) {
    text += "rt_metric{host=\"h" + std::to_string(i % 4) + "\",q=\"a\\\"b\"} " + std::to_string(i * 1.5) + " " +
            std::to_string(now - 60000 + i * 1000) + "\n";
  }
  EXPECT_EQ(PostStatus(a.base + "/api/v1/import/prometheus?extra_label=src=e2e", text), 204);
  EXPECT_EQ(http::Get(a.base + "/internal/force_flush")->status, 200);
  SampleMap got = Export(a.base, "rt_metric");
  ASSERT_EQ(got.size(), 4u);
  size_t n = 0;
  for (auto& [k, v] : got) {
    n += v.size();
    EXPECT_NE(k.find("\"src\":\"e2e\""), std::string::npos) << k;
  }
  EXPECT_EQ(n, 20u);

  // Export from a, import into b: same series and samples.
  testutil::TempDir dir_b;
  Proc b = StartStorage(dir_b.path());
  ASSERT_TRUE(b.child);
  std::string exported = http::Get(a.base + "/api/v1/export?match[]=rt_metric")->body;
  EXPECT_EQ(PostStatus(b.base + "/api/v1/import", exported), 204);
  EXPECT_EQ(Export(b.base, "rt_metric"), got);

  // Garbage: a clear 4xx, never a crash.
  struct Case {
    std::string path, body;
    int want;
  };
  std::string big((1 << 20) + 100000, 'x');
  const Case kCases[] = {
      {"/api/v1/import/prometheus", "{{{\n", 400},
      {"/api/v1/import/prometheus", std::string("m{a=\"\xff\xfe\"} 1\nm 1 2 3 4\n"), 400},
      {"/api/v1/write", "\xff\x01garbage", 400},
      {"/api/v1/import", "[not, json", 400},
      {"/api/v1/import", "{\"metric\":{\"__name__\":\"x\"},\"values\":[1],\"timestamps\":[\"t\"]}", 400},
      {"/api/v1/import/prometheus", big, 413},
      {"/api/v1/export?match[]=up{", "", 400},
  };
  for (const auto& c : kCases) {
    std::string body;
    EXPECT_EQ(PostStatus(a.base + c.path, c.body, &body), c.want) << c.path << ": " << body.substr(0, 200);
  }
  EXPECT_EQ(http::Get(a.base + "/health")->status, 200);
  EXPECT_TRUE(a.child->Running());
  // Self-instrumentation: ingestion, series, disk, WAL, write errors.
  std::this_thread::sleep_for(2500ms);  // stats are copied every 2 s
  std::string metrics = http::Get(a.base + "/metrics")->body;
  for (const char* name : {"vm_rows_inserted_total{type=\"prometheus\"} 21", "vm_rows_added_to_storage_total",
                           "vm_series_count 5", "vm_data_size_bytes", "sremon_tsdb_wal_bytes",
                           "vm_http_request_errors_total{type=\"vmimport\"}",
                           // sremon's names for the same counters, every protocol from the start
                           "sremon_rows_inserted_total{type=\"prometheus\"} 21",
                           "sremon_insert_errors_total{type=\"vmimport\"}",
                           "sremon_rows_inserted_total{type=\"opentelemetry\"} 0"}) {
    EXPECT_NE(metrics.find(name), std::string::npos) << name;
  }
}

TEST(StorageE2eTest, ReloadKeepsOldConfigWhenNewIsInvalid) {
  testutil::TempDir dir;
  std::string cfg = dir.File("prometheus.yml");
  testutil::WriteFile(cfg, "scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [\"127.0.0.1:1\"]\n");
  Proc s = StartStorage(dir.path(), {"-promscrape.config=" + cfg});
  ASSERT_TRUE(s.child);
  testutil::WriteFile(cfg, "scrape_configs:\n  - job_name: a\n    static_configs: 5\n");
  auto r = http::Post(s.base + "/-/reload", "", "text/plain");
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->status, 200);
  EXPECT_NE(http::Get(s.base + "/metrics")->body.find("vm_promscrape_config_last_reload_successful 0"), std::string::npos);
  auto targets = nlohmann::json::parse(http::Get(s.base + "/api/v1/targets")->body);
  EXPECT_EQ(targets["data"]["activeTargets"].size(), 1u);
  // SIGHUP with a valid file: two targets now.
  testutil::WriteFile(cfg, "scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [\"127.0.0.1:1\", \"127.0.0.1:2\"]\n");
  kill(s.child->pid(), SIGHUP);
  bool ok = false;
  for (int i = 0; i < 200 && !ok; ++i) {
    std::this_thread::sleep_for(50ms);
    ok = nlohmann::json::parse(http::Get(s.base + "/api/v1/targets")->body)["data"]["activeTargets"].size() == 2;
  }
  EXPECT_TRUE(ok);
  EXPECT_NE(http::Get(s.base + "/metrics")->body.find("vm_promscrape_config_last_reload_successful 1"), std::string::npos);
}

// A writer records which batches were acknowledged (204); kill -9 at a random moment; after a
// restart every acknowledged sample must be there.
TEST(StorageE2eTest, KillNineLosesNoAcknowledgedSample) {
  testutil::TempDir dir;
  Proc s = StartStorage(dir.path());
  ASSERT_TRUE(s.child);
  int64_t base_t = NowMs() - 3600 * 1000;
  std::atomic<bool> stop{false};
  std::atomic<size_t> acked_count{0};
  std::vector<int> acked;  // written by the writer only; read after join
  std::thread writer([&] {
    for (int batch = 0; !stop && batch < 100000; ++batch) {
      std::string body;
      for (int i = 0; i < 50; ++i) {
        body += "crash_metric{series=\"" + std::to_string(i) + "\"} " + std::to_string(batch) + " " +
                std::to_string(base_t + batch * 10) + "\n";
      }
      if (PostStatus(s.base + "/api/v1/import/prometheus", body) == 204) {
        acked.push_back(batch);
        ++acked_count;
      } else {
        break;
      }
    }
  });
  std::mt19937 rng(std::random_device{}());
  // Some batches first (a loaded machine may be slow), then a random moment.
  for (int i = 0; i < 200 && acked_count < 10; ++i) std::this_thread::sleep_for(25ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 700));
  s.child->Stop(SIGKILL);
  stop = true;
  writer.join();
  ASSERT_GT(acked.size(), 5u);

  Proc again = StartStorage(dir.path(), {}, s.port);
  ASSERT_TRUE(again.child) << testutil::ReadFile(dir.File("storage.log"));
  SampleMap got = Export(again.base, "crash_metric");
  size_t lost = 0;
  for (int i = 0; i < 50; ++i) {
    auto& series = got["{\"__name__\":\"crash_metric\",\"series\":\"" + std::to_string(i) + "\"}"];
    for (int batch : acked) {
      auto it = series.find(base_t + batch * 10);
      if (it == series.end() || it->second != batch) ++lost;
    }
  }
  EXPECT_EQ(lost, 0u) << "of " << acked.size() * 50 << " acknowledged samples";
}

TEST(StorageE2eTest, RetentionDropsOldDataOnly) {
  testutil::TempDir dir;
  Proc s = StartStorage(dir.path(), {"-retentionPeriod=2d"});
  ASSERT_TRUE(s.child);
  int64_t now = NowMs();
  std::string body = "ret_metric{age=\"old\"} 1 " + std::to_string(now - 10LL * 24 * 3600 * 1000) + "\n" +
                     "ret_metric{age=\"new\"} 2 " + std::to_string(now - 3600 * 1000) + "\n";
  int st = PostStatus(s.base + "/api/v1/import/prometheus", body);
  EXPECT_TRUE(st == 204 || st == 400) << st;  // the store may refuse the old sample outright
  EXPECT_EQ(http::Get(s.base + "/internal/force_merge")->status, 200);
  SampleMap got = Export(s.base, "ret_metric");
  EXPECT_EQ(got.count("{\"__name__\":\"ret_metric\",\"age\":\"old\"}"), 0u);
  EXPECT_EQ(got.count("{\"__name__\":\"ret_metric\",\"age\":\"new\"}"), 1u);
  s.child->Stop(SIGTERM);
  Proc again = StartStorage(dir.path(), {"-retentionPeriod=2d"}, s.port);
  ASSERT_TRUE(again.child);
  got = Export(again.base, "ret_metric");
  EXPECT_EQ(got.count("{\"__name__\":\"ret_metric\",\"age\":\"old\"}"), 0u);
  EXPECT_EQ(got.count("{\"__name__\":\"ret_metric\",\"age\":\"new\"}"), 1u);
}

}  // namespace
}  // namespace sremon::storage_e2e
