#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "http/http.h"
#include "loadgen/loadgen.h"

namespace sremon::loadgen {
namespace {

TEST(LatencyHistogramTest, QuantilesWithinOnePercent) {
  LatencyHistogram h;
  EXPECT_EQ(h.Quantile(0.5), 0);
  for (int i = 1; i <= 1000; ++i) h.Record(i * 1e-4);  // 0.1 ms .. 100 ms
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_NEAR(h.Quantile(0.5), 0.05, 0.05 * 0.011);
  EXPECT_NEAR(h.Quantile(0.99), 0.099, 0.099 * 0.011);
  EXPECT_DOUBLE_EQ(h.Quantile(1), 0.1);
  EXPECT_NEAR(h.Quantile(0.001), 1e-4, 2e-6);
  LatencyHistogram other;
  other.Record(500);  // beyond the last bucket: kept, and max is exact
  h.Merge(other);
  EXPECT_EQ(h.count(), 1001u);
  EXPECT_EQ(h.max(), 500);
  EXPECT_EQ(h.Quantile(1), 500);
  h.Reset();
  EXPECT_EQ(h.count(), 0u);
}

TEST(PathMixTest, ParseAndSmoothWeights) {
  auto p = ParseWeightedPath("/health=2");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->path, "/health");
  EXPECT_EQ(p->weight, 2);
  EXPECT_EQ(ParseWeightedPath("/")->weight, 1);
  EXPECT_EQ(ParseWeightedPath("/=8")->path, "/");
  EXPECT_EQ(ParseWeightedPath("/a?x=1")->path, "/a?x=1");
  EXPECT_EQ(ParseWeightedPath("/a?x=1=3")->weight, 3);
  EXPECT_FALSE(ParseWeightedPath("health=2").ok());
  EXPECT_FALSE(ParseWeightedPath("/=0").ok());
  EXPECT_FALSE(ParseWeightedPath("").ok());
  EXPECT_FALSE(ParseWeightedPath("/a b").ok());
  EXPECT_FALSE(ParseWeightedPath("/\xf1\xf5").ok());

  PathMix mix({{"/", 8}, {"/health", 2}});
  std::vector<int> counts(2);
  std::string seq;
  for (int i = 0; i < 10; ++i) {
    size_t k = mix.Next();
    ++counts[k];
    seq += k ? 'h' : '.';
  }
  EXPECT_EQ(counts, (std::vector<int>{8, 2}));
  EXPECT_EQ(seq.find("hh"), std::string::npos) << "spread evenly: " << seq;
}

TEST(LoadOptionsTest, RejectsUnboundedOrInvalidRuns) {
  LoadOptions o;
  EXPECT_TRUE(ValidateLoadOptions(o).ok());
  auto bad = [](LoadOptions o, std::string_view want) {
    Status st = ValidateLoadOptions(o);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
  };
  LoadOptions u = o;
  u.duration = std::chrono::milliseconds(0);
  bad(u, "bounded");
  LoadOptions h = o;
  h.url = "https://x";
  bad(h, "http://");
  LoadOptions c = o;
  c.concurrency = 0;
  bad(c, "concurrency");
  LoadOptions r = o;
  r.rate = -1;
  bad(r, "rate");
  LoadOptions port = o;
  port.url = "http://127.0.0.1:99999/";
  bad(port, "invalid port");
}

class LoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ServerOptions so;
    so.listen_addr = "127.0.0.1:0";
    so.io_threads = 1;
    server_ = std::make_unique<http::Server>(so);
    server_->Route("GET", "/", [this](http::Request&, http::Response& r) {
      ++hits_;
      r.SetText(200, "ok");
    });
    server_->Route("GET", "/fail", [](http::Request&, http::Response& r) { r.SetText(500, "no"); });
    ASSERT_TRUE(server_->Start().ok());
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  std::unique_ptr<http::Server> server_;
  std::atomic<int> hits_{0};
  std::string url_;
};

TEST_F(LoadTest, BoundedByCountWithKeepAliveAndAPathMix) {
  LoadOptions o;
  o.url = url_;
  o.paths = {{"/", 3}, {"/fail", 1}};
  o.max_requests = 400;
  o.concurrency = 4;
  auto s = RunLoad(o, nullptr);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->sent, 400);
  EXPECT_EQ(s->responses, 400);
  EXPECT_EQ(s->by_status[200], 300);
  EXPECT_EQ(s->by_status[500], 100);
  EXPECT_EQ(s->errors, 100);
  EXPECT_EQ(s->by_path["/"], 300);
  EXPECT_EQ(s->connections, 4) << "keep-alive: one connection per worker";
  EXPECT_EQ(hits_, 300);
  EXPECT_EQ(s->latency.count(), 400u);
  EXPECT_GT(s->latency.Quantile(0.99), 0);
}

TEST_F(LoadTest, WithoutKeepAliveEachRequestConnects) {
  LoadOptions o;
  o.url = url_ + "/";
  o.max_requests = 50;
  o.concurrency = 2;
  o.keep_alive = false;
  auto s = RunLoad(o, nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->responses, 50);
  EXPECT_EQ(s->errors, 0);
  EXPECT_EQ(s->connections, 50);
}

TEST_F(LoadTest, HoldsTheRateForTheDurationAndReportsProgress) {
  LoadOptions o;
  o.url = url_;
  o.rate = 100;
  o.duration = std::chrono::milliseconds(600);
  o.concurrency = 2;
  o.progress_interval = std::chrono::milliseconds(200);
  int reports = 0;
  auto s = RunLoad(o, [&](const LoadStats& st) {
    ++reports;
    EXPECT_GT(st.elapsed_seconds, 0);
  });
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(static_cast<double>(s->responses), 60, 8);  // 100 req/s for 0.6 s
  EXPECT_LT(s->elapsed_seconds, 0.9);
  EXPECT_GE(reports, 2);
  EXPECT_NEAR(s->Rate(), 100, 20);
}

TEST(LoadDeadTargetTest, CountsConnectErrorsWithoutSpinning) {
  http::ServerOptions so;
  so.listen_addr = "127.0.0.1:0";
  int port;
  {
    http::Server s(so);
    ASSERT_TRUE(s.Start().ok());
    port = s.port();
  }  // closed: nothing listens there now
  LoadOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(port);
  o.duration = std::chrono::milliseconds(300);
  o.concurrency = 2;
  auto s = RunLoad(o, nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->responses, 0);
  EXPECT_GT(s->connect_errors, 0);
  EXPECT_LT(s->connect_errors, 40) << "a refused connection pauses before retrying";
  EXPECT_EQ(s->errors, s->connect_errors);
}

}  // namespace
}  // namespace sremon::loadgen
