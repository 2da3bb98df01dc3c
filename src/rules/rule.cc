#include "rules/rule.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "util/strings.h"
#include "util/time.h"

namespace sremon::rules {

const char* AlertStateName(AlertState s) {
  switch (s) {
    case AlertState::kInactive: return "inactive";
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
  }
  return "unknown";
}

namespace {

std::vector<model::Label> MergeLabels(const std::vector<model::Label>& group, const std::vector<model::Label>& rule) {
  std::vector<model::Label> out = group;
  for (const auto& l : rule) {
    auto it = std::find_if(out.begin(), out.end(), [&](const model::Label& x) { return x.name == l.name; });
    if (it != out.end()) it->value = l.value;
    else out.push_back(l);
  }
  return out;
}

tmpl::Value LabelsValue(const model::Labels& ls) {
  tmpl::Map m;
  for (const auto& l : ls) m.emplace(l.name, tmpl::Value(l.value));
  return tmpl::Value(std::move(m));
}

}  // namespace

Status Rule::Eval(int64_t ts, const QueryFn& query, std::vector<OutSample>* out) {
  double start = MonotonicSeconds();
  auto result = query(spec_.expr, ts);
  Status st;
  if (!result.ok()) {
    st = result.status();
    // A failed query writes nothing new; series of the previous evaluation go stale.
    size_t first_new = out->size();
    MarkStale(ts, out, first_new);
  } else {
    st = EvalVector(ts, *result, out);
  }
  std::lock_guard<std::mutex> lock(mu_);
  status_.eval_seconds = MonotonicSeconds() - start;
  status_.last_eval_ms = ts;
  status_.health = st.ok() ? "ok" : "err";
  status_.last_error = st.ok() ? "" : st.message();
  return st;
}

RuleStatus Rule::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void Rule::MarkStale(int64_t ts, std::vector<OutSample>* out, size_t first_new) {
  std::set<uint64_t> now;
  std::vector<model::Labels> current;
  for (size_t i = first_new; i < out->size(); ++i) {
    now.insert((*out)[i].labels.Hash());
    current.push_back((*out)[i].labels);
  }
  for (const auto& l : last_series_) {
    if (!now.count(l.Hash())) out->push_back({l, ts, model::StaleNaN()});
  }
  last_series_ = std::move(current);
}

// ---------------------------------------------------------------- recording

RecordingRule::RecordingRule(RuleSpec spec, const std::vector<model::Label>& group_labels, int64_t limit)
    : Rule(std::move(spec), limit), labels_(MergeLabels(group_labels, spec_.labels)) {}

Status RecordingRule::EvalVector(int64_t ts, const promql::Vector& result, std::vector<OutSample>* out) {
  size_t first_new = out->size();
  std::set<uint64_t> seen;
  Status st;
  for (const auto& s : result) {
    model::LabelsBuilder b(s.metric);
    b.Set(model::kMetricName, spec_.record);
    for (const auto& l : labels_) b.Set(l.name, l.value);
    model::Labels ls = b.Build();
    if (!seen.insert(ls.Hash()).second) {
      st = Status::Execution("vector contains metrics with the same labelset after applying rule labels");
      break;
    }
    out->push_back({std::move(ls), ts, s.v});
  }
  if (st.ok() && limit_ > 0 && static_cast<int64_t>(result.size()) > limit_) {
    st = Status::Execution(fmt::format("exceeded limit of {} with {} series", limit_, result.size()));
  }
  if (!st.ok()) out->resize(first_new);
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.last_samples = out->size() - first_new;
  }
  MarkStale(ts, out, first_new);
  return st;
}

// ---------------------------------------------------------------- alerting

