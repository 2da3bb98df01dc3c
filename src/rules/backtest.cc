#include "rules/backtest.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/time.h"

namespace sremon::rules {

Result<BacktestResult> Backtest(const RuleSpec& rule, const RangeQueryFn& query, int64_t from_ms, int64_t to_ms,
                                int64_t step_ms) {
  if (!rule.is_alert()) return Status::InvalidArgument(fmt::format("rule \"{}\" is not an alerting rule", rule.name()));
  if (step_ms <= 0) return Status::InvalidArgument("step must be positive");
  if (to_ms < from_ms) return Status::InvalidArgument("--to is before --from");
  if ((to_ms - from_ms) / step_ms > 1'000'000) return Status::InvalidArgument("too many evaluations (more than 1000000 steps)");
  // Warm-up before `from`, aligned on the step grid.
  int64_t warmup = ((rule.for_ms + rule.keep_firing_for_ms + step_ms - 1) / step_ms) * step_ms;
  int64_t start = from_ms - warmup;
  auto m = query(rule.expr, start, to_ms, step_ms);
  if (!m.ok()) return m.status();
  // Samples by timestamp.
  std::map<int64_t, promql::Vector> at;
  for (const auto& s : *m) {
    for (const auto& p : s.points) at[p.t].push_back({s.metric, p.t, p.v});
  }
  AlertingRule ar(rule, {});
  BacktestResult res;
  res.rule = rule.alert;
  res.expr = rule.expr;
  res.from_ms = from_ms;
  res.to_ms = to_ms;
  res.step_ms = step_ms;
  std::map<model::Labels, BacktestAlert> alerts;
  std::vector<OutSample> scratch;
  static const promql::Vector kEmpty;
  for (int64_t ts = start; ts <= to_ms; ts += step_ms) {
    auto it = at.find(ts);
    scratch.clear();
    Status st = ar.EvalVector(ts, it == at.end() ? kEmpty : it->second, &scratch);
    if (!st.ok() && res.error.empty()) res.error = fmt::format("{}: {}", FormatRfc3339Ms(ts), st.message());
    if (ts < from_ms) continue;
    ++res.evaluations;
    std::map<model::Labels, AlertState> now;
    for (const Alert& a : ar.Alerts()) {
      if (a.state != AlertState::kInactive) now[a.labels] = a.state;
    }
    // Close periods of alerts that changed state or went away.
    for (auto& [ls, ba] : alerts) {
      if (ba.periods.empty() || !ba.periods.back().open) continue;
      auto n = now.find(ls);
      if (n == now.end() || n->second != ba.periods.back().state) {
        ba.periods.back().open = false;
        ba.periods.back().end_ms = ts;
      }
    }
    for (const auto& [ls, state] : now) {
      BacktestAlert& ba = alerts[ls];
      ba.labels = ls;
      if (!ba.periods.empty() && ba.periods.back().open) continue;
      ba.periods.push_back({state, ts, ts, true});
      if (state == AlertState::kFiring) {
        if (++ba.firings > 1) ++ba.flaps;
      }
    }
  }
  for (auto& [ls, ba] : alerts) {
    if (!ba.periods.empty() && ba.periods.back().open) ba.periods.back().end_ms = to_ms;
    res.alerts.push_back(std::move(ba));
  }
  return res;
}

std::string FormatBacktestText(const BacktestResult& r) {
  std::string out = fmt::format("Backtest of alert \"{}\": {}\nfrom {} to {}, every {} ({} evaluations)\n", r.rule, r.expr,
                                FormatRfc3339Ms(r.from_ms), FormatRfc3339Ms(r.to_ms), FormatDurationMs(r.step_ms), r.evaluations);
  if (!r.error.empty()) out += "first evaluation error: " + r.error + "\n";
  if (r.alerts.empty()) return out + "never pending or firing\n";
  for (const auto& a : r.alerts) {
    out += fmt::format("\n{}\n  fired {} time(s), flapped {} time(s)\n", a.labels.ToString(), a.firings, a.flaps);
    for (const auto& p : a.periods) {
      out += fmt::format("  {:<8} {} .. {}{} ({})\n", AlertStateName(p.state), FormatRfc3339Ms(p.start_ms),
                         FormatRfc3339Ms(p.end_ms), p.open ? " (still at the end)" : "", FormatDurationMs(p.end_ms - p.start_ms));
    }
  }
  return out;
}

std::string FormatBacktestJson(const BacktestResult& r) {
  nlohmann::json alerts = nlohmann::json::array();
  for (const auto& a : r.alerts) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& l : a.labels) labels[l.name] = l.value;
    nlohmann::json periods = nlohmann::json::array();
    for (const auto& p : a.periods) {
      periods.push_back({{"state", AlertStateName(p.state)}, {"start", FormatRfc3339Ms(p.start_ms)},
                         {"end", FormatRfc3339Ms(p.end_ms)}, {"open", p.open}});
    }
    alerts.push_back({{"labels", labels}, {"firings", a.firings}, {"flaps", a.flaps}, {"periods", periods}});
  }
  nlohmann::json j = {{"status", "success"},
                      {"data",
                       {{"rule", r.rule}, {"expr", r.expr}, {"from", FormatRfc3339Ms(r.from_ms)}, {"to", FormatRfc3339Ms(r.to_ms)},
                        {"step", static_cast<double>(r.step_ms) / 1000.0}, {"evaluations", r.evaluations},
                        {"error", r.error}, {"alerts", alerts}}}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sremon::rules
