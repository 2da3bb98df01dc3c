#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <thread>

#include <gtest/gtest.h>

#include "app/app.h"
#include "obs/metrics.h"
#include "util/strings.h"
#include "util/time.h"
#include "version.h"

namespace sremon::app {
namespace {

// The value of one exposition line "name{labels} value", or -1 when absent.
double SampleValue(const std::string& text, const std::string& series) {
  for (std::string_view line : Split(text, '\n')) {
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      auto v = ParseFloat(line.substr(series.size() + 1));
      return v.ok() ? *v : -1;
    }
  }
  return -1;
}

TEST(RequestMetricsTest, CountsByRouteMethodStatusWithBoundedLabels) {
  prometheus::Registry registry;
  RequestMetrics m(registry, {"/", "/health"});
  m.Observe("GET", "/", 200, 0.001);
  m.Observe("GET", "/", 200, 0.2);
  m.Observe("GET", "/", 500, 0.02);
  m.Observe("POST", "/", 405, 0.0001);
  // Client-made paths and methods collapse into one bounded value each.
  for (int i = 0; i < 50; ++i) m.Observe("GET", "/nope/" + std::to_string(i), 404, 0.0001);
  m.Observe("BREW", "/health", 405, 0.0001);
  std::string text = prometheus::TextSerializer().Serialize(registry.Collect());

  EXPECT_EQ(SampleValue(text, R"(app_requests_total{method="GET",path="/",status="200"})"), 2);
  EXPECT_EQ(SampleValue(text, R"(app_requests_total{method="GET",path="/",status="500"})"), 1);
  EXPECT_EQ(SampleValue(text, R"(app_requests_total{method="POST",path="/",status="405"})"), 1);
  EXPECT_EQ(SampleValue(text, R"(app_requests_total{method="GET",path="other",status="404"})"), 50);
  EXPECT_EQ(SampleValue(text, R"(app_requests_total{method="OTHER",path="/health",status="405"})"), 1);
  // Histogram with the Python client's default buckets, per route.
  EXPECT_EQ(SampleValue(text, R"(app_request_latency_seconds_count{path="/"})"), 4);
  EXPECT_EQ(SampleValue(text, R"(app_request_latency_seconds_bucket{path="/",le="0.005"})"), 2);
  EXPECT_EQ(SampleValue(text, R"(app_request_latency_seconds_bucket{path="/",le="0.025"})"), 3);
  EXPECT_EQ(SampleValue(text, R"(app_request_latency_seconds_bucket{path="/",le="0.25"})"), 4);
  EXPECT_EQ(SampleValue(text, R"(app_request_latency_seconds_bucket{path="/",le="10"})"), 4);
  EXPECT_EQ(SampleValue(text, R"(app_request_latency_seconds_bucket{path="/",le="+Inf"})"), 4);
  EXPECT_NEAR(SampleValue(text, R"(app_request_latency_seconds_sum{path="/"})"), 0.2211, 1e-9);
  EXPECT_EQ(text.find("nope"), std::string::npos);
  EXPECT_EQ(text.find("BREW"), std::string::npos);
}

TEST(RequestMetricsTest, ConcurrentFirstUseCreatesOneSeries) {
  prometheus::Registry registry;
  RequestMetrics m(registry, {"/"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) m.Observe("GET", "/", 200 + i % 3, 0.001);
    });
  }
  for (auto& t : threads) t.join();
  std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  double total = 0;
  for (int s = 200; s < 203; ++s) {
    total += SampleValue(text, R"(app_requests_total{method="GET",path="/",status=")" + std::to_string(s) + "\"}");
  }
  EXPECT_EQ(total, 4000);
  EXPECT_EQ(SampleValue(text, R"(app_request_latency_seconds_count{path="/"})"), 4000);
}

