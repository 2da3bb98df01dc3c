// `sremon promqltest FILE...`: runs PromQL script tests (.test files in the language of Prometheus's promql/testdata)
// against the in-process engine and an in-memory store. Prints one line per eval and a final
// "N passed, N failed" line; exits 1 when anything failed.
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "promql/promqltest.h"
#include "services/common.h"
#include "services/services.h"

namespace sremon::services {

int RunPromqlTest(int argc, char** argv) {
  CLI::App app("Runs PromQL script tests (.test files) against the built-in engine.");
  std::vector<std::string> files;
  bool quiet = false, no_at = false, no_range = false;
  app.add_option("files", files, "test files")->required();
  app.add_flag("-q,--quiet", quiet, "print only failures and the summary (default: every case)");
  app.add_flag("--no-at-variants", no_at, "skip the @-modifier variants of each eval (default: run them)");
  app.add_flag("--no-range-check", no_range, "skip the range-mode cross-check of each eval (default: run it)");
  if (auto code = ParseFlags(app, argc, argv)) return *code;

  promql::ScriptOptions opts;
  opts.at_modifier_variants = !no_at;
  opts.range_check = !no_range;
  int passed = 0, failed = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::cout << "FAIL " << f << ": cannot open file\n";
      ++failed;
      continue;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    promql::ScriptResult r = promql::RunScript(buf.str(), opts);
    for (const auto& c : r.cases) {
      if (c.pass && quiet) continue;
      std::cout << (c.pass ? "PASS " : "FAIL ") << f << ":" << c.line << " " << c.expr;
      if (!c.pass) std::cout << ": " << c.error;
      std::cout << "\n";
    }
    if (!r.file_error.ok()) std::cout << "FAIL " << f << ": " << r.file_error.message() << "\n";
    passed += r.passed();
    failed += r.failed();
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed > 0 ? 1 : 0;
}

}  // namespace sremon::services
