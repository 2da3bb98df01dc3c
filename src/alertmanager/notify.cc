#include "alertmanager/notify.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "http/http.h"
#include "http/retry.h"
#include "obs/metrics.h"
#include "smtp/smtp.h"
#include "util/strings.h"
#include "util/time.h"
#include "version.h"

namespace sremon::alertmanager {

namespace {

using ojson = nlohmann::ordered_json;

ojson LabelsJson(const model::Labels& ls) {
  ojson o = ojson::object();
  for (const auto& l : ls) o[l.name] = l.value;
  return o;
}
ojson AnnotationsJson(const Annotations& as) {
  ojson o = ojson::object();
  for (const auto& [k, v] : as) o[k] = v;
  return o;
}

// Go's regexp.QuoteMeta: upstream puts the receiver name through it in template data.
std::string QuoteMeta(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(R"(\.+*?()|[]{}^$)").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string Truncate(std::string s, size_t n) {
  if (s.size() > n) s.resize(n);
  return s;
}

// Upstream's retry stage (notify.go RetryStage): 500ms × 1.5ⁿ, ±50% jitter, at most 60s, until
// the flush deadline; an HTTP integration retries a 5xx or no answer, never a 4xx (429 included).
http::RetryPolicy NotifyRetryPolicy() {
  http::RetryPolicy p;
  p.initial_backoff = std::chrono::milliseconds(500);
  p.max_backoff = std::chrono::milliseconds(60000);
  p.multiplier = 1.5;
  p.jitter = 0.5;
  p.retry_too_many_requests = false;
  return p;
}

SendResult HttpSend(const std::string& url, const HttpConfig& hc, std::string body, int64_t timeout_ms) {
  SendResult r;
  r.target = http::RedactUrl(url);  // shown in the history and the API
  r.payload = body;
  http::ClientRequest req;
  req.method = "POST";
  req.url = url;
  req.body = std::move(body);
  req.headers.Set("Content-Type", "application/json");
  req.headers.Set("User-Agent", "Alertmanager/0.25.0");
  if (std::string auth = hc.AuthorizationHeader(); !auth.empty()) req.headers.Set("Authorization", auth);
  req.timeout = std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 1));
  auto resp = http::Fetch(req);
  if (!resp.ok()) {
    r.status = Status::Unavailable(resp.status().message());
    r.retry = true;
    return r;
  }
  r.http_status = resp->status;
  r.response = Truncate(resp->body, 1024);
  if (http::RetryPolicy::Succeeded(resp)) return r;
  r.retry = NotifyRetryPolicy().Retryable(resp);
  r.status = Status::Unavailable(fmt::format("unexpected status code {}: {}", resp->status, Truncate(resp->body, 256)));
  return r;
}

class WebhookIntegration : public Integration {
 public:
  explicit WebhookIntegration(WebhookConfig c) : c_(std::move(c)) {}
  const char* name() const override { return "webhook"; }
  bool send_resolved() const override { return c_.send_resolved; }
  SendResult Send(const NotifyData& data, int64_t timeout_ms) override {
    return HttpSend(c_.url, c_.http, WebhookPayload(data, c_.max_alerts), timeout_ms);
  }

