#include "alertmanager/timeinterval.h"

#include <ctime>
#include <map>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "util/strings.h"

namespace sremon::alertmanager {

namespace {

const std::map<std::string, int>& Weekdays() {
  static const std::map<std::string, int> m = {{"sunday", 0},   {"monday", 1}, {"tuesday", 2}, {"wednesday", 3},
                                               {"thursday", 4}, {"friday", 5}, {"saturday", 6}};
  return m;
}
const std::map<std::string, int>& Months() {
  static const std::map<std::string, int> m = {
      {"january", 1}, {"february", 2}, {"march", 3},     {"april", 4},    {"may", 5},       {"june", 6},
      {"july", 7},    {"august", 8},   {"september", 9}, {"october", 10}, {"november", 11}, {"december", 12}};
  return m;
}

// "a:b" or "a" with names looked up in `names` (when given) or integers.
Result<IntRange> ParseRange(const std::string& s, const std::map<std::string, int>* names, const char* what) {
  auto one = [&](std::string_view p) -> Result<int> {
    std::string v = ToLower(Trim(p));
    if (names) {
      auto it = names->find(v);
      if (it != names->end()) return it->second;
    }
    auto n = ParseInt(v);
    if (!n.ok() || *n < -100000 || *n > 100000) {
      return Status::InvalidArgument(fmt::format("{} is not a valid {}", Quote(std::string(p)), what));
    }
    return static_cast<int>(*n);
  };
  size_t colon = s.find(':');
  auto b = one(colon == std::string::npos ? s : s.substr(0, colon));
  if (!b.ok()) return b.status();
  auto e = colon == std::string::npos ? b : one(s.substr(colon + 1));
  if (!e.ok()) return e.status();
  return IntRange{*b, *e};
}

Result<int> ParseClock(const std::string& s) {
  int h = 0, m = 0;
  char extra;
  if (s.size() != 5 || std::sscanf(s.c_str(), "%2d:%2d%c", &h, &m, &extra) != 2 || h < 0 || h > 24 || m < 0 ||
      m > 59 || (h == 24 && m != 0)) {
    return Status::InvalidArgument(fmt::format("couldn't parse timestamp {}, invalid format", s));
  }
  return h * 60 + m;
}

Status ParseList(const YAML::Node& node, const char* key, const std::map<std::string, int>* names, int lo, int hi,
                 std::vector<IntRange>* out) {
  const YAML::Node list = node[key];
  if (!list) return Status::Ok();
  if (!list.IsSequence()) return Status::InvalidArgument(fmt::format("{} must be a list", key));
  for (const auto& item : list) {
    if (!item.IsScalar()) return Status::InvalidArgument(fmt::format("{} entries must be strings", key));
    auto r = ParseRange(item.Scalar(), names, key);
    if (!r.ok()) return r.status();
    if (r->begin < lo || r->begin > hi || r->end < lo || r->end > hi) {
      return Status::InvalidArgument(fmt::format("{}: {} is out of range", key, Quote(item.Scalar())));
    }
    if (std::string(key) == "days_of_month") {
      if (r->begin == 0 || r->end == 0) {
        return Status::InvalidArgument(fmt::format("days_of_month: {}: 0 is not a valid day", Quote(item.Scalar())));
      }
      if ((r->begin < 0) == (r->end < 0) && r->begin > r->end) {
        return Status::InvalidArgument(
            fmt::format("days_of_month: {}: start day cannot be after end day", Quote(item.Scalar())));
      }
      if (r->begin > 0 && r->end < 0) {
        // Allowed upstream only when it cannot be empty; keep it.
      } else if (r->begin < 0 && r->end > 0) {
        return Status::InvalidArgument(
            fmt::format("days_of_month: {}: end day must be negative if start day is negative", Quote(item.Scalar())));
      }
    } else if (r->begin > r->end) {
      return Status::InvalidArgument(fmt::format("{}: {}: start cannot be after end", key, Quote(item.Scalar())));
    }
    out->push_back(*r);
  }
  return Status::Ok();
}

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return kDays[month - 1];
}

}  // namespace

