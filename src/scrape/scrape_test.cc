// Scrapes a real HTTP server (http::Server in-process): samples, report series, honor_labels,
// metric relabeling, limits, failures by phase, staleness, gzip, auth, manager reload and file_sd.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "obs/metrics.h"
#include "scrape/manager.h"
#include "scrape/scrape_loop.h"
#include "storage/recording_appendable.h"
#include "testutil/tls.h"
#include "testutil/testutil.h"

namespace sremon::scrape {
namespace {

using storage::testing::RecordingAppendable;

// A target whose page, status, content type and delay the test changes between scrapes.
class FakeTarget {
 public:
  FakeTarget() : server_(http::ServerOptions{.name = "target", .listen_addr = "127.0.0.1:0", .io_threads = 1}) {
    server_.Route("GET", "/metrics", [this](http::Request& req, http::Response& resp) {
      std::string body, type;
      int status, delay;
      bool gzip;
      {
        std::lock_guard<std::mutex> l(mu_);
        gzip = gzip_ && req.headers.Get("Accept-Encoding").find("gzip") != std::string_view::npos;
        body = body_;
        type = type_;
        status = status_;
        delay = delay_ms_;
        last_auth_ = std::string(req.headers.Get("Authorization"));
        last_accept_ = std::string(req.headers.Get("Accept"));
      }
      if (delay) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      resp.status = status;
      resp.content_type = type;
      resp.body = gzip ? http::Gzip(body) : body;
      if (gzip) resp.headers.Set("Content-Encoding", "gzip");
    }, /*blocking=*/true);
    EXPECT_TRUE(server_.Start().ok());
  }
  ~FakeTarget() { server_.Stop(); }

  void Set(std::string body, int status = 200, std::string type = "text/plain; version=0.0.4") {
    std::lock_guard<std::mutex> l(mu_);
    body_ = std::move(body);
    status_ = status;
    type_ = std::move(type);
  }
  void SetGzip(bool gzip) {
    std::lock_guard<std::mutex> l(mu_);
    gzip_ = gzip;
  }
  void SetDelay(int ms) {
    std::lock_guard<std::mutex> l(mu_);
    delay_ms_ = ms;
  }
  std::string last_auth() {
    std::lock_guard<std::mutex> l(mu_);
    return last_auth_;
  }
  std::string last_accept() {
    std::lock_guard<std::mutex> l(mu_);
    return last_accept_;
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(server_.port()); }

