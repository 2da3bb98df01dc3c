#include "rules/unittest.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include "promql/ast.h"
#include "promql/engine.h"
#include "rules/group.h"
#include "rules/rule_file.h"
#include "storage/mem_storage.h"
#include "util/go_compat.h"
#include "util/strings.h"
#include "util/time.h"
#include "util/yaml.h"

namespace sremon::rules {

Result<std::vector<SeriesValue>> ExpandSeriesValues(std::string_view values) {
  std::vector<SeriesValue> out;
  size_t i = 0;
  while (i < values.size()) {
    while (i < values.size() && std::isspace(static_cast<unsigned char>(values[i]))) ++i;
    if (i >= values.size()) break;
    size_t j = i;
    while (j < values.size() && !std::isspace(static_cast<unsigned char>(values[j]))) ++j;
    std::string_view tok = values.substr(i, j - i);
    i = j;
    auto bad = [&] { return Status::InvalidArgument(fmt::format("invalid series value \"{}\"", tok)); };
    if (tok == "_") {
      out.push_back({SeriesValue::kGap});
      continue;
    }
    if (tok == "stale") {
      out.push_back({SeriesValue::kStale});
      continue;
    }
    size_t x = tok.rfind('x');
    bool expanding = x != std::string_view::npos && x + 1 < tok.size() &&
                     std::all_of(tok.begin() + x + 1, tok.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!expanding) {
      auto v = ParseFloat(tok);
      if (!v.ok()) return bad();
      out.push_back({SeriesValue::kValue, *v});
      continue;
    }
    auto times = ParseInt(tok.substr(x + 1));
    if (!times.ok() || *times > 1'000'000) return bad();
    std::string_view head = tok.substr(0, x);
    if (head == "_") {
      for (int64_t k = 0; k < *times; ++k) out.push_back({SeriesValue::kGap});
      continue;
    }
    // a+b or a-b: the operator is the first sign after the start that is not an exponent's.
    size_t op = std::string_view::npos;
    for (size_t k = 1; k < head.size(); ++k) {
      if ((head[k] == '+' || head[k] == '-') && head[k - 1] != 'e' && head[k - 1] != 'E') {
        op = k;
        break;
      }
    }
    double start = 0, step = 0;
    if (op == std::string_view::npos) {
      auto v = ParseFloat(head);
      if (!v.ok()) return bad();
      start = *v;
    } else {
      auto a = ParseFloat(head.substr(0, op));
      auto b = ParseFloat(head.substr(op + 1));
      if (!a.ok() || !b.ok()) return bad();
      start = *a;
      step = head[op] == '-' ? -*b : *b;
    }
    double v = start;
    for (int64_t k = 0; k <= *times; ++k) {
      out.push_back({SeriesValue::kValue, v});
      v += step;
    }
  }
  return out;
}

Result<model::Labels> ParseSeriesLabels(std::string_view series) {
  auto m = promql::ParseMetricSelector(series);
  if (!m.ok()) return m.status();
  std::vector<model::Label> ls;
  for (const auto& matcher : *m) {
    if (matcher.type() != model::MatchType::kEqual) {
      return Status::InvalidArgument(fmt::format("series \"{}\": only = matchers describe a series", series));
    }
    ls.push_back({matcher.name(), matcher.value()});
  }
  return model::Labels(std::move(ls));
}

bool UnitTestFileResult::passed() const {
  if (!file_error.ok()) return false;
  return std::all_of(cases.begin(), cases.end(), [](const UnitTestCase& c) { return c.passed; });
}

namespace {

struct LabelsAndAnnotations {
  model::Labels labels;
  std::map<std::string, std::string> annotations;
  bool operator<(const LabelsAndAnnotations& o) const {
    if (!(labels == o.labels)) return labels < o.labels;
    return annotations < o.annotations;
  }
  bool operator==(const LabelsAndAnnotations& o) const { return labels == o.labels && annotations == o.annotations; }
};

std::string FormatAnnotations(const std::map<std::string, std::string>& a) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : a) {
    std::string q;
    AppendJsonString(&q, v);
    parts.push_back(k + "=" + q);
  }
  return "{" + Join(parts, ", ") + "}";
}

