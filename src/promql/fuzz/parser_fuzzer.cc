// libFuzzer target: ParseExpr must never crash, and what it accepts must print (String() and
// Prettify()) to text that parses again (format_query relies on that). The printed form need not
// be a fixed point: as in Prometheus, "+Inf ^ x" prints its literal as "+Inf".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "promql/ast.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto e = sremon::promql::ParseExpr(in);
  if (e.ok()) {
    if (!sremon::promql::ParseExpr((*e)->String()).ok()) std::abort();
    if (!sremon::promql::ParseExpr(sremon::promql::Prettify(**e)).ok()) std::abort();
  }
  sremon::promql::ParseMetricSelector(in);
  return 0;
}
