// Shared pieces of the rules end-to-end suites: queries on Debian's victoria-metrics (started by
// testutil::VictoriaMetrics: the datasource and remote_write receiver), an in-process HTTP
// receiver that records what it is sent, and helpers to start `sremon rules`. Waits are
// testutil::Poll.
#pragma once

#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "rules/datasource.h"
#include "testutil/probes.h"
#include "testutil/testutil.h"
#include "testutil/victoria_metrics.h"
#include "util/time.h"

namespace sremon::rules::e2e {

// An instant query on VictoriaMetrics through the rules' own datasource client.
inline Result<promql::Vector> Query(const testutil::VictoriaMetrics& vm, const std::string& q) {
  DatasourceOptions o;
  o.url = vm.url();
  return MakeHttpQueryFn(o)(q, NowMs());
}

// Records every request body sent to `path`.
class Receiver {
 public:
  explicit Receiver(const std::string& path) : server_(Options()) {
    server_.Route("POST", path, [this](http::Request& req, http::Response& resp) {
      std::lock_guard<std::mutex> lock(mu_);
      bodies_.push_back(req.body);
      resp.SetText(200, "");
    });
    EXPECT_TRUE(server_.Start().ok());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  // Every alert object received so far (Alertmanager API arrays or webhook payloads' alerts).
  std::vector<nlohmann::json> Alerts() {
    std::vector<nlohmann::json> out;
    for (const auto& b : bodies()) {
      auto j = nlohmann::json::parse(b, nullptr, false);
      if (j.is_array()) {
        for (auto& a : j) out.push_back(a);
      } else if (j.is_object() && j.contains("alerts")) {
        for (auto& a : j["alerts"]) out.push_back(a);
      }
    }
    return out;
  }

 private:
  static http::ServerOptions Options() {
    http::ServerOptions o;
    o.name = "receiver";
    o.listen_addr = "127.0.0.1:0";
    o.io_threads = 1;
    o.worker_threads = 1;
    return o;
  }
  http::Server server_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

// `sremon rules` on a free port.
class RulesService {
 public:
  RulesService(const testutil::TempDir& dir, std::vector<std::string> flags, const std::string& log = "rules.log")
      : port_(testutil::FreePort()) {
    std::vector<std::string> argv{testutil::SremonBin(), "rules", "-httpListenAddr=127.0.0.1:" + std::to_string(port_)};
    for (auto& f : flags) argv.push_back(std::move(f));
    child_ = std::make_unique<testutil::Child>(argv, dir.File(log));
    ok_ = testutil::WaitHttpOk(url() + "/health", std::chrono::milliseconds(10000));
  }
  bool ok() const { return ok_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  testutil::Child& child() { return *child_; }
  nlohmann::json GetJson(const std::string& path) {
    auto r = http::Get(url() + path);
    if (!r.ok()) return nlohmann::json();
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  // The alerts of /api/v1/alerts.
  std::vector<nlohmann::json> Alerts() {
    auto j = GetJson("/api/v1/alerts");
    std::vector<nlohmann::json> out;
    if (j.is_object() && j.contains("data")) {
      for (auto& a : j["data"]["alerts"]) out.push_back(a);
    }
    return out;
  }

 private:
  int port_;
  std::unique_ptr<testutil::Child> child_;
  bool ok_ = false;
};

}  // namespace sremon::rules::e2e