TEST(FaultSettingsTest, ParseAndValidate) {
  auto ok = [](std::string_view body, FaultSettings want) {
    auto s = ParseFaultSettings(body);
    ASSERT_TRUE(s.ok()) << body << ": " << s.status().ToString();
    EXPECT_EQ(*s, want) << body;
  };
  ok(R"({"error_rate":0.2,"latency_ms":300})", {0.2, 300});
  ok(R"({"error_rate":1})", {1, 0});
  ok(R"({"latency_ms":60000})", {0, 60000});
  ok("{}", {0, 0});
  auto bad = [](std::string_view body, std::string_view want_in_message) {
    auto s = ParseFaultSettings(body);
    ASSERT_FALSE(s.ok()) << body;
    EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(s.status().message().find(want_in_message), std::string::npos) << s.status().message();
  };
  bad("", "not valid JSON");
  bad("{\"error_rate\":", "not valid JSON");
  bad("[1,2]", "JSON object");
  bad(R"({"error_rate":1.5})", "between 0 and 1");
  bad(R"({"error_rate":-0.1})", "between 0 and 1");
  bad(R"({"error_rate":"0.2"})", "must be a number");
  bad(R"({"latency_ms":-1})", "latency_ms");
  bad(R"({"latency_ms":1e300})", "latency_ms");
  bad(R"({"errorRate":0.2})", "unknown field");
  bad(std::string(10000, '['), "not valid JSON");
  EXPECT_EQ(FaultSettingsJson({0.2, 300}), R"({"error_rate":0.2,"latency_ms":300})");
  EXPECT_FALSE(ValidateFaultSettings({std::nan(""), 0}).ok());
}

TEST(FaultSwitchTest, DecidesWithTheConfiguredProbability) {
  FaultSwitch f;
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(f.Decide().fail);
  f.Set({1, 25});
  EXPECT_TRUE(f.Decide().fail);
  EXPECT_EQ(f.Decide().delay, std::chrono::milliseconds(25));
  f.Set({0.3, 0});
  int fails = 0;
  for (int i = 0; i < 20000; ++i) fails += f.Decide().fail;
  EXPECT_GT(fails, 20000 * 0.25);  // 0.3 ± more than 15 standard deviations
  EXPECT_LT(fails, 20000 * 0.35);
  f.Clear();
  EXPECT_EQ(f.Get(), FaultSettings{});
}