AlertingRule::AlertingRule(RuleSpec spec, AlertingRuleOptions options)
    : Rule(std::move(spec), options.limit), options_(std::move(options)),
      query_ctx_(std::make_shared<TemplateQueryContext>()) {
  labels_ = MergeLabels(options_.group_labels, spec_.labels);
  query_ctx_->fn = options_.template_query;
  std::weak_ptr<TemplateQueryContext> ctx = query_ctx_;
  tmpl::FuncMap funcs = tmpl::PrometheusFuncs([ctx](const std::string& q) -> Result<tmpl::List> {
    auto c = ctx.lock();
    if (!c || !c->fn) return Status::Unavailable("no datasource for query");
    auto r = c->fn(q, c->ts);
    if (!r.ok()) return r.status();
    tmpl::List out;
    for (const auto& s : *r) {
      tmpl::Map m{{"Labels", LabelsValue(s.metric)}, {"Value", tmpl::Value(s.v)}};
      out.push_back(tmpl::Value(std::move(m)));
    }
    return out;
  });
  for (const auto& l : labels_) label_texts_.push_back(Compile(l.value, funcs));
  for (const auto& a : spec_.annotations) annotation_texts_.push_back(Compile(a.value, funcs));
}

AlertingRule::Text AlertingRule::Compile(const std::string& text, const tmpl::FuncMap& funcs) const {
  Text t;
  t.text = text;
  if (text.find("{{") == std::string::npos) return t;
  auto parsed = tmpl::Template::Parse("__alert_" + spec_.alert, std::string(kTemplatePrelude) + text, funcs);
  if (parsed.ok()) t.tmpl = std::make_unique<tmpl::Template>(std::move(parsed).value());
  else t.parse_error = parsed.status().message();
  return t;
}

std::string AlertingRule::Expand(const Text& t, const tmpl::Value& data, int64_t ts) {
  if (!t.parse_error.empty()) return fmt::format("<error expanding template: {}>", t.parse_error);
  if (!t.tmpl) return t.text;
  query_ctx_->ts = ts;
  auto r = t.tmpl->Execute(data);
  if (!r.ok()) return fmt::format("<error expanding template: {}>", r.status().message());
  return std::move(r).value();
}

Status AlertingRule::EvalVector(int64_t ts, const promql::Vector& result, std::vector<OutSample>* out) {
  size_t first_new = out->size();
  tmpl::Value ext = LabelsValue(options_.external_labels);
  std::map<uint64_t, Alert> fresh;
  Status st;
  for (const auto& s : result) {
    tmpl::Map data{{"Labels", LabelsValue(s.metric)},
                   {"ExternalLabels", ext},
                   {"ExternalURL", tmpl::Value(options_.external_url)},
                   {"Value", tmpl::Value(s.v)}};
    tmpl::Value dv(std::move(data));
    model::LabelsBuilder b(s.metric);
    b.Del(model::kMetricName);
    for (size_t i = 0; i < labels_.size(); ++i) b.Set(labels_[i].name, Expand(label_texts_[i], dv, ts));
    b.Set("alertname", spec_.alert);
    Alert a;
    a.labels = b.Build();
    for (size_t i = 0; i < spec_.annotations.size(); ++i) {
      a.annotations[spec_.annotations[i].name] = Expand(annotation_texts_[i], dv, ts);
    }
    a.value = s.v;
    a.active_at = ts;
    a.state = AlertState::kPending;
    uint64_t h = a.labels.Hash();
    if (fresh.count(h)) {
      st = Status::Execution("vector contains metrics with the same labelset after applying alert labels");
      break;
    }
    fresh.emplace(h, std::move(a));
  }

  std::lock_guard<std::mutex> lock(mu_);
  if (!st.ok()) {
    // Prometheus keeps the previous state when the result is unusable.
    status_.last_samples = 0;
    return st;
  }
  for (auto& [h, a] : fresh) {
    auto it = active_.find(h);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = a.value;
      it->second.annotations = std::move(a.annotations);
      continue;
    }
    if (auto r = restored_.find(h); r != restored_.end()) {
      a.active_at = std::min(r->second, ts);
      a.restored = true;
    }
    active_[h] = std::move(a);
  }
  restored_.clear();

  int64_t hold = spec_.for_ms;
  for (auto it = active_.begin(); it != active_.end();) {
    Alert& a = it->second;
    if (!fresh.count(it->first)) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && spec_.keep_firing_for_ms > 0) {
        if (a.keep_firing_since == 0) a.keep_firing_since = ts;
        if (ts - a.keep_firing_since < spec_.keep_firing_for_ms) keep_firing = true;
      }
      // Pending alerts vanish; resolved ones are kept for kResolvedRetentionMs to be re-sent.
      if (a.state == AlertState::kPending || (a.resolved_at != 0 && ts - a.resolved_at > kResolvedRetentionMs)) {
        it = active_.erase(it);
        continue;
      }
      if (a.state != AlertState::kInactive && !keep_firing) {
        a.state = AlertState::kInactive;
        a.resolved_at = ts;
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since = 0;
    }
    if (a.state == AlertState::kPending && ts - a.active_at >= hold) {
      a.state = AlertState::kFiring;
      // After a restart, a restored alert that was already firing keeps its original start.
      a.fired_at = a.restored ? std::min(a.active_at + hold, ts) : ts;
    }
    model::LabelsBuilder alerts(a.labels);
    alerts.Set(model::kMetricName, "ALERTS");
    alerts.Set("alertstate", AlertStateName(a.state));
    out->push_back({alerts.Build(), ts, 1});
    model::LabelsBuilder for_state(a.labels);
    for_state.Set(model::kMetricName, "ALERTS_FOR_STATE");
    out->push_back({for_state.Build(), ts, static_cast<double>(a.active_at / 1000)});
    ++it;
  }
  if (limit_ > 0) {
    int64_t n = 0;
    for (const auto& [h, a] : active_) n += a.state != AlertState::kInactive;
    if (n > limit_) {
      active_.clear();
      out->resize(first_new);
      status_.last_samples = 0;
      st = Status::Execution(fmt::format("exceeded limit of {} with {} alerts", limit_, n));
    }
  }
  status_.last_samples = out->size() - first_new;
  MarkStale(ts, out, first_new);
  return st;
}