 private:
  WebhookConfig c_;
};

class SlackIntegration : public Integration {
 public:
  SlackIntegration(SlackConfig c, TemplateFn tmpl) : c_(std::move(c)), tmpl_(std::move(tmpl)) {}
  const char* name() const override { return "slack"; }
  bool send_resolved() const override { return c_.send_resolved; }
  SendResult Send(const NotifyData& data, int64_t timeout_ms) override {
    Status err;
    auto render = [&](const std::string& t) -> std::string {
      if (!tmpl_) return t;
      auto r = tmpl_(t, data);
      if (!r.ok()) {
        if (err.ok()) err = r.status();
        return "";
      }
      return *r;
    };
    ojson att = {{"title", render(c_.title)},
                 {"title_link", render(c_.title_link)},
                 {"pretext", render(c_.pretext)},
                 {"text", render(c_.text)},
                 {"fallback", render(c_.fallback)},
                 {"color", render(c_.color)},
                 {"mrkdwn_in", {"fallback", "pretext", "text"}}};
    ojson msg = {{"channel", render(c_.channel)},
                 {"username", render(c_.username)},
                 {"icon_emoji", render(c_.icon_emoji)},
                 {"icon_url", render(c_.icon_url)},
                 {"attachments", ojson::array({att})}};
    if (!err.ok()) {
      SendResult r;
      r.status = Status::InvalidArgument("template error: " + err.message());
      r.target = http::RedactUrl(c_.api_url);
      return r;
    }
    return HttpSend(c_.api_url, c_.http, msg.dump(), timeout_ms);
  }

 private:
  SlackConfig c_;
  TemplateFn tmpl_;
};

// The address part of "Name <a@b>" or "a@b".
std::string BareAddress(std::string_view s) {
  s = Trim(s);
  size_t lt = s.find('<'), gt = s.rfind('>');
  if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt) s = s.substr(lt + 1, gt - lt - 1);
  return std::string(s);
}

class EmailIntegration : public Integration {
 public:
  EmailIntegration(EmailConfig c, TemplateFn tmpl) : c_(std::move(c)), tmpl_(std::move(tmpl)) {}
  const char* name() const override { return "email"; }
  bool send_resolved() const override { return c_.send_resolved; }
  SendResult Send(const NotifyData& data, int64_t timeout_ms) override {
    SendResult r;
    r.target = "smtp://" + c_.smarthost;
    auto render = [&](const std::string& t) -> Result<std::string> {
      if (!tmpl_) return t;
      return tmpl_(t, data);
    };
    std::string headers;
    for (const auto& [k, v] : c_.headers) {
      auto val = render(v);
      if (!val.ok()) {
        r.status = Status::InvalidArgument(fmt::format("template error in header {}: {}", k, val.status().message()));
        return r;
      }
      headers += k + ": " + *val + "\r\n";
    }
    auto html = render(c_.html);
    auto text = c_.text.empty() ? Result<std::string>(std::string()) : render(c_.text);
    if (!html.ok() || !text.ok()) {
      r.status = Status::InvalidArgument("template error: " + (!html.ok() ? html.status() : text.status()).message());
      return r;
    }
    char date[64];
    time_t now = static_cast<time_t>(data.now / 1000);
    struct tm tm {};
    gmtime_r(&now, &tm);
    std::strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    std::string boundary = NewUuid();
    std::string msg = headers + "Date: " + date + "\r\nMessage-Id: <" + NewUuid() + "@sremon>\r\n" +
                      "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=" + boundary + "\r\n\r\n";
    if (!text->empty()) {
      msg += "--" + boundary + "\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + *text + "\r\n";
    }
    msg += "--" + boundary + "\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n" + *html + "\r\n--" + boundary +
           "--\r\n";
    r.payload = msg;

    smtp::Message m;
    m.smarthost = c_.smarthost;
    m.hello = c_.hello;
    m.require_tls = c_.require_tls;
    // As upstream: port 465 is SMTP over TLS from the first byte (RFC 8314), not STARTTLS.
    m.implicit_tls = c_.smarthost.size() > 4 && c_.smarthost.ends_with(":465");
    m.tls = c_.tls;
    m.username = c_.auth_username;
    m.password = c_.auth_password;
    m.identity = c_.auth_identity;
    m.from = BareAddress(c_.from);
    for (auto to : Split(c_.to, ',')) {
      if (!Trim(to).empty()) m.to.push_back(BareAddress(to));
    }
    m.data = std::move(msg);
    m.timeout = std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 1));
    smtp::SendResult sent = smtp::SendMail(m);
    r.http_status = sent.last_code;
    if (!sent.status.ok()) {
      r.status = Status::Unavailable(fmt::format("send e-mail: {}", sent.status.message()));
      r.retry = true;
    }
    return r;
  }

 private:
  EmailConfig c_;
  TemplateFn tmpl_;
};

}  // namespace