 private:
  http::Server server_;
  std::mutex mu_;
  std::string body_, type_ = "text/plain", last_auth_, last_accept_;
  int status_ = 200;
  int delay_ms_ = 0;
  bool gzip_ = false;
};

std::shared_ptr<const ScrapeConfig> Job(const std::string& extra, const std::string& addr) {
  auto cfg = ParseConfig("scrape_configs:\n  - job_name: j\n    scrape_interval: 1s\n    static_configs:\n"
                         "      - targets: [\"" + addr + "\"]\n" + extra,
                         "t.yml", true);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  return std::make_shared<const ScrapeConfig>(cfg->scrape_configs[0]);
}

Target OneTarget(const ScrapeConfig& job) {
  std::vector<Target> active;
  std::vector<model::Labels> dropped;
  BuildTargets(job, TargetGroup{job.static_configs[0].targets, job.static_configs[0].labels, ""}, &active, &dropped);
  EXPECT_EQ(active.size(), 1u);
  return active[0];
}

std::string Inst(const FakeTarget& t) { return t.addr(); }

std::string S(const std::string& name, const FakeTarget& t, const std::string& extra = "") {
  return name + "{" + extra + "instance=\"" + Inst(t) + "\", job=\"j\"}";
}

TEST(ScrapeLoopTest, SamplesReportSeriesAndStaleness) {
  FakeTarget target;
  RecordingAppendable store;
  auto job = Job("", target.addr());
  ScrapeLoop loop(job, OneTarget(*job), model::Labels{{"dc", "eu"}}, &store);

  target.Set("# HELP a_total A counter.\n# TYPE a_total counter\na_total 1\nb{x=\"1\"} 2 5\nc 3\n");
  loop.ScrapeOnce(1000);
  EXPECT_EQ(loop.GetStatus().health, "up");
  auto a = store.Series("a_total{dc=\"eu\", instance=\"" + Inst(target) + "\", job=\"j\"}");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].t, 1000);
  EXPECT_EQ(a[0].v, 1);
  auto b = store.Series("b{dc=\"eu\", instance=\"" + Inst(target) + "\", job=\"j\", x=\"1\"}");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].t, 5);  // honor_timestamps defaults to true
  EXPECT_EQ(store.Series(S("up", target))[0].v, 1);
  EXPECT_EQ(store.Series(S("scrape_samples_scraped", target))[0].v, 3);
  EXPECT_EQ(store.Series(S("scrape_samples_post_metric_relabeling", target))[0].v, 3);
  EXPECT_EQ(store.Series(S("scrape_series_added", target))[0].v, 3);
  EXPECT_EQ(store.Series(S("scrape_duration_seconds", target)).size(), 1u);
  EXPECT_EQ(loop.Metadata().at("a_total").type, "counter");
  EXPECT_EQ(loop.Metadata().at("a_total").help, "A counter.");
  EXPECT_NE(target.last_accept().find("application/openmetrics-text"), std::string::npos);

  // c disappears: it gets one staleness marker, and only one.
  target.Set("a_total 2\nb{x=\"1\"} 3 6\n");
  loop.ScrapeOnce(2000);
  loop.ScrapeOnce(3000);
  auto c = store.Series("c{dc=\"eu\", instance=\"" + Inst(target) + "\", job=\"j\"}");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_TRUE(model::IsStaleNaN(c[1].v));
  EXPECT_EQ(c[1].t, 2000);
  EXPECT_EQ(store.Series(S("scrape_series_added", target))[1].v, 0);

  // The target goes down: up 0, stale markers for everything it had, error kept by phase.
  target.Set("oops", 500);
  loop.ScrapeOnce(4000);
  auto up = store.Series(S("up", target));
  EXPECT_EQ(up.back().v, 0);
  a = store.Series("a_total{dc=\"eu\", instance=\"" + Inst(target) + "\", job=\"j\"}");
  EXPECT_TRUE(model::IsStaleNaN(a.back().v));
  EXPECT_EQ(a.back().t, 4000);
  TargetStatus st = loop.GetStatus();
  EXPECT_EQ(st.health, "down");
  EXPECT_EQ(st.last_error, "server returned HTTP status 500 Internal Server Error");
  ASSERT_EQ(st.failures.size(), 1u);
  EXPECT_EQ(st.failures[0].phase, "HTTP status");
  EXPECT_EQ(st.failures[0].excerpt, "oops");

  // Still down: no second round of staleness markers.
  size_t before = store.Samples().size();
  loop.ScrapeOnce(5000);
  EXPECT_EQ(store.Samples().size(), before + 5);  // only the report series

  // Malformed page: parse phase with the line; nothing of the page is stored.
  target.Set("good 1\nbad{ 2\n");
  loop.ScrapeOnce(6000);
  st = loop.GetStatus();
  EXPECT_EQ(st.failures[0].phase, "parse");
  EXPECT_NE(st.last_error.find("line 2:"), std::string::npos) << st.last_error;
  EXPECT_EQ(st.failures[0].excerpt, "bad{ 2");
  EXPECT_TRUE(store.Series("good{dc=\"eu\", instance=\"" + Inst(target) + "\", job=\"j\"}").empty());
}

