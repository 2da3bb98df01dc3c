// Parameter parsing of the Prometheus query API, with Prometheus 2.42's error texts
// (web/api/v1/api.go parseTime, parseTimeParam, parseDuration, parseMatchersParam).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/http.h"
#include "model/labels.h"
#include "util/status.h"

namespace sremon::api {

// Unix seconds (decimals rounded to ms) or RFC 3339, also Prometheus's min/max time strings
// that clients send for "all time". Out-of-range numbers (1e30, Inf) clamp to the storage
// time range instead of overflowing. Error: `cannot parse "x" to a valid timestamp`.
Result<int64_t> ParseTime(std::string_view s);

// ParseTime of an optional parameter: def when absent or empty. Error:
// `Invalid time value for 'start': cannot parse "x" to a valid timestamp`.
Result<int64_t> ParseTimeParam(const http::Request& req, std::string_view name, int64_t def);

// Float seconds or a Prometheus duration ("1m30s"), in nanoseconds so that sub-millisecond
// steps are judged as Prometheus judges them. Errors: `cannot parse "x" to a valid duration`
// and `... It overflows int64`.
Result<int64_t> ParseDurationNs(std::string_view s);

// "11000" → "11,000" (Go's humanize style used in the max-points error).
std::string WithThousandsSeparators(int64_t n);

}  // namespace sremon::api
