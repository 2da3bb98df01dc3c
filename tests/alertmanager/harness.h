// Acceptance-test harness modelled on Alertmanager's test/with_api_v2: a real `sremon
// alertmanager` process, an in-process webhook receiver recording each POST as a batch with its
// arrival time, actions scheduled at fractional seconds from time 0 (server ready), and
// assertions "a batch in [a,b] holds exactly these alerts" plus the total alert count.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "testutil/testutil.h"
#include "util/time.h"

namespace sremon::amtest {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Batch {
  double at;  // seconds since time 0
  json payload;
};

// Expected or pushed alert: labels and times in seconds relative to time 0 (<= 0: not set).
struct TAlert {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  double start = 0, end = 0;
  TAlert& Active(double s, double e = 0) {
    start = s;
    end = e;
    return *this;
  }
  TAlert& Annotate(std::string k, std::string v) {
    annotations[k] = v;
    return *this;
  }
};
inline TAlert A(std::map<std::string, std::string> labels) { return TAlert{std::move(labels), {}, 0, 0}; }

class Webhook {
 public:
  // behaviour(at) returns the HTTP status to answer, or 0 to record nothing and answer 200
  // (upstream's "discard" mock).
  explicit Webhook(std::function<int(double)> behaviour = nullptr) : behaviour_(std::move(behaviour)) {
    http::ServerOptions o;
    o.name = "webhook";
    o.listen_addr = "127.0.0.1:0";
    o.io_threads = 1;
    server_ = std::make_unique<http::Server>(o);
    server_->RoutePrefix("", "/", [this](http::Request& req, http::Response& resp) {
      double at = Now();
      int code = behaviour_ ? behaviour_(at) : 200;
      if (code == 200) {
        std::lock_guard lock(mu_);
        batches_.push_back({at, json::parse(req.body, nullptr, false)});
        requests_.push_back(std::string(req.headers.Get("Authorization")));
      }
      resp.SetText(code == 0 ? 200 : code, "");
    });
    EXPECT_TRUE(server_->Start().ok());
  }
  ~Webhook() { server_->Stop(std::chrono::milliseconds(100)); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/webhook"; }
  void SetZero(Clock::time_point t0) { t0_ = t0; }
  double Now() const { return std::chrono::duration<double>(Clock::now() - t0_.load()).count(); }
  std::vector<Batch> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }
  std::vector<std::string> auth_headers() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  std::function<int(double)> behaviour_;
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mu_;
  std::vector<Batch> batches_;
  std::vector<std::string> requests_;
  std::atomic<Clock::time_point> t0_{Clock::now()};
};

class AmServer {
 public:
  explicit AmServer(const std::string& config, std::string storage = "") : storage_(std::move(storage)) {
    testutil::WriteFile(dir_.File("am.yml"), config);
    if (storage_.empty()) storage_ = dir_.File("data");
    Start();
  }
  void Start() {
    port_ = testutil::FreePort();
    child_ = std::make_unique<testutil::Child>(
        std::vector<std::string>{testutil::SremonBin(), "alertmanager", "--config.file=" + dir_.File("am.yml"),
                                 "--storage.path=" + storage_, "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                 "--log.level=debug", "--cluster.listen-address="},
        dir_.File("am.log"));
    ASSERT_TRUE(testutil::WaitHttpOk(url() + "/api/v2/status")) << testutil::ReadFile(dir_.File("am.log"));
    t0_ = Clock::now();
  }
  void Kill9() {
    child_->Stop(SIGKILL);
    child_.reset();
  }
  void Reload() { kill(child_->pid(), SIGHUP); }
  void WriteConfig(const std::string& c) { testutil::WriteFile(dir_.File("am.yml"), c); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return testutil::ReadFile(dir_.File("am.log")); }
  Clock::time_point t0() const { return t0_; }
  const std::string& storage() const { return storage_; }
  const testutil::TempDir& dir() const { return dir_; }

  // Absolute time of a relative second.
  int64_t Abs(double s) const {
    auto since = std::chrono::duration_cast<std::chrono::milliseconds>(t0_ - Clock::now()).count();
    return NowMs() + since + static_cast<int64_t>(s * 1000);
  }
  void At(double s) const { std::this_thread::sleep_until(t0_ + std::chrono::milliseconds(static_cast<int64_t>(s * 1000))); }

  http::ClientResponse Push(const std::vector<TAlert>& alerts) const {
    json arr = json::array();
    for (const auto& a : alerts) {
      json j = {{"labels", a.labels}, {"annotations", a.annotations}};
      if (a.start > 0) j["startsAt"] = FormatRfc3339Ms(Abs(a.start));
      if (a.end > 0) j["endsAt"] = FormatRfc3339Ms(Abs(a.end));
      arr.push_back(j);
    }
    auto r = http::Post(url() + "/api/v2/alerts", arr.dump(), "application/json");
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().message());
    return r.ok() ? *r : http::ClientResponse{};
  }
  std::string SetSilence(const json& matchers, double start, double end) const {
    json s = {{"matchers", matchers}, {"startsAt", FormatRfc3339Ms(Abs(start))}, {"endsAt", FormatRfc3339Ms(Abs(end))},
              {"createdBy", "test"}, {"comment", "test"}};
    auto r = http::Post(url() + "/api/v2/silences", s.dump(), "application/json");
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().message());
    return r.ok() ? json::parse(r->body).value("silenceID", "") : "";
  }
  void DelSilence(const std::string& id) const {
    http::ClientRequest req;
    req.method = "DELETE";
    req.url = url() + "/api/v2/silence/" + id;
    auto r = http::Fetch(req);
    EXPECT_TRUE(r.ok() && r->status == 200);
  }
  json GetJson(const std::string& path) const {
    auto r = http::Get(url() + path);
    EXPECT_TRUE(r.ok() && r->status == 200) << path;
    return r.ok() ? json::parse(r->body, nullptr, false) : json();
  }