class AppTest : public ::testing::Test {
 protected:
  void Start(AppOptions o) {
    o.listen_addr = o.listen_addr.empty() ? "127.0.0.1:0" : o.listen_addr;
    app_ = std::make_unique<App>(o);
    ASSERT_TRUE(app_->Start().ok());
    base_ = "http://127.0.0.1:" + std::to_string(app_->port());
  }
  http::ClientResponse Do(const std::string& method, const std::string& path, std::string body = "") {
    http::ClientRequest req;
    req.method = method;
    req.url = base_ + path;
    req.body = std::move(body);
    if (!req.body.empty()) req.headers.Add("Content-Type", "application/json");
    auto r = http::Fetch(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::ClientResponse{};
  }
  double Metric(const std::string& series) { return SampleValue(Do("GET", "/metrics").body, series); }

  std::unique_ptr<App> app_;
  std::string base_;
};

TEST_F(AppTest, RoutesAnswerLikeTheReferenceApp) {
  Start({});
  auto r = Do("GET", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"message":"ok"})");
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(Do("GET", "/health").body, R"({"status":"UP"})");
  EXPECT_EQ(Do("GET", "/uptime").body, R"({"uptime_seconds":0})");
  EXPECT_EQ(Do("GET", "/nope").status, 404);
  EXPECT_EQ(Do("POST", "/").status, 405);
  auto m = Do("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.headers.Get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  for (const char* name : {"process_start_time_seconds", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds"}) {
    EXPECT_GT(SampleValue(m.body, name), 0) << name;
  }
  EXPECT_GE(SampleValue(m.body, "process_cpu_seconds_total"), 0);  // may be 0 ticks in a fresh process
  EXPECT_EQ(SampleValue(m.body, R"(sremon_build_info{revision=")" + std::string(kRevision) + R"(",version=")" +
                                    kVersion + "\"}"),
            1);
  // The process metrics are this process's: start time within the last minutes, RSS plausible.
  double start = SampleValue(m.body, "process_start_time_seconds");
  EXPECT_NEAR(start, NowMs() / 1000.0, 600);
  EXPECT_GT(SampleValue(m.body, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(SampleValue(m.body, R"(app_requests_total{method="GET",path="other",status="404"})"), 1);
  EXPECT_GE(SampleValue(m.body, R"(app_requests_total{method="POST",path="/",status="405"})"), 1);
}

TEST_F(AppTest, CountsEveryRequestOnce) {
  Start({});
  const std::string ok = R"(app_requests_total{method="GET",path="/",status="200"})";
  const std::string hist = R"(app_request_latency_seconds_count{path="/"})";
  double before = std::max(0.0, Metric(ok)), hist_before = std::max(0.0, Metric(hist));
  for (int i = 0; i < 7; ++i) Do("GET", "/");
  EXPECT_EQ(Metric(ok), before + 7);
  EXPECT_EQ(Metric(hist), hist_before + 7);
}

TEST_F(AppTest, FaultSwitchFailsAndDelaysWithoutBlocking) {
  AppOptions o;
  o.io_threads = 1;  // one thread: a blocking sleep would stall /health below
  o.faults = {1, 0};
  Start(o);
  EXPECT_EQ(Do("GET", "/").status, 500);
  EXPECT_EQ(Do("GET", "/chaos").body, R"({"error_rate":1,"latency_ms":0})");
  auto set = Do("POST", "/chaos", R"({"latency_ms":400})");
  EXPECT_EQ(set.status, 200);
  EXPECT_EQ(set.body, R"({"error_rate":0,"latency_ms":400})");

  double t0 = MonotonicSeconds();
  double slow_done = 0;
  std::thread slow([&] {
    EXPECT_EQ(Do("GET", "/").status, 200);
    slow_done = MonotonicSeconds();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(Do("GET", "/health").status, 200);
  double health_done = MonotonicSeconds();
  slow.join();
  EXPECT_LT(health_done - t0, 0.3) << "a delayed request blocked the server";
  EXPECT_GE(slow_done - t0, 0.39);

  auto bad = Do("POST", "/chaos", R"({"error_rate":2})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("between 0 and 1"), std::string::npos);
  EXPECT_EQ(Do("POST", "/chaos", "garbage").status, 400);
  EXPECT_EQ(Do("GET", "/chaos").body, R"({"error_rate":0,"latency_ms":400})");  // unchanged by bad input
  EXPECT_EQ(Do("DELETE", "/chaos").body, R"({"error_rate":0,"latency_ms":0})");
  EXPECT_EQ(Do("GET", "/").status, 200);
}

// An address of this machine that is not loopback, or "" when there is none.
std::string NonLoopbackAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* a = list; a && found.empty(); a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) continue;
    auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
    found = buf;
  }
  freeifaddrs(list);
  return found;
}

TEST_F(AppTest, FaultSwitchRefusesRemoteCallers) {
  std::string addr = NonLoopbackAddress();
  if (addr.empty()) GTEST_SKIP() << "no non-loopback IPv4 address on this machine";
  AppOptions o;
  o.listen_addr = addr + ":0";
  app_ = std::make_unique<App>(o);
  ASSERT_TRUE(app_->Start().ok());
  base_ = "http://" + addr + ":" + std::to_string(app_->port());
  EXPECT_EQ(Do("GET", "/").status, 200);
  EXPECT_EQ(Do("POST", "/chaos", R"({"error_rate":1})").status, 403);
  EXPECT_EQ(Do("DELETE", "/chaos").status, 403);
  EXPECT_EQ(Do("GET", "/chaos").status, 403);
  EXPECT_EQ(app_->faults().Get(), FaultSettings{});
}

TEST_F(AppTest, WithoutInstrumentationNoRequestMetrics) {
  // Runs in its own process-wide registry state: only checks this app adds nothing new.
  AppOptions o;
  o.instrumentation = false;
  Start(o);
  const std::string series = R"(app_requests_total{method="GET",path="/uptime",status="200"})";
  double before = Metric(series);
  Do("GET", "/uptime");
  EXPECT_EQ(Metric(series), before);
}

TEST_F(AppTest, PortInUseIsAnErrorNamingTheAddress) {
  Start({});
  AppOptions o;
  o.listen_addr = "127.0.0.1:" + std::to_string(app_->port());
  App second(o);
  Status st = second.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("app: cannot listen on " + o.listen_addr), std::string::npos) << st.message();
}

}  // namespace
}  // namespace sremon::app
