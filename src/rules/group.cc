#include "rules/group.h"

#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/http.h"
#include "obs/metrics.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::rules {

namespace {

struct GroupMetrics {
  prometheus::Family<prometheus::Counter>& iterations = prometheus::BuildCounter()
      .Name("vmalert_iteration_total").Help("Group evaluations").Register(obs::Registry());
  prometheus::Family<prometheus::Counter>& missed = prometheus::BuildCounter()
      .Name("vmalert_iteration_missed_total").Help("Group evaluations skipped because the previous one ran late").Register(obs::Registry());
  prometheus::Family<prometheus::Gauge>& duration = prometheus::BuildGauge()
      .Name("vmalert_iteration_duration_seconds").Help("Duration of the last group evaluation").Register(obs::Registry());
  prometheus::Family<prometheus::Counter>& evals = prometheus::BuildCounter()
      .Name("vmalert_rule_evaluations_total").Help("Rule evaluations").Register(obs::Registry());
  prometheus::Family<prometheus::Counter>& errors = prometheus::BuildCounter()
      .Name("vmalert_rule_evaluation_errors_total").Help("Failed rule evaluations").Register(obs::Registry());
  prometheus::Family<prometheus::Gauge>& alerts = prometheus::BuildGauge()
      .Name("vmalert_alerts").Help("Active alerts by state").Register(obs::Registry());
};

GroupMetrics& Metrics() {
  static GroupMetrics* m = new GroupMetrics();
  return *m;
}

uint64_t Fnv64a(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

Group::Group(GroupSpec spec, GroupOptions options) : spec_(std::move(spec)), options_(std::move(options)) {
  interval_ms_ = spec_.interval_ms > 0 ? spec_.interval_ms : options_.default_interval_ms;
  if (interval_ms_ <= 0) interval_ms_ = 60000;
  hash_ = Fnv64a(spec_.name + ";" + spec_.file);
  for (const auto& r : spec_.rules) {
    if (r.is_alert()) {
      AlertingRuleOptions ao;
      ao.group_labels = spec_.labels;
      ao.external_labels = options_.external_labels;
      ao.external_url = options_.external_url;
      ao.limit = spec_.limit;
      ao.template_query = options_.query;
      rules_.push_back(std::make_unique<AlertingRule>(r, std::move(ao)));
    } else {
      rules_.push_back(std::make_unique<RecordingRule>(r, spec_.labels, spec_.limit));
    }
  }
}

Group::~Group() { Stop(); }

int64_t Group::EvalTimestamp(int64_t now) const {
  int64_t offset = static_cast<int64_t>(hash_ % static_cast<uint64_t>(interval_ms_));
  int64_t adj = now - offset;
  int64_t base = adj - ((adj % interval_ms_) + interval_ms_) % interval_ms_;
  return base + offset;
}

void Group::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void Group::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Group::Loop() {
  if (options_.restore_query && !skip_restore_) Restore(NowMs());
  int64_t ts = EvalTimestamp(NowMs()) + interval_ms_;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_) {
        int64_t wait = ts - NowMs();
        if (wait <= 0) break;
        cv_.wait_for(lock, std::chrono::milliseconds(wait));
      }
      if (stop_) return;
    }
    Eval(ts);
    // The next slot in the future; slots that already passed are missed, not run late.
    int64_t now = NowMs();
    int64_t k = now > ts ? (now - ts) / interval_ms_ + 1 : 1;
    if (k > 1) {
      Metrics().missed.Add({{"group", spec_.name}, {"file", spec_.file}}).Increment(static_cast<double>(k - 1));
      std::lock_guard<std::mutex> lock(mu_);
      status_.missed += k - 1;
    }
    ts += k * interval_ms_;
  }
}

AlertMessage Group::ToMessage(const Alert& a, const RuleSpec& rule) const {
  AlertMessage m;
  model::LabelsBuilder b(a.labels);
  for (const auto& l : options_.external_labels) {
    if (a.labels.Get(l.name).empty()) b.Set(l.name, l.value);
  }
  m.labels = b.Build();
  m.annotations = a.annotations;
  m.starts_at_ms = a.fired_at;
  m.ends_at_ms = a.resolved_at ? a.resolved_at : a.valid_until;
  std::string base = options_.external_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  m.generator_url = base + "/graph?g0.expr=" + http::UrlEncode(rule.expr) + "&g0.tab=1";
  return m;
}

