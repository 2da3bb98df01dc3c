#include "scrape/scrape_loop.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "expo/parser.h"
#include "http/http.h"
#include "obs/metrics.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::scrape {
namespace {

// What Prometheus sends: OpenMetrics preferred, then the text format.
constexpr const char* kAcceptHeader =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
constexpr size_t kExcerptBytes = 200;

std::string ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(Trim(ss.str()));
}

struct ScrapeMetrics {
  prometheus::Counter& scrapes;
  prometheus::Counter& failed;
  prometheus::Counter& samples;
  prometheus::Counter& bytes;
};

ScrapeMetrics& Metrics() {
  static ScrapeMetrics m = [] {
    auto& reg = obs::Registry();
    auto& scrapes = prometheus::BuildCounter().Name("vm_promscrape_scrapes_total").Help("Scrapes performed.").Register(reg);
    auto& failed = prometheus::BuildCounter()
                       .Name("vm_promscrape_scrapes_failed_total")
                       .Help("Scrapes that failed (connect, timeout, HTTP status, parse, limits).")
                       .Register(reg);
    auto& samples =
        prometheus::BuildCounter().Name("vm_promscrape_scraped_samples_total").Help("Samples scraped.").Register(reg);
    auto& bytes = prometheus::BuildCounter()
                      .Name("vm_promscrape_conn_bytes_read_total")
                      .Help("Bytes of scraped pages (after decompression).")
                      .Register(reg);
    return ScrapeMetrics{scrapes.Add({}), failed.Add({}), samples.Add({}), bytes.Add({})};
  }();
  return m;
}

// True when the current sample line names the label, whatever its value (even "").
bool PageHasLabel(const expo::Parser& parser, std::string_view name) {
  for (const auto& l : parser.labels()) {
    if (l.name == name) return true;
  }
  return false;
}

}  // namespace

ScrapeLoop::ScrapeLoop(std::shared_ptr<const ScrapeConfig> job, Target target, model::Labels external_labels,
                       storage::Appendable* appendable)
    : job_(std::move(job)),
      target_(std::move(target)),
      external_labels_(std::move(external_labels)),
      appendable_(appendable) {
  if (job_->basic_auth) {
    std::string password = job_->basic_auth->password;
    if (!job_->basic_auth->password_file.empty()) password = ReadSecretFile(job_->basic_auth->password_file);
    auth_header_ = "Basic " + http::Base64Encode(job_->basic_auth->username + ":" + password);
  } else if (!job_->bearer_token.empty()) {
    auth_header_ = "Bearer " + job_->bearer_token;
  } else if (!job_->bearer_token_file.empty()) {
    auth_header_ = "Bearer " + ReadSecretFile(job_->bearer_token_file);
  }
}

ScrapeLoop::~ScrapeLoop() { Stop(false); }

int64_t ScrapeLoop::OffsetMs() const {
  uint64_t h = target_.labels.Hash() ^ std::hash<std::string>()(target_.url);
  return static_cast<int64_t>(h % static_cast<uint64_t>(job_->scrape_interval_ms));
}