std::string FormatAlerts(const std::vector<LabelsAndAnnotations>& v) {
  if (v.empty()) return "[]";
  std::string out = "[\n";
  for (size_t i = 0; i < v.size(); ++i) {
    out += fmt::format("            {}:\n              Labels:{}\n              Annotations:{}\n", i, v[i].labels.ToString(),
                       FormatAnnotations(v[i].annotations));
  }
  return out + "            ]";
}

bool AlmostEqual(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  double diff = std::fabs(a - b);
  return diff <= 1e-12 * std::max(std::fabs(a), std::fabs(b));
}

Result<int64_t> Dur(const YAML::Node& n, std::string_view what) {
  if (!n.IsScalar()) return Status::InvalidArgument(fmt::format("line {}: {} must be a duration", YamlLine(n), what));
  auto d = ParseDurationMs(n.Scalar());
  if (!d.ok()) return Status::InvalidArgument(fmt::format("line {}: {}: {}", YamlLine(n), what, d.status().message()));
  return d;
}

std::map<std::string, std::string> StringMap(const YAML::Node& n) {
  std::map<std::string, std::string> out;
  if (n && n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) out[it->first.as<std::string>("")] = it->second.IsScalar() ? it->second.Scalar() : "";
  }
  return out;
}

using Failures = std::vector<std::string>;

// Step 1: the test's input_series, appended at i * interval.
Status LoadInputSeries(const YAML::Node& t, int64_t interval, storage::MemStorage& db) {
  auto app = db.NewAppender();
  for (const auto& s : t["input_series"]) {
    auto at_line = [&](const std::string& msg) {
      return Status::InvalidArgument(fmt::format("input_series line {}: {}", YamlLine(s), msg));
    };
    auto ls = ParseSeriesLabels(s["series"].as<std::string>(""));
    if (!ls.ok()) return at_line(ls.status().message());
    auto vals = ExpandSeriesValues(s["values"].as<std::string>(""));
    if (!vals.ok()) return at_line(vals.status().message());
    for (size_t i = 0; i < vals->size(); ++i) {
      const SeriesValue& v = (*vals)[i];
      if (v.kind == SeriesValue::kGap) continue;
      Status st = app->Append(*ls, static_cast<int64_t>(i) * interval, v.kind == SeriesValue::kStale ? model::StaleNaN() : v.v);
      if (!st.ok()) return at_line(st.message());
    }
  }
  return app->Commit();
}

// The rules' query function: the engine over the test's storage.
// REQUIRES: engine and db outlive the function.
QueryFn EngineQueryFn(promql::Engine& engine, storage::MemStorage& db) {
  return [&engine, &db](const std::string& expr, int64_t ts) -> Result<promql::Vector> {
    auto r = engine.InstantQuery(db, expr, ts);
    if (!r.ok()) return r.status();
    if (auto* v = std::get_if<promql::Vector>(&r->value)) return *v;
    if (auto* s = std::get_if<promql::Scalar>(&r->value)) return promql::Vector{{model::Labels(), ts, s->v}};
    return Status::Execution(fmt::format("rule result is a {}, not a vector", promql::ResultTypeName(r->value)));
  };
}

// Step 2: the groups of every rule file, in group_eval_order when given, writing back to db.
std::vector<std::unique_ptr<Group>> BuildGroups(const YAML::Node& t, const std::vector<RuleFile>& files,
                                                int64_t eval_interval, const std::vector<std::string>& group_order,
                                                QueryFn query, storage::MemStorage& db) {
  GroupOptions go;
  go.default_interval_ms = eval_interval;
  go.query = std::move(query);
  go.external_url = t["external_url"].as<std::string>("");
  std::vector<model::Label> ext;
  for (const auto& [k, v] : StringMap(t["external_labels"])) ext.push_back({k, v});
  go.external_labels = model::Labels(ext);
  go.write = [&db](std::vector<OutSample> samples) {
    auto app = db.NewAppender();
    for (const auto& s : samples) (void)app->Append(s.labels, s.t, s.v);
    (void)app->Commit();
  };
  std::vector<std::unique_ptr<Group>> groups;
  for (const auto& f : files) {
    for (const auto& g : f.groups) groups.push_back(std::make_unique<Group>(g, go));
  }
  if (group_order.empty()) return groups;
  std::vector<std::unique_ptr<Group>> ordered;
  for (const auto& name : group_order) {
    for (auto& g : groups) {
      if (g && g->spec().name == name) ordered.push_back(std::move(g));
    }
  }
  return ordered;
}