// The cache tries the entry after the last one matched first (page_order_): pages that keep,
// shift, shuffle, repeat and drop series must still put every value on its own series.
TEST(ScrapeLoopTest, SeriesOrderChangesBetweenScrapes) {
  FakeTarget target;
  RecordingAppendable store;
  auto job = Job("", target.addr());
  ScrapeLoop loop(job, OneTarget(*job), model::Labels{}, &store);
  std::mt19937 rng(7);
  std::map<int, std::vector<double>> want;
  std::vector<int> page;
  for (int i = 0; i < 20; ++i) page.push_back(i);
  for (int scrape = 1; scrape <= 40; ++scrape) {
    switch (scrape % 5) {
      case 0: std::shuffle(page.begin(), page.end(), rng); break;
      case 1: page.insert(page.begin() + static_cast<long>(rng() % (page.size() + 1)), 20 + scrape); break;
      case 2: if (page.size() > 3) page.erase(page.begin() + static_cast<long>(rng() % page.size())); break;
      default: break;  // the same page again: the fast path all the way
    }
    std::string body;
    for (int id : page) {
      double v = scrape * 1000 + id;
      body += fmt::format("m{{id=\"{}\"}} {}\n", id, v);
      want[id].push_back(v);
    }
    if (scrape % 7 == 0) body += fmt::format("m{{id=\"{}\"}} 1\n", page.front());  // a repeat: first wins
    target.Set(body);
    loop.ScrapeOnce(scrape * 1000);
    ASSERT_EQ(loop.GetStatus().health, "up") << loop.GetStatus().last_error;
    if (scrape == 20) {  // a failed scrape empties the cache in the middle
      target.Set("down", 503);
      loop.ScrapeOnce(scrape * 1000 + 500);
    }
  }
  for (const auto& [id, values] : want) {
    std::vector<double> got;
    for (const auto& s : store.Series(fmt::format("m{{id=\"{}\", instance=\"{}\", job=\"j\"}}", id, Inst(target)))) {
      if (!model::IsStaleNaN(s.v)) got.push_back(s.v);
    }
    EXPECT_EQ(got, values) << "series id=" << id;
  }
}

TEST(ScrapeLoopTest, HttpsTargetsWithTlsConfig) {
  testutil::SelfSignedCert cert;
  testutil::HttpsServer target(cert, "secure_metric 42\n");
  testutil::TempDir dir;
  cert.WritePem(dir.File("ca.pem"));
  std::string addr = "127.0.0.1:" + std::to_string(target.port());
  // ca_file relative to the config file, as Prometheus resolves it.
  auto cfg = ParseConfig("scrape_configs:\n  - job_name: j\n    scheme: https\n    tls_config:\n      ca_file: ca.pem\n"
                         "    static_configs:\n      - targets: [\"" + addr + "\"]\n",
                         dir.File("prometheus.yml"), true);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto job = std::make_shared<const ScrapeConfig>(cfg->scrape_configs[0]);
  EXPECT_EQ(job->tls.ca_file, dir.File("ca.pem"));
  Target t = OneTarget(*job);
  EXPECT_EQ(t.url, "https://" + addr + "/metrics");
  RecordingAppendable store;
  ScrapeLoop loop(job, t, model::Labels{}, &store);
  loop.ScrapeOnce(1000);
  ASSERT_EQ(loop.GetStatus().health, "up") << loop.GetStatus().last_error;
  auto got = store.Series("secure_metric{instance=\"" + addr + "\", job=\"j\"}");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].v, 42);

  // Without the CA the self-signed certificate is refused: the target is down, phase named.
  auto untrusted = std::make_shared<ScrapeConfig>(*job);
  untrusted->tls = {};
  ScrapeLoop loop2(untrusted, t, model::Labels{}, &store);
  loop2.ScrapeOnce(2000);
  TargetStatus st = loop2.GetStatus();
  EXPECT_EQ(st.health, "down");
  ASSERT_EQ(st.failures.size(), 1u);
  EXPECT_EQ(st.failures[0].phase, "TLS handshake") << st.last_error;
}

// A Pushgateway group pushed without an instance exposes instance="": with honor_labels the
// empty label wins (the series has no instance), as in Prometheus 2.42 and VictoriaMetrics.
TEST(ScrapeLoopTest, HonorLabelsKeepsEmptyInstanceEmpty) {
  FakeTarget target;
  RecordingAppendable store;
  target.Set("pushed{instance=\"\",job=\"batch\"} 1\n", 200, "text/plain; version=0.0.4");
  auto job = Job("    honor_labels: true\n", target.addr());
  ScrapeLoop loop(job, OneTarget(*job), {}, &store);
  loop.ScrapeOnce(1000);
  EXPECT_EQ(loop.GetStatus().health, "up") << loop.GetStatus().last_error;
  EXPECT_EQ(store.Series("pushed{job=\"batch\"}").size(), 1u);
  EXPECT_TRUE(store.Series("pushed{instance=\"" + Inst(target) + "\", job=\"batch\"}").empty());
}