bool NotifyData::AnyFiring() const {
  for (const auto& a : alerts) {
    if (!a.ResolvedAt(now)) return true;
  }
  return false;
}

model::Labels NotifyData::CommonLabels() const {
  if (alerts.empty()) return {};
  std::vector<model::Label> common = alerts[0].labels.items();
  for (size_t i = 1; i < alerts.size(); ++i) {
    std::erase_if(common, [&](const model::Label& l) { return alerts[i].labels.Get(l.name) != l.value; });
  }
  return model::Labels(std::move(common));
}

Annotations NotifyData::CommonAnnotations() const {
  if (alerts.empty()) return {};
  Annotations common = alerts[0].annotations;
  for (size_t i = 1; i < alerts.size(); ++i) {
    std::erase_if(common, [&](const auto& kv) {
      auto it = alerts[i].annotations.find(kv.first);
      return it == alerts[i].annotations.end() || it->second != kv.second;
    });
  }
  return common;
}

std::string WebhookPayload(const NotifyData& in, int max_alerts) {
  NotifyData data = in;
  size_t truncated = 0;
  if (max_alerts > 0 && data.alerts.size() > static_cast<size_t>(max_alerts)) {
    truncated = data.alerts.size() - max_alerts;
    data.alerts.resize(max_alerts);
  }
  ojson alerts = ojson::array();
  for (const auto& a : data.alerts) {
    bool resolved = a.ResolvedAt(data.now);
    alerts.push_back({{"status", resolved ? "resolved" : "firing"},
                      {"labels", LabelsJson(a.labels)},
                      {"annotations", AnnotationsJson(a.annotations)},
                      {"startsAt", FormatGoTime(a.starts_at)},
                      {"endsAt", FormatGoTime(resolved ? a.ends_at : 0)},
                      {"generatorURL", a.generator_url},
                      {"fingerprint", FingerprintString(a.Fingerprint())}});
  }
  ojson msg = {{"receiver", QuoteMeta(data.receiver)},
               {"status", data.AnyFiring() ? "firing" : "resolved"},
               {"alerts", alerts},
               {"groupLabels", LabelsJson(data.group_labels)},
               {"commonLabels", LabelsJson(data.CommonLabels())},
               {"commonAnnotations", AnnotationsJson(data.CommonAnnotations())},
               {"externalURL", data.external_url},
               {"version", "4"},
               {"groupKey", data.group_key},
               {"truncatedAlerts", truncated}};
  return msg.dump();
}

std::vector<std::unique_ptr<Integration>> BuildIntegrations(const Receiver& r, TemplateFn tmpl) {
  std::vector<std::unique_ptr<Integration>> out;
  for (size_t i = 0; i < r.webhooks.size(); ++i) {
    out.push_back(std::make_unique<WebhookIntegration>(r.webhooks[i]));
    out.back()->index = static_cast<int>(i);
  }
  for (size_t i = 0; i < r.emails.size(); ++i) {
    out.push_back(std::make_unique<EmailIntegration>(r.emails[i], tmpl));
    out.back()->index = static_cast<int>(i);
  }
  for (size_t i = 0; i < r.slacks.size(); ++i) {
    out.push_back(std::make_unique<SlackIntegration>(r.slacks[i], tmpl));
    out.back()->index = static_cast<int>(i);
  }
  return out;
}

Pipeline::Pipeline(PipelineDeps deps) : deps_(std::move(deps)) {
  for (const auto& r : deps_.config->receivers) integrations_[r.name] = BuildIntegrations(r, deps_.tmpl);
}

