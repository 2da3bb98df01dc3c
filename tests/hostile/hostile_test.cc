// Bad input at every public endpoint (issue #8): one shared table of hostile requests — garbage
// request lines, huge headers, wrong content types, invalid UTF-8, deeply nested JSON, truncated
// and oversized bodies, slowloris connections — sent over raw sockets to every service of the
// stack, each started as a real `sremon` process. Every service must answer 4xx or close the
// connection, never 5xx, and must keep serving its health endpoint afterwards.

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http/http.h"
#include "testutil/raw_conn.h"
#include "testutil/testutil.h"

namespace sremon {
namespace {

using namespace std::chrono_literals;
using testutil::Child;
using testutil::RawConn;
using testutil::TempDir;

struct Endpoint {
  std::string method;
  std::string path;
};

struct ServiceSpec {
  std::string name;
  // Arguments after `sremon NAME`, given the port and a scratch directory.
  std::function<std::vector<std::string>(int port, const TempDir& dir)> args;
  std::string health_path;
  std::vector<Endpoint> body_endpoints;  // endpoints that read a request body
};

// Test names and failure messages show the service name, not the struct's bytes.
void PrintTo(const ServiceSpec& spec, std::ostream* os) { *os << spec.name; }

std::string Listen(int port) { return "127.0.0.1:" + std::to_string(port); }

const std::vector<ServiceSpec>& Services() {
  static const std::vector<ServiceSpec> kServices = {
      {"app",
       [](int port, const TempDir&) { return std::vector<std::string>{"-httpListenAddr=" + Listen(port)}; },
       "/health",
       {{"POST", "/chaos"}}},
      {"storage",
       [](int port, const TempDir& dir) {
         return std::vector<std::string>{"-httpListenAddr=" + Listen(port), "-storageDataPath=" + dir.File("storage")};
       },
       "/health",
       {{"POST", "/api/v1/import/prometheus"},
        {"POST", "/api/v1/write"},
        {"POST", "/api/v1/import"},
        {"POST", "/api/v1/query"},
        {"POST", "/api/v1/query_range"},
        {"POST", "/api/v1/series"}}},
      {"rules",
       [](int port, const TempDir& dir) {
         testutil::WriteFile(dir.File("rules.yml"), "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n");
         return std::vector<std::string>{"-httpListenAddr=" + Listen(port), "-rule=" + dir.File("rules.yml"),
                                         "-datasource.url=http://127.0.0.1:1", "-notifier.url=http://127.0.0.1:1"};
       },
       "/health",
       {{"POST", "/-/reload"}}},
      {"alertmanager",
       [](int port, const TempDir& dir) {
         testutil::WriteFile(dir.File("am.yml"),
                             "route:\n  receiver: default\nreceivers:\n  - name: default\n    webhook_configs:\n"
                             "      - url: http://127.0.0.1:1/webhook\n");
         return std::vector<std::string>{"--web.listen-address=" + Listen(port), "--config.file=" + dir.File("am.yml"),
                                         "--storage.path=" + dir.File("am")};
       },
       "/-/healthy",
       {{"POST", "/api/v2/alerts"}, {"POST", "/api/v2/silences"}}},
      {"inbox",
       [](int port, const TempDir& dir) {
         return std::vector<std::string>{"-httpListenAddr=" + Listen(port), "-storageDataPath=" + dir.File("inbox")};
       },
       "/health",
       {{"POST", "/webhook"}}},
      {"dashboards",
       [](int port, const TempDir& dir) {
         return std::vector<std::string>{"-httpListenAddr=" + Listen(port), "--data=" + dir.File("dashboards")};
       },
       "/api/health",
       {{"POST", "/login"}, {"POST", "/api/dashboards/db"}}},
  };
  return kServices;
}

class HostileTest : public ::testing::TestWithParam<ServiceSpec> {
 protected:
  void SetUp() override {
    const ServiceSpec& spec = GetParam();
    unsetenv("SREMON_STACK_URLS");  // alone, whatever the environment of the test run
    port_ = testutil::FreePort();
    std::vector<std::string> argv = {testutil::SremonBin(), spec.name};
    for (auto& a : spec.args(port_, dir_)) argv.push_back(a);
    log_ = dir_.File("service.log");
    child_ = std::make_unique<Child>(argv, log_);
    bool healthy = false;
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         !healthy && child_->Running() && std::chrono::steady_clock::now() < deadline;) {
      healthy = testutil::WaitHttpOk(Url(spec.health_path), 200ms);
    }
    if (!healthy) {
      FAIL() << spec.name << " did not become healthy; log:\n" << testutil::ReadFile(log_);
    }
  }

