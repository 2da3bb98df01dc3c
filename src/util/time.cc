#include "util/time.h"

#include <chrono>
#include <cmath>
#include <ctime>

#include "util/strings.h"

namespace sremon {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

double MonotonicSeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

Result<int64_t> ParseDurationMs(std::string_view s, bool allow_float_seconds) {
  if (s.empty()) return Status::InvalidArgument("empty duration string");
  if (allow_float_seconds) {
    auto f = ParseFloat(s);
    if (f.ok()) {
      double v = *f;
      if (std::isnan(v) || std::isinf(v) || std::fabs(v) * 1000 > 9.2e18) {
        return Status::InvalidArgument(fmt::format("cannot parse {} to a valid duration", Quote(s)));
      }
      return static_cast<int64_t>(std::llround(v * 1000));
    }
  }
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"ms", 1},           {"s", 1000},          {"m", 60000},
                                    {"h", 3600000},      {"d", 86400000},      {"w", 604800000},
                                    {"y", 31536000000LL}};
  int64_t total = 0;
  size_t i = 0;
  int last_unit = 100;  // units must appear in decreasing order, each at most once
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return Status::InvalidArgument(fmt::format("not a valid duration string: {}", Quote(s)));
    int64_t n = 0;
    for (size_t k = start; k < i; ++k) {
      if (n > (INT64_MAX - 9) / 10) return Status::InvalidArgument(fmt::format("duration out of range: {}", Quote(s)));
      n = n * 10 + (s[k] - '0');
    }
    size_t ustart = i;
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z'))) ++i;
    std::string_view unit = s.substr(ustart, i - ustart);
    int found = -1;
    for (int u = 0; u < 7; ++u) {
      if (kUnits[u].name == unit) found = u;
    }
    if (found < 0) return Status::InvalidArgument(fmt::format("not a valid duration string: {}", Quote(s)));
    // Order: y w d h m s ms  → indexes 6 5 4 3 2 1 0; must strictly decrease.
    if (found >= last_unit) return Status::InvalidArgument(fmt::format("not a valid duration string: {}", Quote(s)));
    last_unit = found;
    if (n > INT64_MAX / kUnits[found].ms) return Status::InvalidArgument(fmt::format("duration out of range: {}", Quote(s)));
    total += n * kUnits[found].ms;
  }
  return total;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out.push_back('-');
    ms = -ms;
  }
  struct Unit {
    const char* name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"y", 31536000000LL}, {"w", 604800000}, {"d", 86400000},
                                    {"h", 3600000},       {"m", 60000},     {"s", 1000},
                                    {"ms", 1}};
  for (const auto& u : kUnits) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms) + u.name;
      ms %= u.ms;
    }
  }
  return out;
}

namespace {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

Result<int64_t> ParseRfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  auto bad = [&] { return Status::InvalidArgument(fmt::format("cannot parse {} as RFC 3339 time", Quote(s))); };
  if (s.size() < 20) return bad();
  auto num = [&](size_t pos, size_t len, int* out) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!num(0, 4, &y) || s[4] != '-' || !num(5, 2, &mo) || s[7] != '-' || !num(8, 2, &d) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !num(11, 2, &h) || s[13] != ':' ||
      !num(14, 2, &mi) || s[16] != ':' || !num(17, 2, &se)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return bad();
  size_t i = 19;
  int64_t frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    int64_t scale = 100;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 3) frac_ms += (s[i] - '0') * scale;
      scale /= 10;
      ++digits;
      ++i;
    }
    if (digits == 0) return bad();
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh, om;
    if (!num(i + 1, 2, &oh) || !num(i + 4, 2, &om)) return bad();
    offset_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return bad();
  }
  if (i != s.size()) return bad();
  int64_t days = DaysFromCivil(y, mo, d);
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
  return secs * 1000 + frac_ms;
}

Result<int64_t> ParseTimeParam(std::string_view s) {
  auto f = ParseFloat(s);
  if (f.ok() && !std::isnan(*f) && !std::isinf(*f)) {
    // Round to milliseconds as Prometheus does.
    return static_cast<int64_t>(std::llround(*f * 1000.0));
  }
  auto t = ParseRfc3339(s);
  if (t.ok()) return t;
  return Status::InvalidArgument(fmt::format("cannot parse {} to a valid timestamp", Quote(s)));
}

std::string FormatRfc3339Ms(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int frac = static_cast<int>(ms - static_cast<int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

}  // namespace sremon