void Group::Eval(int64_t ts) {
  double start = MonotonicSeconds();
  std::vector<OutSample> out;
  std::vector<AlertMessage> msgs;
  size_t firing = 0, pending = 0;
  auto& m = Metrics();
  for (auto& r : rules_) {
    Status st = options_.query ? r->Eval(ts, options_.query, &out) : Status::Unavailable("no datasource");
    // Written after each rule, so later rules of the group read this evaluation's results
    // (Prometheus appends each rule's output before evaluating the next).
    if (options_.write && !out.empty()) {
      if (options_.label_written_series) AddExternalLabels(&out);
      options_.write(std::move(out));
      out.clear();
    }
    std::map<std::string, std::string> ml{{"group", spec_.name}, {"file", spec_.file}, {"rule", r->name()}};
    m.evals.Add(ml).Increment();
    if (!st.ok()) {
      m.errors.Add(ml).Increment();
      spdlog::warn("rules: group \"{}\" rule \"{}\": {}", spec_.name, r->name(), st.message());
    }
    if (auto* ar = dynamic_cast<AlertingRule*>(r.get())) {
      for (const Alert& a : ar->AlertsToSend(ts, options_.resend_delay_ms, interval_ms_)) msgs.push_back(ToMessage(a, ar->spec()));
      for (const Alert& a : ar->Alerts()) {
        firing += a.state == AlertState::kFiring;
        pending += a.state == AlertState::kPending;
      }
    }
  }
  if (options_.notify && !msgs.empty()) options_.notify(std::move(msgs));
  double secs = MonotonicSeconds() - start;
  std::map<std::string, std::string> gl{{"group", spec_.name}, {"file", spec_.file}};
  m.iterations.Add(gl).Increment();
  m.duration.Add(gl).Set(secs);
  auto al = gl;
  al["alertstate"] = "firing";
  m.alerts.Add(al).Set(static_cast<double>(firing));
  al["alertstate"] = "pending";
  m.alerts.Add(al).Set(static_cast<double>(pending));
  std::lock_guard<std::mutex> lock(mu_);
  status_.last_eval_ms = ts;
  status_.eval_seconds = secs;
  ++status_.iterations;
}

void Group::AddExternalLabels(std::vector<OutSample>* out) const {
  for (auto& s : *out) {
    model::LabelsBuilder b(s.labels);
    for (const auto& l : options_.external_labels) {
      if (s.labels.Get(l.name).empty()) b.Set(l.name, l.value);  // the rule's own label wins
    }
    s.labels = b.Build();
  }
}

void Group::Restore(int64_t now) {
  // Only our own ALERTS_FOR_STATE: another ruler writing to the same storage has other external
  // labels (vmalert filters the same way).
  std::string filter;
  if (options_.label_written_series) {
    for (const auto& l : options_.external_labels) filter += fmt::format(",{}={}", l.name, Quote(l.value));
  }
  for (auto& r : rules_) {
    auto* ar = dynamic_cast<AlertingRule*>(r.get());
    if (!ar || ar->spec().for_ms <= 0) continue;
    std::string q = fmt::format("last_over_time(ALERTS_FOR_STATE{{alertname={}{}}}[{}])",
                                Quote(ar->spec().alert), filter,
                                FormatDurationMs(options_.restore_lookback_ms));
    auto res = options_.restore_query(q, now);
    if (!res.ok()) {
      spdlog::warn("rules: cannot restore the state of alert \"{}\": {}", ar->spec().alert, res.status().message());
      continue;
    }
    std::vector<std::pair<model::Labels, int64_t>> restored;
    for (const auto& s : *res) {
      if (std::isnan(s.v) || s.v <= 0) continue;
      model::LabelsBuilder b(s.metric);
      if (options_.label_written_series) {
        // Back to the alert's own labels (what the rule matches restored state by).
        for (const auto& l : options_.external_labels) {
          if (s.metric.Get(l.name) == l.value) b.Del(l.name);
        }
      }
      restored.push_back({b.Build(), static_cast<int64_t>(s.v) * 1000});
    }
    if (!restored.empty()) spdlog::info("rules: restored the `for` state of {} alert(s) of \"{}\"", restored.size(), ar->spec().alert);
    ar->SetRestored(std::move(restored));
  }
}

void Group::TakeStateFrom(Group& old) {
  skip_restore_ = true;
  std::map<std::string, Rule*> by_key;
  for (auto& r : old.rules_) by_key.emplace(r->spec().Key(), r.get());
  for (auto& r : rules_) {
    auto it = by_key.find(r->spec().Key());
    if (it == by_key.end()) continue;
    auto* ar = dynamic_cast<AlertingRule*>(r.get());
    auto* old_ar = dynamic_cast<AlertingRule*>(it->second);
    if (ar && old_ar) ar->TakeStateFrom(*old_ar);
    by_key.erase(it);
  }
}

GroupStatus Group::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

}  // namespace sremon::rules