void ScrapeLoop::Start() {
  std::lock_guard<std::mutex> l(run_mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void ScrapeLoop::SignalStop() {
  {
    std::lock_guard<std::mutex> l(run_mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void ScrapeLoop::Stop(bool write_stale) {
  SignalStop();
  if (thread_.joinable()) thread_.join();
  if (write_stale && iteration_ > 0) {
    auto app = appendable_->NewAppender();
    int64_t now = NowMs();
    WriteStale(app.get(), now, /*all=*/true);
    model::LabelsBuilder lb(target_.labels);
    for (const char* name : {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                             "scrape_samples_post_metric_relabeling", "scrape_series_added"}) {
      lb.Set(model::kMetricName, name);
      (void)app->Append(lb.Build(), now, model::StaleNaN());
    }
    (void)app->Commit();
  }
}

void ScrapeLoop::Run() {
  const int64_t interval = job_->scrape_interval_ms;
  int64_t now = NowMs();
  // The first scrape lands at this target's offset within the interval, then every interval.
  int64_t next = now - now % interval + OffsetMs();
  if (next < now) next += interval;
  std::unique_lock<std::mutex> l(run_mu_);
  while (!stop_) {
    int64_t wait = next - NowMs();
    if (wait > 0) {
      cv_.wait_for(l, std::chrono::milliseconds(wait), [this] { return stop_; });
      if (stop_) break;
    }
    l.unlock();
    ScrapeOnce(next);
    l.lock();
    next += interval;
    now = NowMs();
    if (next <= now) next += ((now - next) / interval + 1) * interval;  // skip missed slots
  }
}

void ScrapeLoop::RecordFailure(int64_t ts_ms, double duration_s, std::string phase, std::string error,
                               std::string_view body) {
  Metrics().failed.Increment();
  std::lock_guard<std::mutex> l(mu_);
  status_.health = "down";
  status_.last_error = error;
  status_.last_scrape_ms = ts_ms;
  status_.last_duration_s = duration_s;
  status_.last_samples = 0;
  status_.failures.push_front(ScrapeFailure{ts_ms, std::move(phase), std::move(error),
                                            std::string(body.substr(0, std::min(body.size(), kExcerptBytes)))});
  if (status_.failures.size() > kMaxFailures) status_.failures.pop_back();
}

void ScrapeLoop::WriteStale(storage::Appender* app, int64_t ts_ms, bool all) {
  // Series seen in the previous scrape but not in this one get a staleness marker; entries
  // older than that were already marked and are forgotten.
  for (auto it = cache_.begin(); it != cache_.end();) {
    CacheEntry& e = it->second;
    bool seen_now = e.last_seen == iteration_ && !all;
    // In the previous scrape: a failed scrape may have touched last_seen, so check prev_seen.
    bool seen_before = e.last_seen + 1 == iteration_ || (e.last_seen == iteration_ && e.prev_seen + 1 == iteration_);
    if (!seen_now && seen_before && !e.labels.empty()) {
      (void)app->Append(e.labels, ts_ms, model::StaleNaN());
    }
    if (!seen_now && (all || e.last_seen + 1 < iteration_)) {
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
  if (all) page_order_.clear();  // it points into the entries just erased
}

void ScrapeLoop::AppendReport(storage::Appender* app, int64_t ts_ms, double up, double duration_s, uint64_t scraped,
                              uint64_t post_relabel, uint64_t added) {
  model::LabelsBuilder lb(target_.labels);
  auto add = [&](const char* name, double v) {
    lb.Set(model::kMetricName, name);
    (void)app->Append(lb.Build(), ts_ms, v);
  };
  add("up", up);
  add("scrape_duration_seconds", duration_s);
  add("scrape_samples_scraped", static_cast<double>(scraped));
  add("scrape_samples_post_metric_relabeling", static_cast<double>(post_relabel));
  add("scrape_series_added", static_cast<double>(added));
}

void ScrapeLoop::ScrapeOnce(int64_t ts_ms) {
  ++iteration_;
  Metrics().scrapes.Increment();
  double start = MonotonicSeconds();
  http::ClientRequest req;
  req.url = target_.url;
  req.tls = job_->tls;
  req.timeout = std::chrono::milliseconds(job_->scrape_timeout_ms);
  req.headers.Set("Accept", kAcceptHeader);
  req.headers.Set("Accept-Encoding", "gzip");
  req.headers.Set("User-Agent", "sremon/storage");
  req.headers.Set("X-Prometheus-Scrape-Timeout-Seconds", FormatFloatG(job_->scrape_timeout_ms / 1000.0));
  if (!auth_header_.empty()) req.headers.Set("Authorization", auth_header_);
  auto resp = http::Fetch(req);

  auto app = appendable_->NewAppender();
  auto fail = [&](std::string phase, std::string error, std::string_view body) {
    double dur = MonotonicSeconds() - start;
    app->Rollback();
    app = appendable_->NewAppender();
    WriteStale(app.get(), ts_ms, /*all=*/true);
    AppendReport(app.get(), ts_ms, 0, dur, 0, 0, 0);
    Status st = app->Commit();
    if (!st.ok()) spdlog::warn("scrape {}: cannot store the report series: {}", target_.url, st.message());
    RecordFailure(ts_ms, dur, std::move(phase), std::move(error), body);
  };

  if (!resp.ok()) {
    const Status& st = resp.status();
    return fail(http::FetchErrorPhase(st), st.message(), "");
  }
  const std::string& body = resp->body;
  Metrics().bytes.Increment(static_cast<double>(body.size()));
  if (resp->status < 200 || resp->status > 299) {
    return fail("HTTP status",
                fmt::format("server returned HTTP status {} {}", resp->status, http::StatusText(resp->status)), body);
  }

  expo::Format format = expo::FormatFromContentType(resp->headers.Get("Content-Type"));
  expo::Parser parser(body, format);
  std::map<std::string, storage::MetricMetadata> meta;
  uint64_t scraped = 0, post_relabel = 0, added = 0;
  const ScrapeConfig& job = *job_;
  std::vector<model::Label> scratch;
  std::vector<CacheEntry*> order;  // this page's page_order_
  order.reserve(page_order_.size());
  size_t expected = 0;
  for (expo::Entry e = parser.Next(); e != expo::Entry::kEnd; e = parser.Next()) {
    switch (e) {
      case expo::Entry::kType: meta[std::string(parser.family())].type = expo::MetricTypeName(parser.type()); continue;
      case expo::Entry::kHelp: meta[std::string(parser.family())].help = parser.help(); continue;
      case expo::Entry::kUnit: meta[std::string(parser.family())].unit = parser.unit(); continue;
      default: break;
    }
    ++scraped;
    int64_t t = job.honor_timestamps && parser.has_timestamp() ? parser.timestamp_ms() : ts_ms;
    std::string_view text = parser.series_text();
    CacheEntry* found = nullptr;
    bool inserted = false;
    if (expected < page_order_.size() && page_order_[expected]->text == text) {
      found = page_order_[expected];
    } else if (auto it = cache_.find(text); it != cache_.end()) {
      found = &it->second;
    } else {
      auto [ins, ok] = cache_.emplace(std::string(text), CacheEntry{});
      found = &ins->second;
      found->text = ins->first;
      found->order = page_order_.size();  // no successor known
      inserted = true;
    }
    CacheEntry& ce = *found;
    expected = ce.order + 1;
    if (ce.last_seen != iteration_) {
      ce.order = order.size();  // page_order_ is read through `expected` before this is used
      order.push_back(&ce);
    }
    if (inserted) {
      // Slow path, once per new series: merge target labels, relabel, check limits.
      scratch.clear();
      scratch.push_back({std::string(model::kMetricName), std::string(parser.name())});
      for (const auto& l : parser.labels()) scratch.push_back({std::string(l.name), std::string(l.value)});
      model::LabelsBuilder lb{model::Labels(scratch)};
      for (const auto& l : target_.labels) {
        std::string_view existing = lb.Get(l.name);
        if (job.honor_labels) {
          // The page's label wins even when empty: a Pushgateway group pushed without an
          // instance exposes instance="", and Prometheus and VictoriaMetrics then store no
          // instance at all rather than the target's address.
          if (!PageHasLabel(parser, l.name)) lb.Set(l.name, l.value);
        } else {
          if (!existing.empty()) lb.Set("exported_" + l.name, existing);
          lb.Set(l.name, l.value);
        }
      }
      for (const auto& l : external_labels_) {
        if (lb.Get(l.name).empty()) lb.Set(l.name, l.value);
      }
      if (Relabel(job.metric_relabel_configs, &lb)) ce.labels = lb.Build();
      ++added;
    } else if (ce.last_seen + 1 < iteration_) {
      ++added;
    }
    if (ce.last_seen == iteration_) continue;  // the same series twice in one page: first wins
    ce.prev_seen = ce.last_seen;
    ce.last_seen = iteration_;
    if (ce.labels.empty()) continue;  // dropped by metric_relabel_configs
    ++post_relabel;
    if (job.label_limit > 0 && ce.labels.size() - 1 > job.label_limit) {
      return fail("limit",
                  fmt::format("label_limit exceeded: {} has {} labels, limit {}", ce.labels.ToString(),
                              ce.labels.size() - 1, job.label_limit),
                  "");
    }
    if (job.sample_limit > 0 && post_relabel > job.sample_limit) {
      return fail("limit", fmt::format("sample_limit exceeded: more than {} samples", job.sample_limit), "");
    }
    (void)app->Append(ce.labels, t, parser.value());
  }
  if (!parser.status().ok()) {
    // Nothing of a malformed page is kept (Prometheus rolls the whole scrape back).
    return fail("parse", parser.status().message(), parser.line_text());
  }
  double dur = MonotonicSeconds() - start;
  WriteStale(app.get(), ts_ms, /*all=*/false);  // forgets only entries missing from this page
  page_order_ = std::move(order);
  AppendReport(app.get(), ts_ms, 1, dur, scraped, post_relabel, added);
  Status st = app->Commit();
  if (!st.ok()) return fail("storage", st.message(), "");
  Metrics().samples.Increment(static_cast<double>(scraped));
  std::lock_guard<std::mutex> l(mu_);
  status_.health = "up";
  status_.last_error.clear();
  status_.last_scrape_ms = ts_ms;
  status_.last_duration_s = dur;
  status_.last_samples = scraped;
  meta_ = std::move(meta);
}

TargetStatus ScrapeLoop::GetStatus() const {
  std::lock_guard<std::mutex> l(mu_);
  return status_;
}

std::map<std::string, storage::MetricMetadata> ScrapeLoop::Metadata() const {
  std::lock_guard<std::mutex> l(mu_);
  return meta_;
}

}  // namespace sremon::scrape