  std::string Url(const std::string& path) const { return "http://" + Listen(port_) + path; }

  // The service must still be running and healthy.
  void ExpectAlive(const std::string& after) {
    ASSERT_TRUE(child_->Running()) << GetParam().name << " died after " << after << "; log:\n"
                                   << testutil::ReadFile(log_);
    auto r = http::Get(Url(GetParam().health_path), 3s);
    ASSERT_TRUE(r.ok() && r->status == 200) << GetParam().name << " unhealthy after " << after;
  }

  // A full request on a fresh connection; returns the status (0 = closed without answer).
  int SendRaw(const std::string& request, bool half_close = false, std::chrono::milliseconds wait = 5s) {
    RawConn c(port_);
    EXPECT_TRUE(c.ok());
    if (!c.Send(request)) return 0;
    if (half_close) c.ShutdownWrite();
    return c.ReadStatus(wait);
  }

  std::string Request(const Endpoint& e, const std::string& content_type, const std::string& body) {
    return e.method + " " + e.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + content_type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }

  int port_ = 0;
  TempDir dir_;
  std::string log_;
  std::unique_ptr<Child> child_;
};

// 4xx, or the connection closed without an answer: both are a refusal.
void ExpectRefused(int status, const std::string& what) {
  EXPECT_TRUE(status == 0 || (status >= 400 && status < 500)) << what << " answered " << status;
}

TEST_P(HostileTest, MalformedRequestLinesAndHeaders) {
  ExpectRefused(SendRaw("GARBAGE\r\n\r\n"), "garbage request line");
  ExpectRefused(SendRaw("GET / HTTP/9.9\r\nHost: x\r\n\r\n"), "unknown HTTP version");
  ExpectRefused(SendRaw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(200 * 1024, 'a') + "\r\n\r\n"),
                "a 200 KB header");
  ExpectRefused(SendRaw("GET /health HTTP/1.1\r\nHost: x\r\nBad Header Name: v\r\n\r\n"), "an invalid header name");
  ExpectRefused(SendRaw(std::string("\xff\xfe\x00\x01 / HTTP/1.1\r\n\r\n", 18)), "binary junk");
  ExpectAlive("malformed requests");
}

TEST_P(HostileTest, HostileBodies) {
  std::string deep_json(200000, '[');
  std::string invalid_utf8 = "{\"labels\":{\"a\":\"\xff\xfe\xc3\x28\"},\"x\":\"\xed\xa0\x80\"}";
  struct Case {
    const char* what;
    std::string content_type;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"garbage with a wrong content type", "text/plain", "this is not what you expect \x01\x02\x03"},
      {"garbage declared as JSON", "application/json", "{\"unterminated\": [1, 2,"},
      {"garbage declared as protobuf", "application/x-protobuf", std::string("\x0a\xff\xff\xff\xff\x0f", 6)},
      {"garbage declared as form", "application/x-www-form-urlencoded", "query=%ZZ%&&&==&step=-1"},
      {"invalid UTF-8 in JSON", "application/json", invalid_utf8},
      {"200k-deep JSON", "application/json", deep_json},
      {"JSON of the wrong shape", "application/json", "[1, \"two\", {\"three\": null}]"},
      {"an empty body", "application/json", ""},
  };
  for (const Endpoint& e : GetParam().body_endpoints) {
    for (const Case& c : cases) {
      int status = SendRaw(Request(e, c.content_type, c.body));
      std::string what = e.method + " " + e.path + " with " + c.what;
      // Some endpoints accept a few of these as valid (an empty reload body, an empty import):
      // what matters is no server error and no crash.
      EXPECT_TRUE(status == 0 || (status >= 200 && status < 500)) << what << " answered " << status;
      ExpectAlive(what);
    }
  }
}

