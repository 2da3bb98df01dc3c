// Time helpers: milliseconds since the epoch are the unit everywhere (Prometheus convention).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace sremon {

int64_t NowMs();
// Monotonic clock for measuring durations, in seconds.
double MonotonicSeconds();

// Prometheus duration syntax: "1h30m", "5m", "2d", "1w", "1y", "250ms"; units y w d h m s ms.
// With allow_float_seconds, a bare number ("15", "0.5") is seconds, as the HTTP API accepts.
Result<int64_t> ParseDurationMs(std::string_view s, bool allow_float_seconds = false);
// The inverse, as Prometheus prints durations: "1h30m", "5m", "0s", "1d" (largest units first).
std::string FormatDurationMs(int64_t ms);

// The HTTP API's time parameter: Unix seconds with decimals, or RFC 3339. Returns ms.
Result<int64_t> ParseTimeParam(std::string_view s);
// RFC 3339 with milliseconds in UTC: "2024-01-02T03:04:05.678Z".
std::string FormatRfc3339Ms(int64_t ms);
Result<int64_t> ParseRfc3339(std::string_view s);

}  // namespace sremon
