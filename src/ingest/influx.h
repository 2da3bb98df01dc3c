// InfluxDB line protocol: one point per line,
//   measurement[,tag=value...] field=value[,field=value...] [timestamp]
// with backslash escapes (measurement: comma, space; tag keys and values, field keys: comma,
// equals sign, space) and field values that are floats (1.5, 1e3), integers (12i), unsigned
// integers (12u), booleans (t, true, F, false...) or double-quoted strings (\" and \\ escaped).
// Reference: InfluxDB's line protocol reference (v1 and v2 agree on this grammar).
// Thread-safety: free functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace sremon::influx {

struct Field {
  std::string key;
  double value = 0;
  bool is_string = false;  // a string value: value is unset (strings are not samples)
};

struct Point {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<Field> fields;
  bool has_timestamp = false;
  int64_t timestamp = 0;  // in the request's precision
};

// Parses one line (no '\n'). Errors name what is wrong ("missing field value for \"x\"").
Status ParseLine(std::string_view line, Point* out);

// Nanoseconds per unit of the `precision` query argument: "ns" (or "" / "n"), "u"/"us"/"µ",
// "ms", "s", "m", "h". Unknown: error.
Result<int64_t> PrecisionNanos(std::string_view precision);

}  // namespace sremon::influx
