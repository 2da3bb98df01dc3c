#include "rules/notifier.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "http/http.h"
#include "http/retry.h"
#include "obs/metrics.h"
#include "util/time.h"

namespace sremon::rules {

std::string EncodeAlerts(const std::vector<AlertMessage>& alerts) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& a : alerts) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& l : a.labels) labels[l.name] = l.value;
    nlohmann::json annotations = nlohmann::json::object();
    for (const auto& [k, v] : a.annotations) annotations[k] = v;
    nlohmann::json j = {{"labels", labels}, {"annotations", annotations}};
    if (a.starts_at_ms) j["startsAt"] = FormatRfc3339Ms(a.starts_at_ms);
    if (a.ends_at_ms) j["endsAt"] = FormatRfc3339Ms(a.ends_at_ms);
    if (!a.generator_url.empty()) j["generatorURL"] = a.generator_url;
    arr.push_back(std::move(j));
  }
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Notifier::Notifier(NotifierOptions options)
    : options_(std::move(options)),
      queue_({options_.queue_capacity, options_.max_batch, std::chrono::milliseconds(0)},
             [this](std::vector<AlertMessage> batch) { Deliver(std::move(batch)); },
             [this](uint64_t n) { dropped_metric_->Increment(static_cast<double>(n)); }) {
  auto& reg = obs::Registry();
  dropped_metric_ = &prometheus::BuildCounter().Name("vmalert_alerts_dropped_total")
                         .Help("Alerts dropped because the notification queue was full").Register(reg).Add({});
  auto& sent = prometheus::BuildCounter().Name("vmalert_alerts_sent_total").Help("Alerts sent to Alertmanager").Register(reg);
  auto& errs = prometheus::BuildCounter().Name("vmalert_alerts_send_errors_total")
                   .Help("Batches of alerts that could not be sent after all retries").Register(reg);
  for (const auto& u : options_.urls) {
    sent_metrics_.push_back(&sent.Add({{"addr", http::RedactUrl(u)}}));
    error_metrics_.push_back(&errs.Add({{"addr", http::RedactUrl(u)}}));
  }
}

Notifier::~Notifier() { Stop(std::chrono::milliseconds(0)); }

void Notifier::Start() {
  if (!options_.urls.empty()) queue_.Start();
}

void Notifier::Stop(std::chrono::milliseconds drain) { queue_.Stop(drain); }

void Notifier::Send(std::vector<AlertMessage> alerts) {
  if (!options_.urls.empty()) queue_.Push(std::move(alerts));
}

uint64_t Notifier::dropped() const { return queue_.dropped(); }
uint64_t Notifier::sent() const { return sent_; }
uint64_t Notifier::errors() const { return errors_; }

bool Notifier::PostWithRetry(const std::string& base, const std::string& body, size_t n) {
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.find("/api/v2/alerts") == std::string::npos) url += "/api/v2/alerts";
  http::ClientRequest req;
  req.method = "POST";
  req.url = url;
  req.headers.Set("Content-Type", "application/json");
  req.headers.Set("User-Agent", "sremon-rules");
  req.body = body;
  req.timeout = options_.timeout;
  http::RetryPolicy policy;
  policy.initial_backoff = options_.initial_backoff;
  policy.max_backoff = options_.max_backoff;
  policy.max_attempts = options_.max_attempts;
  auto sleep = [this](std::chrono::milliseconds d) { return queue_.Backoff(d); };
  auto log = [&](int attempt, const Result<http::ClientResponse>& resp) {
    std::string why = resp.ok() ? fmt::format("HTTP {}: {}", resp->status, resp->body.substr(0, 200)) : resp.status().message();
    spdlog::warn("notifier: cannot send {} alerts to {} (attempt {}/{}): {}", n, http::RedactUrl(url), attempt, options_.max_attempts, why);
  };
  return http::RetryPolicy::Succeeded(http::FetchWithRetry(req, policy, sleep, log));
}

void Notifier::Deliver(std::vector<AlertMessage> batch) {
  std::string body = EncodeAlerts(batch);
  bool any = false;
  for (size_t i = 0; i < options_.urls.size(); ++i) {
    bool ok = PostWithRetry(options_.urls[i], body, batch.size());
    any |= ok;
    if (ok) {
      sent_metrics_[i]->Increment(static_cast<double>(batch.size()));
    } else {
      error_metrics_[i]->Increment();
      ++errors_;
    }
  }
  if (any) sent_ += batch.size();
}

}  // namespace sremon::rules
