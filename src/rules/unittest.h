// Rule unit tests in promtool's format (`promtool test rules`), run in-process on our PromQL
// engine over an in-memory storage: rule_files, evaluation_interval, group_eval_order, tests
// with input_series in the expanding notation, alert_rule_test and promql_expr_test.
// Beyond promtool: which rules no test covers, JUnit XML, and inexact annotation matching.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "util/status.h"

namespace sremon::rules {

// One value of the series notation: a sample, a gap (`_`) or a staleness marker (`stale`).
struct SeriesValue {
  enum Kind { kValue, kGap, kStale } kind = kValue;
  double v = 0;
};

// Expands promtool's series values: "1+2x3 _ stale -1x2 _x2" → 1 3 5 7 _ stale -1 -1 -1 _ _.
Result<std::vector<SeriesValue>> ExpandSeriesValues(std::string_view values);
// Parses `metric{a="b"}` / `{__name__="m", a="b"}` into labels.
Result<model::Labels> ParseSeriesLabels(std::string_view series);

struct UnitTestOptions {
  // Expected annotations: only the listed ones are compared, and an expected value may also be
  // an RE2 pattern that fully matches the actual value.
  bool inexact_annotations = false;
  bool report_coverage = false;  // list rules no test exercises
};

struct UnitTestCase {
  std::string name;     // test name (or "test N")
  std::string file;
  bool passed = true;
  std::vector<std::string> failures;
  double seconds = 0;
};

struct UnitTestFileResult {
  std::string file;
  Status file_error;  // the file could not be read or run at all
  std::vector<UnitTestCase> cases;
  std::vector<std::string> uncovered;  // "alert AppDown", "record job:x" (report_coverage)
  bool passed() const;
};

UnitTestFileResult RunRuleUnitTests(const std::string& path, const UnitTestOptions& options);

// promtool's console output for one file ("Unit Testing:  f.yml\n  SUCCESS\n").
std::string FormatUnitTestResult(const UnitTestFileResult& r, const UnitTestOptions& options);
// JUnit XML for all files (one testsuite per file).
std::string FormatJUnit(const std::vector<UnitTestFileResult>& results);

}  // namespace sremon::rules
