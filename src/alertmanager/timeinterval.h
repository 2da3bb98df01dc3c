// Alertmanager time intervals (`time_intervals:` / `mute_time_intervals:`): times of day,
// weekdays, days of month (negative = from the end), months, years, in UTC or Local time.
// Thread-safety: immutable values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/status.h"

namespace YAML {
class Node;
}

namespace sremon::alertmanager {

struct IntRange {
  int begin = 0, end = 0;  // inclusive, except times (end exclusive, in minutes)
};

struct TimeInterval {
  std::vector<IntRange> times;          // minutes of the day [begin, end)
  std::vector<IntRange> weekdays;       // 0 = Sunday
  std::vector<IntRange> days_of_month;  // 1..31 or -31..-1
  std::vector<IntRange> months;         // 1..12
  std::vector<IntRange> years;
  bool local = false;  // location: Local; otherwise UTC
  bool location_set = false;  // `location:` was written (the config dump shows it only then)

  bool ContainsTime(int64_t ms) const;
};

// A named interval is a list; the time is in it when any entry contains it.
using TimeIntervals = std::vector<TimeInterval>;
bool ContainsTime(const TimeIntervals& tis, int64_t ms);

// Parses one entry of a named interval's `time_intervals` list. Errors name no line; the
// caller adds it.
Result<TimeInterval> ParseTimeInterval(const YAML::Node& node);

}  // namespace sremon::alertmanager