Result<TimeInterval> ParseTimeInterval(const YAML::Node& node) {
  TimeInterval ti;
  if (!node.IsMap()) return Status::InvalidArgument("time interval must be a map");
  for (const auto& kv : node) {
    std::string k = kv.first.as<std::string>("");
    if (k != "times" && k != "weekdays" && k != "days_of_month" && k != "months" && k != "years" &&
        k != "location") {
      return Status::InvalidArgument(fmt::format("field {} not found in type timeinterval.TimeInterval", k));
    }
  }
  if (const YAML::Node times = node["times"]) {
    if (!times.IsSequence()) return Status::InvalidArgument("times must be a list");
    for (const auto& t : times) {
      if (!t.IsMap() || !t["start_time"] || !t["end_time"]) {
        return Status::InvalidArgument("both start and end times must be provided");
      }
      auto b = ParseClock(t["start_time"].as<std::string>(""));
      if (!b.ok()) return b.status();
      auto e = ParseClock(t["end_time"].as<std::string>(""));
      if (!e.ok()) return e.status();
      if (*b >= *e) return Status::InvalidArgument("start time cannot be equal or greater than end time");
      ti.times.push_back({*b, *e});
    }
  }
  SREMON_RETURN_IF_ERROR(ParseList(node, "weekdays", &Weekdays(), 0, 6, &ti.weekdays));
  SREMON_RETURN_IF_ERROR(ParseList(node, "days_of_month", nullptr, -31, 31, &ti.days_of_month));
  SREMON_RETURN_IF_ERROR(ParseList(node, "months", &Months(), 1, 12, &ti.months));
  SREMON_RETURN_IF_ERROR(ParseList(node, "years", nullptr, 0, 9999, &ti.years));
  if (const YAML::Node loc = node["location"]) {
    std::string l = loc.as<std::string>("");
    ti.location_set = !l.empty();
    if (l == "Local") {
      ti.local = true;
    } else if (l != "UTC" && l != "") {
      return Status::InvalidArgument(
          fmt::format("location {} is not supported by sremon (use UTC or Local)", Quote(l)));
    }
  }
  return ti;
}

bool TimeInterval::ContainsTime(int64_t ms) const {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  if (local) {
    localtime_r(&secs, &tm);
  } else {
    gmtime_r(&secs, &tm);
  }
  auto in_any = [](const std::vector<IntRange>& rs, int v) {
    for (const auto& r : rs) {
      if (v >= r.begin && v <= r.end) return true;
    }
    return false;
  };
  if (!times.empty()) {
    int minute = tm.tm_hour * 60 + tm.tm_min;
    bool in = false;
    for (const auto& r : times) in = in || (minute >= r.begin && minute < r.end);
    if (!in) return false;
  }
  if (!days_of_month.empty()) {
    int year = tm.tm_year + 1900, month = tm.tm_mon + 1;
    int dim = DaysInMonth(year, month);
    bool in = false;
    for (const auto& r : days_of_month) {
      int b = r.begin < 0 ? dim + r.begin + 1 : r.begin;
      int e = r.end < 0 ? dim + r.end + 1 : r.end;
      if (b > dim) continue;
      e = std::min(e, dim);
      if (tm.tm_mday >= b && tm.tm_mday <= e) in = true;
    }
    if (!in) return false;
  }
  if (!months.empty() && !in_any(months, tm.tm_mon + 1)) return false;
  if (!weekdays.empty() && !in_any(weekdays, tm.tm_wday)) return false;
  if (!years.empty() && !in_any(years, tm.tm_year + 1900)) return false;
  return true;
}

bool ContainsTime(const TimeIntervals& tis, int64_t ms) {
  for (const auto& ti : tis) {
    if (ti.ContainsTime(ms)) return true;
  }
  return false;
}

}  // namespace sremon::alertmanager
