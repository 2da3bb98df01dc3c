// Prometheus rule files (https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/):
// groups of recording and alerting rules, parsed with yaml-cpp. Errors name the file and line
// ("rules.yml:12: group \"g\", rule 2: field \"exprr\" not found"), as promtool's do.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "util/status.h"

namespace sremon::rules {

struct RuleSpec {
  std::string record;  // recording rule: the metric name written
  std::string alert;   // alerting rule: the alert name
  std::string expr;
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  std::vector<model::Label> labels;       // in file order; values may be templates (alerts)
  std::vector<model::Label> annotations;  // in file order; templates
  int line = 0;                           // line of the rule in its file
  int expr_line = 0;

  bool is_alert() const { return !alert.empty(); }
  const std::string& name() const { return is_alert() ? alert : record; }
  // A stable identity of everything that defines the rule: a reload keeps the state of a rule
  // whose key did not change.
  std::string Key() const;
};

struct GroupSpec {
  std::string name;
  std::string file;
  int64_t interval_ms = 0;  // 0 = the service's -evaluationInterval
  int64_t limit = 0;        // max alerts/series per rule evaluation; 0 = no limit
  std::vector<model::Label> labels;  // added to every rule of the group (rule labels win)
  // vmalert's group extras that real files carry; accepted and kept.
  std::string type;
  std::vector<model::Label> params;
  std::vector<RuleSpec> rules;
  int line = 0;
};

struct RuleFile {
  std::string path;
  std::vector<GroupSpec> groups;
};

// Checks one PromQL expression; returns InvalidArgument with the parser's message.
using ExprValidator = std::function<Status(std::string_view expr)>;

struct ParseOptions {
  ExprValidator validate_expr;   // when set, every expr is parsed with it
  bool validate_templates = true;
};

// Parses rule file text. `path` is used in messages. All errors of the file are reported,
// one per line of the returned message.
Result<RuleFile> ParseRuleFile(std::string_view path, std::string_view text, const ParseOptions& options = {});
// Reads and parses a file.
Result<RuleFile> LoadRuleFile(const std::string& path, const ParseOptions& options = {});
// Expands shell globs (-rule=dir/*.yml); a pattern matching nothing is an error unless it has
// glob characters (then it is just empty, as vmalert does).
Result<std::vector<std::string>> ExpandRuleGlobs(const std::vector<std::string>& patterns);

// Rules whose (name, labels, expr) repeat inside a group: promtool's "duplicate rules" warning.
std::vector<std::string> FindDuplicateRules(const RuleFile& file);

// The prelude Prometheus puts before every alert label/annotation template.
inline constexpr std::string_view kTemplatePrelude =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

}  // namespace sremon::rules