TEST(ScrapeLoopTest, HonorLabelsRelabelLimitsOpenMetrics) {
  FakeTarget target;
  RecordingAppendable store;
  const std::string page = "m{job=\"other\",instance=\"i\"} 1\ngo_x 2\n# EOF\n";
  target.Set(page, 200, "application/openmetrics-text; version=1.0.0");
  {
    auto job = Job("    metric_relabel_configs:\n      - action: drop\n        source_labels: [__name__]\n"
                   "        regex: go_.*\n",
                   target.addr());
    ScrapeLoop loop(job, OneTarget(*job), {}, &store);
    loop.ScrapeOnce(1000);
    EXPECT_EQ(loop.GetStatus().health, "up") << loop.GetStatus().last_error;
    EXPECT_EQ(store.Series("m{exported_instance=\"i\", exported_job=\"other\", instance=\"" + Inst(target) +
                           "\", job=\"j\"}")
                  .size(),
              1u);
    EXPECT_EQ(store.Series(S("scrape_samples_post_metric_relabeling", target))[0].v, 1);
    EXPECT_EQ(store.Series(S("scrape_samples_scraped", target))[0].v, 2);
  }
  store.Clear();
  {
    auto job = Job("    honor_labels: true\n    sample_limit: 1\n", target.addr());
    ScrapeLoop loop(job, OneTarget(*job), {}, &store);
    loop.ScrapeOnce(1000);
    EXPECT_EQ(loop.GetStatus().failures.at(0).phase, "limit");
    EXPECT_NE(loop.GetStatus().last_error.find("sample_limit exceeded"), std::string::npos);
  }
  store.Clear();
  {
    auto job = Job("    honor_labels: true\n    label_limit: 1\n", target.addr());
    ScrapeLoop loop(job, OneTarget(*job), {}, &store);
    loop.ScrapeOnce(1000);
    EXPECT_NE(loop.GetStatus().last_error.find("label_limit exceeded"), std::string::npos);
  }
  store.Clear();
  {
    auto job = Job("    honor_labels: true\n    basic_auth: {username: u, password: p}\n", target.addr());
    ScrapeLoop loop(job, OneTarget(*job), {}, &store);
    loop.ScrapeOnce(1000);
    EXPECT_EQ(target.last_auth(), "Basic dTpw");
    EXPECT_EQ(store.Series("m{instance=\"i\", job=\"other\"}").size(), 1u);
  }
  {
    auto job = Job("    bearer_token: tok\n", target.addr());
    ScrapeLoop loop(job, OneTarget(*job), {}, &store);
    loop.ScrapeOnce(1000);
    EXPECT_EQ(target.last_auth(), "Bearer tok");
  }
}

TEST(ScrapeLoopTest, GzipIgnoredTimestampsAndSpreadOffsets) {
  FakeTarget target;
  target.Set("g{a=\"1\"} 4 123\n");
  target.SetGzip(true);
  RecordingAppendable store;
  auto job = Job("    honor_timestamps: false\n", target.addr());
  ScrapeLoop loop(job, OneTarget(*job), {}, &store);
  loop.ScrapeOnce(7000);
  EXPECT_EQ(loop.GetStatus().health, "up") << loop.GetStatus().last_error;
  auto g = store.Series("g{a=\"1\", instance=\"" + Inst(target) + "\", job=\"j\"}");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].t, 7000);  // the page's timestamp is ignored
  EXPECT_EQ(g[0].v, 4);

  // Targets of one job land at different offsets within the interval.
  auto cfg = ParseConfig("scrape_configs:\n  - job_name: j\n    scrape_interval: 10s\n    static_configs:\n"
                         "      - targets: [a:1, b:1, c:1, d:1, e:1, f:1, g:1, h:1]\n",
                         "t.yml", true);
  ASSERT_TRUE(cfg.ok());
  auto spread = std::make_shared<const ScrapeConfig>(cfg->scrape_configs[0]);
  std::vector<Target> active;
  std::vector<model::Labels> dropped;
  BuildTargets(*spread, TargetGroup{spread->static_configs[0].targets, {}, ""}, &active, &dropped);
  std::set<int64_t> offsets;
  for (auto& t : active) {
    ScrapeLoop l(spread, t, {}, &store);
    EXPECT_GE(l.OffsetMs(), 0);
    EXPECT_LT(l.OffsetMs(), 10000);
    offsets.insert(l.OffsetMs());
  }
  EXPECT_GE(offsets.size(), 7u);
}

