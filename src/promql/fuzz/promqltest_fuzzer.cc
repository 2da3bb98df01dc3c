// libFuzzer target for the .test script reader (load notation, eval headers, expected blocks)
// and, through it, the engine: RunScript must report errors, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "promql/promqltest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 2048) return 0;  // keeps loads (and so each run) small
  sremon::promql::ScriptOptions opts;
  opts.at_modifier_variants = false;
  opts.range_check = false;
  sremon::promql::RunScript(std::string_view(reinterpret_cast<const char*>(data), size), opts);
  return 0;
}