 private:
  testutil::TempDir dir_;
  std::string storage_;
  int port_ = 0;
  std::unique_ptr<testutil::Child> child_;
  Clock::time_point t0_;
};

// Does the batch hold exactly these alerts (labels, annotations, times within tol seconds)?
inline bool BatchMatches(const json& payload, const std::vector<TAlert>& want, const AmServer& am, double tol) {
  if (!payload.is_object() || !payload.contains("alerts") || payload["alerts"].size() != want.size()) return false;
  std::vector<bool> used(want.size(), false);
  for (const auto& got : payload["alerts"]) {
    bool found = false;
    for (size_t i = 0; i < want.size() && !found; ++i) {
      if (used[i]) continue;
      const TAlert& w = want[i];
      if (got["labels"] != json(w.labels) || got["annotations"] != json(w.annotations)) continue;
      auto start = ParseRfc3339(got["startsAt"].get<std::string>());
      if (!start.ok() || std::abs(static_cast<double>(*start - am.Abs(w.start))) > tol * 1000) continue;
      std::string ends = got["endsAt"].get<std::string>();
      if (w.end <= 0) {
        if (ends != "0001-01-01T00:00:00Z" || got["status"] != "firing") continue;
      } else {
        auto end = ParseRfc3339(ends);
        if (!end.ok() || std::abs(static_cast<double>(*end - am.Abs(w.end))) > tol * 1000 || got["status"] != "resolved") continue;
      }
      used[i] = found = true;
    }
    if (!found) return false;
  }
  return true;
}

struct Expectation {
  double from, to;
  std::vector<TAlert> alerts;  // empty: nothing may arrive in [from, to]
};

inline void CheckBatches(const Webhook& wh, const AmServer& am, const std::vector<Expectation>& want, double tol = 0.15) {
  auto batches = wh.batches();
  std::string dump;
  for (const auto& b : batches) dump += "  at " + std::to_string(b.at) + ": " + b.payload.dump() + "\n";
  size_t total_want = 0, total_got = 0;
  for (const auto& b : batches) {
    EXPECT_FALSE(b.payload["alerts"].empty()) << "empty batch\n" << dump;
    total_got += b.payload["alerts"].size();
  }
  for (const auto& e : want) {
    total_want += e.alerts.size();
    bool ok = false;
    for (const auto& b : batches) {
      if (b.at < e.from || b.at > e.to) continue;
      if (e.alerts.empty()) {
        ADD_FAILURE() << "unexpected batch in [" << e.from << "," << e.to << "]\n" << dump;
        ok = true;
      } else if (BatchMatches(b.payload, e.alerts, am, tol)) {
        ok = true;
      }
    }
    if (!e.alerts.empty()) EXPECT_TRUE(ok) << "no matching batch in [" << e.from << "," << e.to << "]\n" << dump;
  }
  EXPECT_EQ(total_got, total_want) << dump;
}

}  // namespace sremon::amtest
