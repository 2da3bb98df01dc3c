// Rule tools: `sremon check rules FILE...` (promtool check rules), `sremon test rules FILE...`
// (promtool test rules, see rules/unittest.h) and `sremon rules backtest`.
#include <iostream>

#include <fmt/format.h>

#include "promql/ast.h"
#include "rules/backtest.h"
#include "rules/datasource.h"
#include "rules/rule_file.h"
#include "rules/unittest.h"
#include "util/strings.h"
#include "services/common.h"
#include "services/services.h"
#include "util/time.h"

namespace sremon::services {

namespace {

Status ValidatePromql(std::string_view e) {
  auto r = promql::ParseExpr(e);
  return r.ok() ? Status::Ok() : r.status();
}

int CheckRules(const std::vector<std::string>& files) {
  bool failed = false;
  for (const auto& f : files) {
    std::cout << "Checking " << f << "\n";
    rules::ParseOptions opts;
    opts.validate_expr = ValidatePromql;
    auto rf = rules::LoadRuleFile(f, opts);
    if (!rf.ok()) {
      failed = true;
      std::cout << "  FAILED:\n" << rf.status().message() << "\n\n";
      continue;
    }
    size_t n = 0;
    for (const auto& g : rf->groups) n += g.rules.size();
    auto dups = rules::FindDuplicateRules(*rf);
    if (!dups.empty()) {
      std::cout << fmt::format("{} duplicate rule(s) found.\n", dups.size());
      for (const auto& d : dups) std::cout << "  " << d << "\n";
      std::cout << "Might cause inconsistency while recording expressions.\n";
    }
    std::cout << fmt::format("  SUCCESS: {} rules found\n\n", n);
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

int RunCheck(int argc, char** argv) {
  CLI::App cli{"Checks configuration files.\n  sremon check rules FILE...  rule files, as promtool check rules: "
               "YAML, PromQL, templates, duplicate rules; errors as file:line", argv[0]};
  std::string what;
  std::vector<std::string> files;
  cli.add_option("what", what, "what to check: rules")->required();
  cli.add_option("files", files, "files to check")->required();
  if (auto code = ParseFlags(cli, argc, argv)) return *code;
  if (what != "rules") {
    std::cerr << argv[0] << ": unknown check \"" << what << "\" (available: rules)\n";
    return kExitUsage;
  }
  return CheckRules(files);
}

int RunRulesBacktest(int argc, char** argv) {
  CLI::App cli{"Replays alerting rules over stored history (a range query against --datasource.url) with "
               "the exact for/keep_firing_for state machine, and prints when each alert would have been "
               "pending and firing and how often it flapped.",
               argv[0]};
  std::string rule_file, from, to, datasource_url, step, name, format = "text";
  cli.add_option("--rule", rule_file, "Rule file (required)")->required();
  cli.add_option("--from", from, "Start: RFC 3339, Unix seconds, or a duration ago such as 6h (required)")->required();
  cli.add_option("--to", to, "End: RFC 3339, Unix seconds, or a duration ago (default now)");
  cli.add_option("--datasource.url", datasource_url, "Prometheus-compatible query API (required)")->required();
  cli.add_option("--step", step, "Evaluation step (default the group's interval, else 1m)");
  cli.add_option("--name", name, "Only the alerting rule with this name (default all)");
  cli.add_option("--format", format, "text or json (default text)");
  if (auto code = ParseFlags(cli, argc, argv)) return *code;
  auto usage = [&](const std::string& msg) {
    std::cerr << argv[0] << ": " << msg << "\n";
    return kExitUsage;
  };
  if (format != "text" && format != "json") return usage("--format must be text or json");
  int64_t now = NowMs();
  auto parse_time = [&](const std::string& s) -> Result<int64_t> {
    if (s.empty()) return now;
    if (auto ago = ParseDurationMs(s); ago.ok()) return now - *ago;
    return ParseTimeParam(s);
  };
  auto from_ms = parse_time(from);
  auto to_ms = parse_time(to);
  if (!from_ms.ok()) return usage("invalid --from: " + from_ms.status().message());
  if (!to_ms.ok()) return usage("invalid --to: " + to_ms.status().message());
  int64_t step_ms = 0;
  if (!step.empty()) {
    auto s = ParseDurationMs(step, true);
    if (!s.ok() || *s <= 0) return usage("invalid --step: " + step);
    step_ms = *s;
  }
  rules::ParseOptions opts;
  opts.validate_expr = ValidatePromql;
  auto rf = rules::LoadRuleFile(rule_file, opts);
  if (!rf.ok()) {
    std::cerr << rf.status().message() << "\n";
    return kExitFailure;
  }
  rules::DatasourceOptions ds;
  ds.url = datasource_url;
  rules::RangeQueryFn q = [&ds](const std::string& e, int64_t s, int64_t en, int64_t st) {
    return rules::HttpQueryRange(ds, e, s, en, st);
  };
  int ran = 0;
  for (const auto& g : rf->groups) {
    for (const auto& r : g.rules) {
      if (!r.is_alert() || (!name.empty() && r.alert != name)) continue;
      int64_t st = step_ms ? step_ms : (g.interval_ms ? g.interval_ms : 60000);
      auto res = rules::Backtest(r, q, *from_ms, *to_ms, st);
      if (!res.ok()) {
        std::cerr << "backtest of " << r.alert << ": " << res.status().message() << "\n";
        return kExitFailure;
      }
      std::cout << (format == "json" ? rules::FormatBacktestJson(*res) + "\n" : rules::FormatBacktestText(*res) + "\n");
      ++ran;
    }
  }
  if (!ran) {
    std::cerr << "no alerting rule" << (name.empty() ? "" : " named " + name) << " in " << rule_file << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int RunTest(int argc, char** argv) {
  CLI::App cli{"Runs rule unit tests.\n  sremon test rules [FLAGS] TEST.yml...  promtool's test files, unchanged, run on "
               "sremon's PromQL engine", argv[0]};
  std::string what, junit;
  std::vector<std::string> files;
  rules::UnitTestOptions opts;
  cli.add_option("what", what, "what to test: rules")->required();
  cli.add_option("files", files, "test files")->required();
  cli.add_option("--junit", junit, "Also write the results as JUnit XML to this file");
  cli.add_flag("--coverage", opts.report_coverage, "Report rules that no test exercises (alerts never named in an "
               "alert_rule_test, recording rules never used in a promql_expr_test)");
  cli.add_flag("--inexact-annotations", opts.inexact_annotations, "Compare only the annotations a test lists, and "
               "accept an expected value that, as an RE2 pattern, fully matches the actual one");
  if (auto code = ParseFlags(cli, argc, argv)) return *code;
  if (what != "rules") {
    std::cerr << argv[0] << ": unknown test kind \"" << what << "\" (available: rules)\n";
    return kExitUsage;
  }
  std::vector<rules::UnitTestFileResult> results;
  bool failed = false;
  for (const auto& f : files) {
    results.push_back(rules::RunRuleUnitTests(f, opts));
    std::cout << rules::FormatUnitTestResult(results.back(), opts);
    failed |= !results.back().passed();
  }
  if (!junit.empty()) {
    FILE* out = std::fopen(junit.c_str(), "w");
    std::string xml = rules::FormatJUnit(results);
    if (!out || std::fwrite(xml.data(), 1, xml.size(), out) != xml.size()) {
      std::cerr << argv[0] << ": cannot write " << junit << "\n";
      if (out) std::fclose(out);
      return kExitFailure;
    }
    std::fclose(out);
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace sremon::services
