// Go-compatible string quoting (fmt %q) and unquoting (strconv.Unquote, also for single
// quotes as Prometheus's strutil.Unquote allows). Used by the parser, printers and the runner.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace sremon::promql {

std::string GoQuote(std::string_view s);
// `s` includes its quotes: "...", '...' or `...` (raw).
Result<std::string> GoUnquote(std::string_view s);

}  // namespace sremon::promql
