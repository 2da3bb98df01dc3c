#include "ingest/influx.h"

#include <cmath>

#include <fmt/format.h>

#include "util/strings.h"

namespace sremon::influx {

namespace {

// Reads up to the first unescaped byte of `stops` (or the end), unescaping `\x` where x is one
// of `escapable`; a backslash before anything else is kept, as InfluxDB does.
std::string_view ReadToken(std::string_view s, size_t* pos, std::string_view stops, std::string_view escapable,
                           std::string* out) {
  out->clear();
  size_t start = *pos, i = *pos;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size() && escapable.find(s[i + 1]) != std::string_view::npos) {
      out->push_back(s[i + 1]);
      i += 2;
      continue;
    }
    if (stops.find(c) != std::string_view::npos) break;
    out->push_back(c);
    ++i;
  }
  *pos = i;
  return s.substr(start, i - start);
}

bool ParseBool(std::string_view v, double* out) {
  if (v == "t" || v == "T" || v == "true" || v == "True" || v == "TRUE") return *out = 1, true;
  if (v == "f" || v == "F" || v == "false" || v == "False" || v == "FALSE") return *out = 0, true;
  return false;
}

// A number, with the i/u suffixes of integers. util::ParseFloat also takes "nan", "inf" and
// hex, which line protocol does not have: only digits, sign, '.', 'e'/'E' pass.
bool ParseNumber(std::string_view v, double* out) {
  bool integer = !v.empty() && (v.back() == 'i' || v.back() == 'u');
  if (integer) {
    if (v.back() == 'u' && v.starts_with('-')) return false;
    v.remove_suffix(1);
  }
  if (v.empty()) return false;
  for (char c : v) {
    bool ok = (c >= '0' && c <= '9') || c == '-' || c == '+' || (!integer && (c == '.' || c == 'e' || c == 'E'));
    if (!ok) return false;
  }
  if (integer) {
    auto i = ParseInt(v);
    if (i.ok()) *out = static_cast<double>(*i);
    return i.ok();
  }
  auto d = ParseFloat(v);
  if (d.ok()) *out = *d;
  return d.ok();
}

}  // namespace

Status ParseLine(std::string_view line, Point* out) {
  out->measurement.clear();
  out->tags.clear();
  out->fields.clear();
  out->has_timestamp = false;
  out->timestamp = 0;
  size_t pos = 0;
  std::string key, value;
  // Measurement: up to an unescaped comma (tags follow) or space (fields follow).
  ReadToken(line, &pos, ", ", ", \\", &out->measurement);
  if (pos >= line.size()) {
    return Status::InvalidArgument(fmt::format("missing field set after measurement {}", Quote(out->measurement)));
  }
  while (pos < line.size() && line[pos] == ',') {
    ++pos;
    ReadToken(line, &pos, ",= ", ",= \\", &key);
    if (pos >= line.size() || line[pos] != '=') {
      return Status::InvalidArgument(fmt::format("missing '=' after tag key {}", Quote(key)));
    }
    ++pos;
    ReadToken(line, &pos, ", ", ",= \\", &value);
    if (key.empty()) return Status::InvalidArgument("empty tag key");
    // InfluxDB refuses empty tag values; VictoriaMetrics keeps the series without the tag.
    if (!value.empty()) out->tags.emplace_back(std::move(key), std::move(value));
  }
  if (pos >= line.size() || line[pos] != ' ') {
    return Status::InvalidArgument(fmt::format("missing field set for measurement {}", Quote(out->measurement)));
  }
  ++pos;
  // Fields: key=value pairs separated by commas, until an unescaped space outside quotes.
  while (true) {
    ReadToken(line, &pos, ",= ", ",= \\", &key);
    if (pos >= line.size() || line[pos] != '=') {
      return Status::InvalidArgument(fmt::format("missing field value for {}", Quote(key)));
    }
    if (key.empty()) return Status::InvalidArgument("empty field key");
    ++pos;
    Field f;
    f.key = std::move(key);
    if (pos < line.size() && line[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < line.size()) {
        if (line[pos] == '\\' && pos + 1 < line.size()) {
          pos += 2;
          continue;
        }
        if (line[pos] == '"') {
          closed = true;
          ++pos;
          break;
        }
        ++pos;
      }
      if (!closed) return Status::InvalidArgument(fmt::format("unterminated string value of field {}", Quote(f.key)));
      f.is_string = true;
    } else {
      size_t start = pos;
      while (pos < line.size() && line[pos] != ',' && line[pos] != ' ') ++pos;
      std::string_view v = line.substr(start, pos - start);
      if (v.empty()) return Status::InvalidArgument(fmt::format("missing field value for {}", Quote(f.key)));
      if (!ParseBool(v, &f.value) && !ParseNumber(v, &f.value)) {
        return Status::InvalidArgument(
            fmt::format("cannot parse value {} of field {}: want a number, 12i, 12u, a boolean or a \"string\"",
                        Quote(v), Quote(f.key)));
      }
    }
    out->fields.push_back(std::move(f));
    if (pos < line.size() && line[pos] == ',') {
      ++pos;
      continue;
    }
    break;
  }
  if (pos < line.size()) {
    if (line[pos] != ' ') return Status::InvalidArgument("unexpected text after the field set");
    std::string_view ts = Trim(line.substr(pos + 1));
    if (!ts.empty()) {
      bool digits = ts.find_first_not_of("-0123456789") == std::string_view::npos;  // no '+', no spaces
      Result<int64_t> t = digits ? ParseInt(ts) : Result<int64_t>(Status::InvalidArgument("not an integer"));
      if (!t.ok()) return Status::InvalidArgument(fmt::format("cannot parse timestamp {}: want an integer", Quote(ts)));
      out->timestamp = *t;
      out->has_timestamp = true;
    }
  }
  return Status::Ok();
}

Result<int64_t> PrecisionNanos(std::string_view precision) {
  if (precision.empty() || precision == "ns" || precision == "n") return int64_t{1};
  if (precision == "u" || precision == "us" || precision == "\xc2\xb5") return int64_t{1000};
  if (precision == "ms") return int64_t{1000000};
  if (precision == "s") return int64_t{1000000000};
  if (precision == "m") return int64_t{60} * 1000000000;
  if (precision == "h") return int64_t{3600} * 1000000000;
  return Status::InvalidArgument(fmt::format("unknown precision {}: want ns, us, ms, s, m or h", Quote(precision)));
}

}  // namespace sremon::influx