TEST(ScrapeLoopTest, ConnectAndTimeoutFailures) {
  RecordingAppendable store;
  int dead_port = testutil::FreePort();
  auto job = Job("", "127.0.0.1:" + std::to_string(dead_port));
  ScrapeLoop loop(job, OneTarget(*job), {}, &store);
  loop.ScrapeOnce(1000);
  EXPECT_EQ(loop.GetStatus().failures.at(0).phase, "connect");

  FakeTarget slow;
  slow.Set("a 1\n");
  slow.SetDelay(400);
  auto job2 = Job("    scrape_timeout: 100ms\n", slow.addr());
  ScrapeLoop loop2(job2, OneTarget(*job2), {}, &store);
  loop2.ScrapeOnce(1000);
  EXPECT_EQ(loop2.GetStatus().failures.at(0).phase, "timeout") << loop2.GetStatus().last_error;
}

TEST(ManagerTest, ScrapesReloadsAndFileSd) {
  FakeTarget t1, t2;
  t1.Set("one 1\n");
  t2.Set("two 2\n");
  testutil::TempDir dir;
  std::string cfg_path = dir.File("prometheus.yml");
  testutil::WriteFile(dir.File("sd.json"), "[{\"targets\": [\"" + t2.addr() + "\"], \"labels\": {\"src\": \"file\"}}]");
  testutil::WriteFile(cfg_path, "global:\n  scrape_interval: 100ms\nscrape_configs:\n  - job_name: a\n"
                                "    static_configs:\n      - targets: [\"" + t1.addr() + "\"]\n");
  RecordingAppendable store;
  Manager mgr(&store, ManagerOptions{cfg_path, true, 50});
  ASSERT_TRUE(mgr.Start().ok());
  auto wait_for = [&](auto pred) {
    for (int i = 0; i < 400 && !pred(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return pred();
  };
  EXPECT_TRUE(wait_for([&] { return !store.Series("one{instance=\"" + t1.addr() + "\", job=\"a\"}").empty(); }));

  auto targets = nlohmann::json::parse(mgr.TargetsJson(""));
  ASSERT_EQ(targets["data"]["activeTargets"].size(), 1u);
  EXPECT_EQ(targets["data"]["activeTargets"][0]["scrapeUrl"], "http://" + t1.addr() + "/metrics");
  EXPECT_EQ(targets["data"]["activeTargets"][0]["labels"]["job"], "a");

  // An invalid config is refused and the old one keeps running.
  testutil::WriteFile(cfg_path, "scrape_configs:\n  - job_name: a\n    bogus_field: 1\n");
  Status st = mgr.Reload();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("prometheus.yml:3"), std::string::npos) << st.message();
  EXPECT_NE(obs::RenderMetrics().find("vm_promscrape_config_last_reload_successful 0"), std::string::npos);
  EXPECT_EQ(mgr.ActiveTargetCount(), 1u);

  // A valid one replaces job a by a file_sd job; a's target gets staleness markers.
  testutil::WriteFile(cfg_path, "global:\n  scrape_interval: 100ms\nscrape_configs:\n  - job_name: b\n"
                                "    file_sd_configs:\n      - files: [sd.json]\n");
  ASSERT_TRUE(mgr.Reload().ok());
  EXPECT_NE(obs::RenderMetrics().find("vm_promscrape_config_last_reload_successful 1"), std::string::npos);
  auto one = store.Series("one{instance=\"" + t1.addr() + "\", job=\"a\"}");
  ASSERT_FALSE(one.empty());
  EXPECT_TRUE(model::IsStaleNaN(one.back().v));
  EXPECT_TRUE(wait_for(
      [&] { return !store.Series("two{instance=\"" + t2.addr() + "\", job=\"b\", src=\"file\"}").empty(); }));

  // Changing the file_sd file moves the target without a reload.
  testutil::WriteFile(dir.File("sd.json"), "[{\"targets\": [\"" + t1.addr() + "\"]}]");
  EXPECT_TRUE(wait_for([&] { return !store.Series("one{instance=\"" + t1.addr() + "\", job=\"b\"}").empty(); }));
  EXPECT_EQ(mgr.ActiveTargetCount(), 1u);
  std::string html = mgr.TargetsHtml();
  EXPECT_NE(html.find(t1.addr()), std::string::npos);
  mgr.Stop();
}

}  // namespace
}  // namespace sremon::scrape
