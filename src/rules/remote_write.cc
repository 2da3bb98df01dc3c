#include "rules/remote_write.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/http.h"
#include "http/retry.h"
#include "ingest/remote_write_codec.h"
#include "obs/metrics.h"

namespace sremon::rules {

std::string EncodeWriteRequest(const std::vector<OutSample>& samples) {
  std::vector<ingest::SeriesSamples> series;
  series.reserve(samples.size());
  for (const auto& s : samples) series.push_back({s.labels, {{s.t, s.v}}});
  return ingest::EncodeRemoteWrite(series);
}

RemoteWriteClient::RemoteWriteClient(RemoteWriteOptions options)
    : options_(std::move(options)),
      queue_({options_.queue_capacity, options_.max_batch, options_.flush_interval},
             [this](std::vector<OutSample> batch) { Deliver(std::move(batch)); },
             [this](uint64_t n) { dropped_metric_->Increment(static_cast<double>(n)); }) {
  url_ = options_.url;
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  // vmalert takes the base URL and appends /api/v1/write; a full write URL is kept as is.
  if (url_.find("/api/") == std::string::npos && url_.find("/write") == std::string::npos) url_ += "/api/v1/write";
  auto& reg = obs::Registry();
  sent_metric_ = &prometheus::BuildCounter().Name("vmalert_remotewrite_sent_rows_total").Help("Samples written over remote_write").Register(reg).Add({});
  dropped_metric_ = &prometheus::BuildCounter().Name("vmalert_remotewrite_dropped_rows_total").Help("Samples dropped: queue full or write failed").Register(reg).Add({});
  errors_metric_ = &prometheus::BuildCounter().Name("vmalert_remotewrite_errors_total").Help("Failed remote_write requests").Register(reg).Add({});
}

RemoteWriteClient::~RemoteWriteClient() { Stop(std::chrono::milliseconds(0)); }

void RemoteWriteClient::Start() { queue_.Start(); }

void RemoteWriteClient::Stop(std::chrono::milliseconds drain) { queue_.Stop(drain); }

void RemoteWriteClient::Push(std::vector<OutSample> samples) { queue_.Push(std::move(samples)); }

uint64_t RemoteWriteClient::sent() const { return sent_; }
uint64_t RemoteWriteClient::dropped() const { return queue_.dropped(); }

bool RemoteWriteClient::Post(const std::string& body) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = url_;
  req.headers.Set("Content-Type", "application/x-protobuf");
  req.headers.Set("Content-Encoding", "snappy");
  req.headers.Set("X-Prometheus-Remote-Write-Version", "0.1.0");
  req.body = body;
  req.timeout = options_.timeout;
  http::RetryPolicy policy;  // 200 ms doubling to 5 s
  policy.max_attempts = options_.max_attempts;
  auto sleep = [this](std::chrono::milliseconds d) { return queue_.Backoff(d); };
  auto log = [this](int attempt, const Result<http::ClientResponse>& resp) {
    errors_metric_->Increment();
    spdlog::warn("remote write to {} failed (attempt {}/{}): {}", http::RedactUrl(url_), attempt, options_.max_attempts,
                 resp.ok() ? fmt::format("HTTP {}: {}", resp->status, resp->body.substr(0, 200)) : resp.status().message());
  };
  return http::RetryPolicy::Succeeded(http::FetchWithRetry(req, policy, sleep, log));
}

void RemoteWriteClient::Deliver(std::vector<OutSample> batch) {
  if (Post(EncodeWriteRequest(batch))) {
    sent_ += batch.size();
    sent_metric_->Increment(static_cast<double>(batch.size()));
  } else {
    queue_.Dropped(batch.size());
  }
}

}  // namespace sremon::rules
