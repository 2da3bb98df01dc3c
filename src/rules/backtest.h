// Backtests: replays an alerting rule over stored history with the exact state machine of
// AlertingRule (for, keep_firing_for) and reports when each alert would have been pending and
// firing, and how often it flapped (fired again after resolving). No upstream tool does this.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "promql/value.h"
#include "rules/rule.h"

namespace sremon::rules {

// Returns the expression's values between start and end every step (a range query).
using RangeQueryFn = std::function<Result<promql::Matrix>(const std::string& expr, int64_t start_ms, int64_t end_ms,
                                                          int64_t step_ms)>;

struct BacktestPeriod {
  AlertState state = AlertState::kPending;
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // exclusive: the first evaluation in another state (or the end)
  bool open = false;   // still in this state at the end of the range
};

struct BacktestAlert {
  model::Labels labels;
  std::vector<BacktestPeriod> periods;  // in time order
  int firings = 0;
  int flaps = 0;  // firings after the first one
};

struct BacktestResult {
  std::string rule;
  std::string expr;
  int64_t from_ms = 0, to_ms = 0, step_ms = 0;
  int64_t evaluations = 0;
  std::vector<BacktestAlert> alerts;
  std::string error;  // the first evaluation error, if any
};

// Evaluates `rule` at every step in [from, to]. The range starts early enough (for +
// keep_firing_for) that alerts already pending at `from` are seen as such.
Result<BacktestResult> Backtest(const RuleSpec& rule, const RangeQueryFn& query, int64_t from_ms, int64_t to_ms,
                                int64_t step_ms);

std::string FormatBacktestText(const BacktestResult& r);
std::string FormatBacktestJson(const BacktestResult& r);

}  // namespace sremon::rules