std::vector<Alert> AlertingRule::AlertsToSend(int64_t ts, int64_t resend_delay_ms, int64_t interval_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Alert> out;
  for (auto& [h, a] : active_) {
    if (a.state == AlertState::kPending) continue;
    bool needs = a.resolved_at > a.last_sent_at || a.last_sent_at == 0 || a.last_sent_at + resend_delay_ms < ts;
    if (!needs) continue;
    a.last_sent_at = ts;
    a.valid_until = ts + 4 * std::max(resend_delay_ms, interval_ms);
    out.push_back(a);
  }
  return out;
}

std::vector<Alert> AlertingRule::Alerts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Alert> out;
  for (const auto& [h, a] : active_) out.push_back(a);
  std::sort(out.begin(), out.end(), [](const Alert& x, const Alert& y) { return x.labels < y.labels; });
  return out;
}

AlertState AlertingRule::State() const {
  std::lock_guard<std::mutex> lock(mu_);
  AlertState s = AlertState::kInactive;
  for (const auto& [h, a] : active_) {
    if (a.state == AlertState::kFiring) return AlertState::kFiring;
    if (a.state == AlertState::kPending) s = AlertState::kPending;
  }
  return s;
}

void AlertingRule::SetRestored(std::vector<std::pair<model::Labels, int64_t>> active_at) {
  std::lock_guard<std::mutex> lock(mu_);
  restored_.clear();
  for (auto& [ls, t] : active_at) {
    model::LabelsBuilder b(ls);
    b.Del(model::kMetricName);
    restored_[b.Build().Hash()] = t;
  }
}

void AlertingRule::TakeStateFrom(AlertingRule& old) {
  if (&old == this) return;
  std::scoped_lock lock(mu_, old.mu_);
  active_ = old.active_;
  restored_ = old.restored_;
  status_ = old.status_;
  last_series_ = old.last_series_;
}

}  // namespace sremon::rules