TEST_P(HostileTest, TruncatedAndOversizedBodies) {
  for (const Endpoint& e : GetParam().body_endpoints) {
    // Declares 1000 bytes, sends 10, then closes its side.
    std::string head = e.method + " " + e.path +
                       " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    SendRaw(head + "{\"a\": [1, ", /*half_close=*/true, 2s);
    // Declares 2 GB: refused from the headers, without reading it all.
    std::string huge = e.method + " " + e.path +
                       " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n";
    ExpectRefused(SendRaw(huge + std::string(64 * 1024, 'x'), false, 5s), e.path + " with a 2 GB body");
    // A broken chunked encoding.
    ExpectRefused(SendRaw(e.method + " " + e.path +
                          " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n"),
                  e.path + " with broken chunked encoding");
    ExpectAlive("truncated and oversized bodies on " + e.path);
  }
}

TEST_P(HostileTest, InvalidUtf8AndJunkInUrls) {
  for (const char* target : {"/%ff%fe%00?x=%c3%28", "/api/v1/query?query=%ff%fe&time=%00", "/../../../etc/passwd",
                             "/api/v1/label/%ff/values", "/?a=b&&&=&%"}) {
    int status = SendRaw(std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(status == 0 || (status >= 200 && status < 500)) << target << " answered " << status;
  }
  ExpectAlive("junk URLs");
}

TEST_P(HostileTest, SlowlorisDoesNotStarveOthers) {
  // 40 connections dribble a request one byte at a time; the service must keep answering.
  std::vector<std::unique_ptr<RawConn>> slow;
  for (int i = 0; i < 40; ++i) slow.push_back(std::make_unique<RawConn>(port_));
  const std::string dribble = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  for (int round = 0; round < 10; ++round) {
    for (auto& c : slow) c->Send(std::string(1, dribble[static_cast<size_t>(round) % dribble.size()]));
    auto start = std::chrono::steady_clock::now();
    auto r = http::Get(Url(GetParam().health_path), 2s);
    ASSERT_TRUE(r.ok() && r->status == 200) << "health check failed during slowloris round " << round;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    std::this_thread::sleep_for(100ms);
  }
  ExpectAlive("slowloris");
}

// Not hostile, but this suite is where every service runs alone: its home page has the stack's
// shared header and works without the supervisor's SREMON_STACK_URLS (no links to other
// services), and /flags answers.
TEST_P(HostileTest, HomePageAloneHasTheSharedHeader) {
  const std::string& name = GetParam().name;
  if (name == "app" || name == "dashboards") GTEST_SKIP() << name << " has its own UI";
  auto r = http::Get(Url("/"), 5s);
  ASSERT_TRUE(r.ok() && r->status == 200) << name;
  EXPECT_NE(r->body.find("<b>sremon " + name + "</b>"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("<a href=\"/metrics\">"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("class=\"stack\""), std::string::npos) << "stack links without a stack: " << r->body;
  auto flags = http::Get(Url("/flags"), 5s);
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->status, 200) << name;
}

INSTANTIATE_TEST_SUITE_P(Stack, HostileTest, ::testing::ValuesIn(Services()),
                         [](const ::testing::TestParamInfo<ServiceSpec>& info) { return info.param.name; });

}  // namespace
}  // namespace sremon
