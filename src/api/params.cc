#include "api/params.h"

#include <cmath>

#include <fmt/format.h>

#include "storage/storage.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::api {
namespace {

// Prometheus's minTime/maxTime formatted (web/api/v1/api.go): clients such as Thanos and
// promtool send them to mean "unbounded".
constexpr std::string_view kMinTimeFormatted = "-292273086-05-16T16:47:06Z";
constexpr std::string_view kMaxTimeFormatted = "292277025-08-18T07:12:54.999999999Z";

// Seconds beyond which ms no longer fit in the storage range.
constexpr double kMaxSeconds = static_cast<double>(storage::kMaxTime) / 1000.0;

}  // namespace

Result<int64_t> ParseTime(std::string_view s) {
  auto f = ParseFloat(s);
  if (f.ok()) {
    double v = *f;
    // Go converts an out-of-range float to int64 as the minimum value (amd64): the time is
    // meaningless either way, so clamp and let the query answer empty.
    if (std::isnan(v)) return storage::kMinTime;
    if (v >= kMaxSeconds) return storage::kMaxTime;
    if (v <= -kMaxSeconds) return storage::kMinTime;
    // Round the fraction alone, as Prometheus does (math.Modf, then math.Round of ms): 1.2345 is
    // 1234 ms there, while rounding v * 1000 as a whole gives 1235.
    double secs = 0;
    double frac = std::modf(v, &secs);
    return static_cast<int64_t>(secs) * 1000 + std::llround(frac * 1000);
  }
  if (s == kMinTimeFormatted) return storage::kMinTime;
  if (s == kMaxTimeFormatted) return storage::kMaxTime;
  auto t = sremon::ParseTimeParam(s);
  if (t.ok()) return t;
  return Status::InvalidArgument(fmt::format("cannot parse {} to a valid timestamp", Quote(s)));
}

Result<int64_t> ParseTimeParam(const http::Request& req, std::string_view name, int64_t def) {
  std::string_view v = req.Param(name);
  if (v.empty()) return def;
  auto t = ParseTime(v);
  if (!t.ok()) {
    return Status::InvalidArgument(fmt::format("Invalid time value for '{}': {}", name, t.status().message()));
  }
  return t;
}

Result<int64_t> ParseDurationNs(std::string_view s) {
  auto f = ParseFloat(s);
  if (f.ok()) {
    double ns = *f * 1e9;
    if (std::isnan(ns)) return std::numeric_limits<int64_t>::min();  // Go's int64(NaN) on amd64
    if (ns >= 9223372036854775807.0 || ns < -9223372036854775808.0) {
      return Status::InvalidArgument(fmt::format("cannot parse {} to a valid duration. It overflows int64", Quote(s)));
    }
    return static_cast<int64_t>(ns);
  }
  if (!s.empty()) {
    auto ms = ParseDurationMs(s, false);
    if (ms.ok() && *ms >= 0 && *ms <= std::numeric_limits<int64_t>::max() / 1'000'000) return *ms * 1'000'000;
  }
  return Status::InvalidArgument(fmt::format("cannot parse {} to a valid duration", Quote(s)));
}

std::string WithThousandsSeparators(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count > 0 && count % 3 == 0) out.push_back(',');
    out.push_back(*it);
    ++count;
  }
  if (n < 0) out.push_back('-');
  return std::string(out.rbegin(), out.rend());
}

}  // namespace sremon::api
