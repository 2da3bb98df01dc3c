// libFuzzer target: ParseExpr must never crash, and what it accepts must print to text that
// parses again to the same canonical form (format_query relies on that).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "promql/ast.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto e = sremon::promql::ParseExpr(in);
  if (e.ok()) {
    std::string s1 = (*e)->String();
    auto again = sremon::promql::ParseExpr(s1);
    if (!again.ok() || (*again)->String() != s1) std::abort();
  }
  sremon::promql::ParseMetricSelector(in);
  return 0;
}
