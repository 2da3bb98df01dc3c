// Recording and alerting rules (Prometheus rules/recording.go, rules/alerting.go). A rule is
// evaluated by its group at one timestamp with the vector its expression returned; the alerting
// rule runs the alert state machine. Rules see a QueryFn, never the storage (STYLE.md).
// Thread-safety: Eval*/Restore/TakeStateFrom are called by the owning group's thread; the
// read-only accessors (Snapshot, Alerts) may be called from any thread (guarded by mu_).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/labels.h"
#include "promql/value.h"
#include "rules/rule_file.h"
#include "template/template.h"
#include "util/status.h"

namespace sremon::rules {

// Evaluates an instant query at ts_ms (the datasource). Scalars come back as a one-sample vector
// without labels, as Prometheus rules see them.
using QueryFn = std::function<Result<promql::Vector>(const std::string& expr, int64_t ts_ms)>;

// A sample written back over remote_write (recording results, ALERTS, ALERTS_FOR_STATE).
struct OutSample {
  model::Labels labels;
  int64_t t = 0;
  double v = 0;
};

enum class AlertState { kInactive, kPending, kFiring };
const char* AlertStateName(AlertState s);  // "inactive", "pending", "firing"

// How long a resolved alert is still reported (and re-sent) after it resolved (Prometheus).
inline constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;

struct Alert {
  model::Labels labels;  // series labels (no __name__) + rule labels + alertname
  std::map<std::string, std::string> annotations;
  AlertState state = AlertState::kPending;
  double value = 0;
  int64_t active_at = 0;          // when the expression first returned this label set
  int64_t fired_at = 0;           // when it became firing (0 = never)
  int64_t resolved_at = 0;        // when it stopped firing (0 = not resolved)
  int64_t last_sent_at = 0;
  int64_t valid_until = 0;        // endsAt sent while firing
  int64_t keep_firing_since = 0;  // first evaluation without a result while held by keep_firing_for
  bool restored = false;          // active_at came from ALERTS_FOR_STATE after a restart
};

// Common state and API data of both rule kinds.
struct RuleStatus {
  std::string health = "unknown";  // "ok", "err", "unknown"
  std::string last_error;
  int64_t last_eval_ms = 0;
  double eval_seconds = 0;
  size_t last_samples = 0;
};

class Rule {
 public:
  virtual ~Rule() = default;
  const RuleSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name(); }
  // Queries and evaluates the rule at ts, appending samples to write back to *out.
  // The error is also kept in the status (health "err").
  Status Eval(int64_t ts, const QueryFn& query, std::vector<OutSample>* out);
  // The same with an already computed query result (backtests, tests).
  virtual Status EvalVector(int64_t ts, const promql::Vector& result, std::vector<OutSample>* out) = 0;
  RuleStatus status() const;

 protected:
  explicit Rule(RuleSpec spec, int64_t limit) : spec_(std::move(spec)), limit_(limit) {}
  // Appends stale markers for series written at the previous evaluation but not at this one.
  void MarkStale(int64_t ts, std::vector<OutSample>* out, size_t first_new);

  RuleSpec spec_;
  int64_t limit_;
  mutable std::mutex mu_;
  RuleStatus status_;                       // GUARDED_BY(mu_)
  std::vector<model::Labels> last_series_;  // written at the previous evaluation (group thread only)
};

class RecordingRule final : public Rule {
 public:
  RecordingRule(RuleSpec spec, const std::vector<model::Label>& group_labels, int64_t limit);
  Status EvalVector(int64_t ts, const promql::Vector& result, std::vector<OutSample>* out) override;

 private:
  std::vector<model::Label> labels_;  // group labels overridden by rule labels
};

struct AlertingRuleOptions {
  std::vector<model::Label> group_labels;
  model::Labels external_labels;
  std::string external_url;
  int64_t limit = 0;
  QueryFn template_query;  // for {{ query "..." }} in templates; may be empty
};

class AlertingRule final : public Rule {
 public:
  AlertingRule(RuleSpec spec, AlertingRuleOptions options);
  Status EvalVector(int64_t ts, const promql::Vector& result, std::vector<OutSample>* out) override;

  // Alerts that need (re)sending at ts: firing ones every resend_delay, resolved ones once
  // (and with resolved_at as endsAt); marks them sent (Prometheus Alert.needsSending).
  std::vector<Alert> AlertsToSend(int64_t ts, int64_t resend_delay_ms, int64_t interval_ms);
  // Pending and firing alerts (and resolved ones still retained), sorted by labels.
  std::vector<Alert> Alerts() const;
  AlertState State() const;  // the most severe state of its alerts

  // Restart correctness: active_at of alerts that were pending or firing before a restart
  // (from ALERTS_FOR_STATE), keyed by alert labels. Used when the first evaluation after a start
  // creates the alert, so the `for` timer resumes instead of restarting.
  void SetRestored(std::vector<std::pair<model::Labels, int64_t>> active_at);
  // Reload: keeps the active alerts of the same rule in the old configuration.
  void TakeStateFrom(AlertingRule& old);

 private:
  // A label or annotation value, its template parsed once (no template when it has no "{{").
  struct Text {
    std::string text;
    std::unique_ptr<tmpl::Template> tmpl;
    std::string parse_error;  // reported in the value at every evaluation, as Prometheus does
  };
  Text Compile(const std::string& text, const tmpl::FuncMap& funcs) const;
  std::string Expand(const Text& t, const tmpl::Value& data, int64_t ts);

  AlertingRuleOptions options_;
  std::vector<model::Label> labels_;  // group labels overridden by rule labels
  std::vector<Text> label_texts_, annotation_texts_;
  struct TemplateQueryContext {
    QueryFn fn;
    int64_t ts = 0;
  };
  std::shared_ptr<TemplateQueryContext> query_ctx_;
  std::map<uint64_t, Alert> active_;  // GUARDED_BY(mu_), by labels hash
  std::map<uint64_t, int64_t> restored_;
};

}  // namespace sremon::rules