void Pipeline::Record(const Integration& in, const NotifyData& data, const SendResult& r, int64_t start,
                      double seconds, bool test, uint64_t* history_id) {
  if (!deps_.history) return;
  HistoryAttempt a;
  a.time = start;
  a.ok = r.status.ok();
  a.error = r.status.message();
  a.http_status = r.http_status;
  a.response = r.response;
  a.duration_seconds = seconds;
  if (*history_id != 0) {
    deps_.history->AddAttempt(*history_id, std::move(a));
    return;
  }
  HistoryRecord h;
  h.time = start;
  h.receiver = data.receiver;
  h.integration = fmt::format("{}[{}]", in.name(), in.index);
  h.group_key = data.group_key;
  h.status = data.AnyFiring() ? "firing" : "resolved";
  h.SetAlerts(data.alerts);
  h.SetPayload(r.payload);
  h.target = r.target;
  h.AddAttempt(std::move(a));
  h.test = test;
  *history_id = deps_.history->Add(std::move(h));
}

namespace {
// Upstream's metric names, so existing dashboards and alerts on the alertmanager keep working.
prometheus::Family<prometheus::Counter>& NotificationsTotal() {
  static auto& f = prometheus::BuildCounter()
                       .Name("alertmanager_notifications_total")
                       .Help("The total number of attempted notifications.")
                       .Register(obs::Registry());
  return f;
}
prometheus::Family<prometheus::Counter>& NotificationsFailed() {
  static auto& f = prometheus::BuildCounter()
                       .Name("alertmanager_notifications_failed_total")
                       .Help("The total number of failed notifications.")
                       .Register(obs::Registry());
  return f;
}
}  // namespace

bool Pipeline::NotifyIntegration(Integration* in, const RouteOpts& opts, const NotifyData& all, int64_t deadline_ms,
                                 const std::atomic<bool>* stop) {
  // Dedup stage: decide from the notification log whether this group needs a notification.
  std::set<uint64_t> firing, resolved;
  for (const auto& a : all.alerts) (a.ResolvedAt(all.now) ? resolved : firing).insert(a.Fingerprint());
  std::string recv_key = fmt::format("{}/{}/{}", all.receiver, in->name(), in->index);
  NflogEntry prev;
  bool have = deps_.nflog->Query(recv_key, all.group_key, &prev);
  bool needs;
  if (!have) {
    needs = !firing.empty();
  } else if (!std::includes(prev.firing.begin(), prev.firing.end(), firing.begin(), firing.end())) {
    needs = true;
  } else if (firing.empty()) {
    // All resolved: tell the receiver only if it knew about firing alerts (regardless of
    // send_resolved, so that the log forgets them).
    needs = !prev.firing.empty();
  } else if (in->send_resolved() &&
             !std::includes(prev.resolved.begin(), prev.resolved.end(), resolved.begin(), resolved.end())) {
    needs = true;
  } else {
    needs = prev.timestamp < all.now - opts.repeat_interval;
  }
  if (!needs) return true;

  // Retry stage. Without send_resolved, resolved alerts are left out of the message, and a
  // message of only resolved alerts is not sent but still logged.
  NotifyData data = all;
  bool skip_send = false;
  if (!in->send_resolved()) {
    if (firing.empty()) {
      skip_send = true;
    } else {
      std::erase_if(data.alerts, [&](const Alert& a) { return a.ResolvedAt(data.now); });
    }
  }
  if (!skip_send) {
    // The shared retry loop (http::Retry), not FetchWithRetry: an integration need not be HTTP
    // (e-mail), each attempt gets what is left of the flush deadline and is recorded.
    uint64_t history_id = 0;  // one history record per notification, with its attempts
    int attempts = 0;
    SendResult r;
    auto attempt = [&](int n) {
      attempts = n;
      int64_t start = NowMs();
      double t0 = MonotonicSeconds();
      r = in->Send(data, deadline_ms - start);
      Record(*in, data, r, start, MonotonicSeconds() - t0, false, &history_id);
      NotificationsTotal().Add({{"integration", in->name()}}).Increment();
      if (r.status.ok()) return true;
      NotificationsFailed().Add({{"integration", in->name()}}).Increment();
      if (!r.retry) {
        spdlog::error("notify {} {}: {} (not retrying)", all.receiver, in->name(), r.status.message());
        return true;
      }
      spdlog::warn("notify {} {} attempt {}: {}", all.receiver, in->name(), n, r.status.message());
      return false;
    };
    auto sleep = [&](std::chrono::milliseconds d) {
      int64_t until = NowMs() + d.count();
      if (until >= deadline_ms) {
        spdlog::error("notify {} {}: giving up after {} attempts: {}", all.receiver, in->name(), attempts,
                      r.status.message());
        return false;
      }
      while (NowMs() < until) {
        if (stop && stop->load()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(50, until - NowMs() + 1)));
      }
      return true;
    };
    http::Retry(NotifyRetryPolicy(), attempt, sleep);
    if (!r.status.ok()) return false;
  }
  NflogEntry e;
  e.receiver = recv_key;
  e.group_key = all.group_key;
  e.firing = std::move(firing);
  e.resolved = std::move(resolved);
  e.timestamp = deps_.clock();
  // Kept for twice the repeat interval at least, as upstream keeps entries past retention.
  e.expires_at = e.timestamp + std::max<int64_t>(2 * opts.repeat_interval, 120 * 3600 * 1000LL);
  if (Status st = deps_.nflog->Log(std::move(e)); !st.ok()) spdlog::error("notification log: {}", st.message());
  return true;
}