// Step 3: what to check when. An eval_time that is not a multiple of the interval is a failure.
struct Checks {
  std::map<int64_t, std::vector<YAML::Node>> alerts;  // alert_rule_test by eval time
  std::vector<std::pair<int64_t, YAML::Node>> exprs;  // promql_expr_test
  int64_t max_time = 0;
};
Result<Checks> CollectChecks(const YAML::Node& t, int64_t eval_interval, Failures* failures) {
  Checks c;
  for (const auto& a : t["alert_rule_test"]) {
    auto et = Dur(a["eval_time"], "eval_time");
    if (!et.ok()) return et.status();
    if (*et % eval_interval != 0) {
      failures->push_back(fmt::format("    alertname: {}, time: {}: eval_time is not a multiple of evaluation_interval",
                                      a["alertname"].as<std::string>(""), FormatDurationMs(*et)));
      continue;
    }
    c.alerts[*et].push_back(a);
    c.max_time = std::max(c.max_time, *et);
  }
  for (const auto& e : t["promql_expr_test"]) {
    auto et = Dur(e["eval_time"], "eval_time");
    if (!et.ok()) return et.status();
    c.exprs.push_back({*et, e});
    c.max_time = std::max(c.max_time, *et);
  }
  return c;
}

// Step 4a: after evaluating every group at ts, the rules that failed then.
void CheckRuleErrors(const std::vector<std::unique_ptr<Group>>& groups, int64_t ts, Failures* failures) {
  for (const auto& g : groups) {
    for (const auto& r : g->rules()) {
      RuleStatus st = r->status();
      if (st.health == "err" && st.last_eval_ms == ts) {
        failures->push_back(fmt::format("    rule: {}, time: {}, err: {}", r->name(), FormatDurationMs(ts), st.last_error));
      }
    }
  }
}

// Step 4b: one alert_rule_test entry at ts: the firing alerts against exp_alerts.
void CheckAlerts(const YAML::Node& a, const std::vector<std::unique_ptr<Group>>& groups, int64_t ts,
                 const UnitTestOptions& options, Failures* failures) {
  std::string name = a["alertname"].as<std::string>("");
  std::vector<LabelsAndAnnotations> got, exp;
  for (const auto& g : groups) {
    for (const auto& r : g->rules()) {
      auto* ar = dynamic_cast<AlertingRule*>(r.get());
      if (!ar || ar->name() != name) continue;
      for (const Alert& al : ar->Alerts()) {
        if (al.state == AlertState::kFiring) got.push_back({al.labels, al.annotations});
      }
    }
  }
  for (const auto& e : a["exp_alerts"]) {
    auto labels = StringMap(e["exp_labels"]);
    labels["alertname"] = name;
    std::vector<model::Label> ls;
    for (auto& [k, v] : labels) ls.push_back({k, v});
    exp.push_back({model::Labels(ls), StringMap(e["exp_annotations"])});
  }
  if (options.inexact_annotations) {
    // Compare only the expected annotation names; a value may be a pattern.
    for (auto& g : got) {
      auto e = std::find_if(exp.begin(), exp.end(), [&](const LabelsAndAnnotations& x) { return x.labels == g.labels; });
      if (e == exp.end()) continue;
      std::map<std::string, std::string> kept;
      for (const auto& [k, want] : e->annotations) {
        auto have = g.annotations.find(k);
        if (have == g.annotations.end()) continue;
        RE2 re(want, RE2::Quiet);
        kept[k] = (have->second == want || (re.ok() && RE2::FullMatch(have->second, re))) ? want : have->second;
      }
      g.annotations = std::move(kept);
    }
  }
  std::sort(got.begin(), got.end());
  std::sort(exp.begin(), exp.end());
  if (!(got == exp)) {
    failures->push_back(fmt::format("    alertname: {}, time: {}, \n        exp:{}, \n        got:{}", name,
                                    FormatDurationMs(ts), FormatAlerts(exp), FormatAlerts(got)));
  }
}

