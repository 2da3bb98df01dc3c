// Go-compatible string unquoting (strconv.Unquote, also for single quotes as Prometheus's
// strutil.Unquote allows). Quoting (%q) is sremon::Quote in util/strings.h.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace sremon::promql {

// `s` includes its quotes: "...", '...' or `...` (raw).
Result<std::string> GoUnquote(std::string_view s);

}  // namespace sremon::promql