bool Pipeline::Notify(const RouteOpts& opts, const std::string& group_key, const model::Labels& group_labels,
                      std::vector<Alert> alerts, int64_t deadline_ms, const std::atomic<bool>* stop) {
  int64_t now = deps_.clock();
  // Inhibition, then time intervals, then silences (upstream stage order).
  std::erase_if(alerts, [&](const Alert& a) { return deps_.inhibitor->Mutes(a.labels, now).has_value(); });
  if (alerts.empty()) return true;
  if (!opts.active_time_intervals.empty()) {
    bool active = false;
    for (const auto& name : opts.active_time_intervals) {
      auto it = deps_.config->time_intervals.find(name);
      active = active || (it != deps_.config->time_intervals.end() && ContainsTime(it->second, now));
    }
    if (!active) return true;
  }
  for (const auto& name : opts.mute_time_intervals) {
    auto it = deps_.config->time_intervals.find(name);
    if (it != deps_.config->time_intervals.end() && ContainsTime(it->second, now)) return true;
  }
  std::erase_if(alerts, [&](const Alert& a) { return !deps_.silences->Mutes(a.labels, now).empty(); });
  if (alerts.empty()) return true;

  auto it = integrations_.find(opts.receiver);
  if (it == integrations_.end() || it->second.empty()) return true;
  NotifyData data{opts.receiver, group_key, group_labels, std::move(alerts), deps_.external_url, now};
  // Integrations are independent (upstream fans out): run them in parallel.
  std::vector<std::thread> threads;
  std::vector<char> ok(it->second.size(), 0);
  for (size_t i = 0; i < it->second.size(); ++i) {
    auto run = [&, i] { ok[i] = NotifyIntegration(it->second[i].get(), opts, data, deadline_ms, stop); };
    if (it->second.size() == 1) {
      run();
    } else {
      threads.emplace_back(run);
    }
  }
  for (auto& t : threads) t.join();
  return std::all_of(ok.begin(), ok.end(), [](char c) { return c != 0; });
}

std::vector<SendResult> Pipeline::SendTest(const std::string& receiver, const NotifyData& data) {
  std::vector<SendResult> out;
  auto it = integrations_.find(receiver);
  if (it == integrations_.end()) return out;
  for (auto& in : it->second) {
    int64_t start = NowMs();
    double t0 = MonotonicSeconds();
    SendResult r = in->Send(data, 10000);
    uint64_t history_id = 0;
    Record(*in, data, r, start, MonotonicSeconds() - t0, true, &history_id);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace sremon::alertmanager
