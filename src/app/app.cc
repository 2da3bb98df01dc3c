#include "app/app.h"

#include <spdlog/spdlog.h>

#include "http/access.h"
#include "obs/metrics.h"
#include "util/go_compat.h"
#include "util/strings.h"

namespace sremon::app {

namespace {

constexpr const char* kJson = "application/json";

http::ServerOptions ServerOptionsFor(const AppOptions& o) {
  http::ServerOptions so;
  so.name = "app";
  so.listen_addr = o.listen_addr;
  so.io_threads = o.io_threads;
  so.worker_threads = 1;  // every handler is non-blocking
  so.max_body_bytes = 64 << 10;
  return so;
}

}  // namespace

const std::vector<std::string>& App::Routes() {
  static const std::vector<std::string> routes = {"/", "/health", "/uptime", "/metrics", "/chaos"};
  return routes;
}

App::App(AppOptions options)
    : options_(std::move(options)), server_(ServerOptionsFor(options_)), started_(std::chrono::steady_clock::now()) {
  faults_.Set(options_.faults);
  if (options_.instrumentation) {
    metrics_ = std::make_unique<RequestMetrics>(obs::Registry(), Routes());
    server_.SetObserver([m = metrics_.get()](const http::Request& req, const http::Response& resp,
                                             std::string_view route, double seconds) {
      // No route matched (404, or 405 on a known path): the raw path is mapped to a route or
      // to kOtherPath by RequestMetrics, so client-made URLs never become label values.
      m->Observe(req.method, route.empty() ? std::string_view(req.path) : route, resp.status, seconds);
    });
  }
  AddRoutes();
}

App::~App() { Stop(); }

void App::AddRoutes() {
  server_.RouteAsync("GET", "/", [this](http::Request&, http::Reply reply) {
    FaultSwitch::Decision d = faults_.Decide();
    http::Response r;
    if (d.fail) {
      r.SetJson(500, R"({"error":"injected fault: see GET /chaos"})");
    } else {
      r.SetJson(200, R"({"message":"ok"})");
    }
    if (d.delay.count() == 0) return reply(std::move(r));
    // The delay is a timer on the I/O threads: slow answers never hold a thread.
    server_.RunAfter(d.delay, [reply = std::move(reply), r = std::move(r)]() mutable { reply(std::move(r)); });
  });
  server_.Route("GET", "/health", [](http::Request&, http::Response& r) { r.SetJson(200, R"({"status":"UP"})"); });
  server_.Route("GET", "/uptime", [this](http::Request&, http::Response& r) {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
    r.SetJson(200, "{\"uptime_seconds\":" + std::to_string(secs.count()) + "}");
  });
  server_.Route("GET", "/metrics", [](http::Request&, http::Response& r) {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = obs::RenderMetrics();
  });

  // The fault switch changes what the app answers, so only local callers may touch it.
  auto local_only = [](const http::Request& req, http::Response& r) {
    if (req.from_loopback) return true;
    r.SetJson(403, R"({"error":"the fault switch only accepts requests from loopback"})");
    return false;
  };
  server_.Route("GET", "/chaos", [this, local_only](http::Request& req, http::Response& r) {
    if (local_only(req, r)) r.SetJson(200, FaultSettingsJson(faults_.Get()));
  });
  server_.Route("POST", "/chaos", http::StateChanging([this, local_only](http::Request& req, http::Response& r) {
    if (!local_only(req, r)) return;
    auto s = ParseFaultSettings(req.body);
    if (!s.ok()) {
      std::string body = "{\"error\":";
      AppendJsonString(&body, s.status().message());
      r.SetJson(400, body + "}");
      return;
    }
    faults_.Set(*s);
    spdlog::warn("fault switch set: error_rate={} latency_ms={}", s->error_rate, s->latency_ms);
    r.SetJson(200, FaultSettingsJson(*s));
  }));
  server_.Route("DELETE", "/chaos", http::StateChanging([this, local_only](http::Request& req, http::Response& r) {
    if (!local_only(req, r)) return;
    faults_.Clear();
    spdlog::warn("fault switch cleared");
    r.SetJson(200, FaultSettingsJson(faults_.Get()));
  }));
}

Status App::Start() {
  SREMON_RETURN_IF_ERROR(server_.Start());
  FaultSettings f = faults_.Get();
  if (f.error_rate > 0 || f.latency_ms > 0) {
    spdlog::warn("fault switch on at start: error_rate={} latency_ms={}", f.error_rate, f.latency_ms);
  }
  return Status::Ok();
}

void App::Stop() { server_.Stop(); }

}  // namespace sremon::app
