// Runner for the PromQL script-test language (Prometheus promql/testdata/*.test and its
// promql/test.go): load / clear / eval instant (plain, _fail, _ordered), the
// runner's @-modifier variants and range-mode cross-check, plus `eval range from .. to .. step ..`
// from the newer dialect (used by our own tests).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace sremon::promql {

struct ScriptOptions {
  bool at_modifier_variants = true;  // FORMAT.md 8(a)
  bool range_check = true;           // FORMAT.md 8(b)
};

struct ScriptCase {
  int line = 0;            // 1-based line of the eval header
  std::string expr;
  bool pass = false;
  std::string error;       // why it failed
};

struct ScriptResult {
  std::vector<ScriptCase> cases;
  Status file_error;  // a syntax error that stopped the file
  int passed() const;
  int failed() const;  // failed cases, plus one for a file error
};

ScriptResult RunScript(std::string_view content, const ScriptOptions& options = {});

}  // namespace sremon::promql