// Step 5: one promql_expr_test entry: the query's samples against exp_samples.
void CheckExpr(int64_t et, const YAML::Node& e, const QueryFn& query, Failures* failures) {
  using Samples = std::vector<std::pair<model::Labels, double>>;
  std::string expr = e["expr"].as<std::string>("");
  auto fail = [&](std::string what) {
    failures->push_back(fmt::format("    expr: \"{}\", time: {}{}", expr, FormatDurationMs(et), what));
  };
  auto r = query(expr, et);
  if (!r.ok()) return fail(", err: " + r.status().message());
  Samples got, exp;
  for (const auto& s : *r) got.push_back({s.metric, s.v});
  for (const auto& s : e["exp_samples"]) {
    std::string ls_text = s["labels"].as<std::string>("");
    model::Labels ls;
    if (!ls_text.empty()) {
      auto parsed = ParseSeriesLabels(ls_text);
      if (!parsed.ok()) return fail(", err: exp_samples labels: " + parsed.status().message());
      ls = *parsed;
    }
    auto v = ParseFloat(s["value"].as<std::string>("0"));
    exp.push_back({ls, v.ok() ? *v : 0});
  }
  auto by_labels = [](const auto& x, const auto& y) { return x.first < y.first; };
  std::sort(got.begin(), got.end(), by_labels);
  std::sort(exp.begin(), exp.end(), by_labels);
  bool same = got.size() == exp.size();
  for (size_t i = 0; same && i < got.size(); ++i) same = got[i].first == exp[i].first && AlmostEqual(got[i].second, exp[i].second);
  if (same) return;
  auto format = [](const Samples& v) {
    std::vector<std::string> parts;
    for (const auto& [l, x] : v) parts.push_back(fmt::format("{} {}", l.ToString(), FormatFloatG(x)));
    return "[" + Join(parts, ", ") + "]";
  };
  fail(fmt::format(",\n        exp: {}\n        got: {}", format(exp), format(got)));
}

// Runs one entry of `tests`. Returns failures (empty = passed).
Failures RunOne(const YAML::Node& t, const std::vector<RuleFile>& files, int64_t eval_interval,
                const std::vector<std::string>& group_order, const UnitTestOptions& options) {
  int64_t interval = eval_interval;
  if (t["interval"]) {
    auto d = Dur(t["interval"], "interval");
    if (!d.ok()) return {d.status().message()};
    interval = *d;
  }
  storage::MemStorage db;
  promql::Engine engine;
  if (Status st = LoadInputSeries(t, interval, db); !st.ok()) return {st.message()};
  QueryFn query = EngineQueryFn(engine, db);
  auto groups = BuildGroups(t, files, eval_interval, group_order, query, db);
  Failures failures;
  auto checks = CollectChecks(t, eval_interval, &failures);
  if (!checks.ok()) return {checks.status().message()};
  for (int64_t ts = 0; ts <= checks->max_time; ts += eval_interval) {
    for (auto& g : groups) g->Eval(ts);
    CheckRuleErrors(groups, ts, &failures);
    auto it = checks->alerts.find(ts);
    if (it == checks->alerts.end()) continue;
    for (const auto& a : it->second) CheckAlerts(a, groups, ts, options, &failures);
  }
  for (const auto& [et, e] : checks->exprs) CheckExpr(et, e, query, &failures);
  return failures;
}

}  // namespace

