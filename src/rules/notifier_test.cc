// The notifier against a real HTTP receiver (in-process http::Server), and the remote_write
// encoder.
#include "rules/notifier.h"

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <snappy.h>

#include "http/http.h"
#include "rules/remote_write.h"
#include "testutil/testutil.h"

namespace sremon::rules {
namespace {

struct Receiver {
  Receiver() : server(http::ServerOptions{.name = "am", .listen_addr = "127.0.0.1:0", .io_threads = 1, .worker_threads = 1}) {
    server.Route("POST", "/api/v2/alerts", [this](http::Request& req, http::Response& resp) {
      std::lock_guard<std::mutex> lock(mu);
      if (fail_first-- > 0) {
        resp.SetText(503, "busy");
        return;
      }
      bodies.push_back(req.body);
      resp.SetJson(200, "");
    });
    EXPECT_TRUE(server.Start().ok());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()); }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return bodies.size();
  }
  http::Server server;
  std::mutex mu;
  int fail_first = 0;
  std::vector<std::string> bodies;
};

bool WaitFor(const std::function<bool()>& f) {
  for (int i = 0; i < 300 && !f(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return f();
}

AlertMessage Msg(const std::string& name) {
  AlertMessage m;
  m.labels = model::Labels{{"alertname", name}, {"severity", "critical"}};
  m.annotations = {{"summary", "down"}};
  m.starts_at_ms = 1'700'000'000'000;
  m.ends_at_ms = 1'700'000'060'000;
  m.generator_url = "http://x/graph";
  return m;
}

TEST(Notifier, PostsAlertmanagerV2JsonWithRetries) {
  Receiver rx;
  rx.fail_first = 2;
  NotifierOptions o;
  o.urls = {rx.url()};
  o.initial_backoff = std::chrono::milliseconds(10);
  Notifier n(o);
  n.Start();
  n.Send({Msg("A"), Msg("B")});
  ASSERT_TRUE(WaitFor([&] { return rx.count() == 1; }));
  auto j = nlohmann::json::parse(rx.bodies[0]);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["labels"]["alertname"], "A");
  EXPECT_EQ(j[0]["annotations"]["summary"], "down");
  EXPECT_EQ(j[0]["startsAt"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(j[0]["endsAt"], "2023-11-14T22:14:20.000Z");
  EXPECT_EQ(j[0]["generatorURL"], "http://x/graph");
  n.Stop();
  EXPECT_EQ(n.sent(), 2u);
  EXPECT_EQ(n.errors(), 0u);
}

TEST(Notifier, BatchesAndGivesUp) {
  Receiver rx;
  rx.fail_first = 1000;
  NotifierOptions o;
  o.urls = {rx.url()};
  o.max_attempts = 2;
  o.initial_backoff = std::chrono::milliseconds(5);
  Notifier n(o);
  n.Start();
  n.Send({Msg("A")});
  ASSERT_TRUE(WaitFor([&] { return n.errors() == 1; }));
  n.Stop();
}

TEST(Notifier, BoundedQueueDropsOldest) {
  NotifierOptions o;
  o.urls = {"http://127.0.0.1:1"};
  o.queue_capacity = 2;
  Notifier n(o);  // not started: everything stays queued
  n.Send({Msg("A"), Msg("B"), Msg("C"), Msg("D"), Msg("E")});
  EXPECT_EQ(n.dropped(), 3u);
}

TEST(Notifier, LargeBatchesAreSplit) {
  Receiver rx;
  NotifierOptions o;
  o.urls = {rx.url()};
  o.max_batch = 3;
  Notifier n(o);
  std::vector<AlertMessage> many;
  for (int i = 0; i < 7; ++i) many.push_back(Msg("A" + std::to_string(i)));
  n.Send(many);
  n.Start();
  ASSERT_TRUE(WaitFor([&] { return n.sent() == 7; }));
  EXPECT_EQ(rx.count(), 3u);
  n.Stop();
}

TEST(RemoteWrite, EncodesPrompbWriteRequest) {
  std::vector<OutSample> s{{model::Labels{{"__name__", "a"}}, 1, 1.0}};
  std::string body = EncodeWriteRequest(s);
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  // WriteRequest{timeseries: [{labels: [{name: "__name__", value: "a"}], samples: [{value: 1, timestamp: 1}]}]}
  const unsigned char want[] = {0x0a, 0x1c, 0x0a, 0x0d, 0x0a, 0x08, '_', '_', 'n', 'a', 'm', 'e', '_', '_', 0x12, 0x01, 'a',
                                0x12, 0x0b, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x01};
  EXPECT_EQ(raw, std::string(reinterpret_cast<const char*>(want), sizeof(want)));
}

TEST(RemoteWrite, PostsSnappyProtobuf) {
  http::Server server(http::ServerOptions{.name = "rw", .listen_addr = "127.0.0.1:0", .io_threads = 1, .worker_threads = 1});
  std::mutex mu;
  std::vector<std::string> got;
  server.Route("POST", "/api/v1/write", [&](http::Request& req, http::Response& resp) {
    EXPECT_EQ(req.headers.Get("Content-Encoding"), "snappy");
    std::string raw;
    EXPECT_TRUE(snappy::Uncompress(req.body.data(), req.body.size(), &raw));
    std::lock_guard<std::mutex> lock(mu);
    got.push_back(raw);
    resp.status = 204;
  });
  ASSERT_TRUE(server.Start().ok());
  RemoteWriteOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(server.port());
  o.flush_interval = std::chrono::milliseconds(20);
  RemoteWriteClient w(o);
  w.Start();
  w.Push({{model::Labels{{"__name__", "a"}}, 1, 1.0}});
  ASSERT_TRUE(WaitFor([&] { return w.sent() == 1; }));
  w.Stop();
  std::lock_guard<std::mutex> lock(mu);
  std::string want;
  std::string body = EncodeWriteRequest({{model::Labels{{"__name__", "a"}}, 1, 1.0}});
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &want));
  EXPECT_EQ(got.at(0), want);
}

}  // namespace
}  // namespace sremon::rules