UnitTestFileResult RunRuleUnitTests(const std::string& path, const UnitTestOptions& options) {
  UnitTestFileResult res;
  res.file = path;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    res.file_error = Status::NotFound(fmt::format("cannot read {}", path));
    return res;
  } catch (const YAML::Exception& e) {
    res.file_error = Status::InvalidArgument(YamlMessage(path, YamlLine(e.mark), "yaml: " + e.msg));
    return res;
  }
  if (!root.IsMap()) {
    res.file_error = Status::InvalidArgument(path + ": not a rule test file");
    return res;
  }
  int64_t eval_interval = 60000;
  if (root["evaluation_interval"]) {
    auto d = Dur(root["evaluation_interval"], "evaluation_interval");
    if (!d.ok() || *d <= 0) {
      res.file_error = Status::InvalidArgument(path + ": " + (d.ok() ? "evaluation_interval must be positive" : d.status().message()));
      return res;
    }
    eval_interval = *d;
  }
  std::vector<std::string> group_order;
  for (const auto& g : root["group_eval_order"]) group_order.push_back(g.as<std::string>(""));
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::vector<RuleFile> files;
  ParseOptions po;
  po.validate_expr = [](std::string_view e) -> Status {
    auto r = promql::ParseExpr(e);
    return r.ok() ? Status::Ok() : r.status();
  };
  std::vector<std::string> patterns;
  for (const auto& f : root["rule_files"]) {
    std::filesystem::path p = f.as<std::string>("");
    patterns.push_back(p.is_absolute() ? p.string() : (dir / p).string());
  }
  auto expanded = ExpandRuleGlobs(patterns);
  if (!expanded.ok()) {
    res.file_error = expanded.status();
    return res;
  }
  for (const auto& f : *expanded) {
    auto rf = LoadRuleFile(f, po);
    if (!rf.ok()) {
      res.file_error = rf.status();
      return res;
    }
    files.push_back(std::move(rf).value());
  }
  std::set<std::string> tested_alerts;
  std::string all_exprs;
  int n = 0;
  for (const auto& t : root["tests"]) {
    ++n;
    UnitTestCase c;
    c.file = path;
    c.name = t["name"] ? t["name"].as<std::string>("") : fmt::format("test {}", n);
    double start = MonotonicSeconds();
    try {
      c.failures = RunOne(t, files, eval_interval, group_order, options);
    } catch (const YAML::Exception& e) {
      c.failures = {YamlMessage(path, YamlLine(e.mark), e.msg)};
    }
    c.seconds = MonotonicSeconds() - start;
    c.passed = c.failures.empty();
    res.cases.push_back(std::move(c));
    for (const auto& a : t["alert_rule_test"]) tested_alerts.insert(a["alertname"].as<std::string>(""));
    for (const auto& e : t["promql_expr_test"]) all_exprs += e["expr"].as<std::string>("") + "\n";
  }
  if (options.report_coverage) {
    for (const auto& f : files) {
      for (const auto& g : f.groups) {
        for (const auto& r : g.rules) {
          if (r.is_alert() && !tested_alerts.count(r.alert)) res.uncovered.push_back(fmt::format("{}:{}: alert {}", f.path, r.line, r.alert));
          if (!r.is_alert() && all_exprs.find(r.record) == std::string::npos) {
            res.uncovered.push_back(fmt::format("{}:{}: record {}", f.path, r.line, r.record));
          }
        }
      }
    }
  }
  return res;
}

std::string FormatUnitTestResult(const UnitTestFileResult& r, const UnitTestOptions& options) {
  std::string out = "Unit Testing:  " + r.file + "\n";
  if (!r.file_error.ok()) return out + "  FAILED:\n    " + r.file_error.message() + "\n\n";
  if (r.passed()) {
    out += "  SUCCESS\n";
  } else {
    out += "  FAILED:\n";
    for (const auto& c : r.cases) {
      for (const auto& f : c.failures) out += f + "\n";
    }
  }
  if (options.report_coverage) {
    if (r.uncovered.empty()) out += "  Coverage: every rule is tested\n";
    for (const auto& u : r.uncovered) out += "  Not covered by any test: " + u + "\n";
  }
  return out + "\n";
}

std::string FormatJUnit(const std::vector<UnitTestFileResult>& results) {
  auto esc = [](std::string_view s) {
    std::string out = HtmlEscape(s);
    return out;
  };
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
  for (const auto& r : results) {
    int failures = 0;
    double secs = 0;
    for (const auto& c : r.cases) {
      failures += !c.passed;
      secs += c.seconds;
    }
    if (!r.file_error.ok()) failures = 1;
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n", esc(r.file),
                       r.file_error.ok() ? r.cases.size() : 1, failures, secs);
    if (!r.file_error.ok()) {
      out += fmt::format("    <testcase name=\"load\" classname=\"{}\"><failure message=\"{}\"></failure></testcase>\n", esc(r.file),
                         esc(r.file_error.message()));
    }
    for (const auto& c : r.cases) {
      out += fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3f}\"", esc(c.name), esc(r.file), c.seconds);
      if (c.passed) {
        out += "/>\n";
      } else {
        out += fmt::format("><failure message=\"{}\">{}</failure></testcase>\n", esc(c.failures[0].substr(0, 200)),
                           esc(Join(c.failures, "\n")));
      }
    }
    out += "  </testsuite>\n";
  }
  return out + "</testsuites>\n";
}

}  // namespace sremon::rules
