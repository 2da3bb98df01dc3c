#include "expo/parser.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "util/strings.h"

namespace sremon::expo {
namespace {

inline bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
inline bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
inline bool IsLabelStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
inline bool IsLabelChar(char c) { return IsLabelStart(c) || (c >= '0' && c <= '9'); }
inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }

void SkipBlanks(std::string_view s, size_t* pos) {
  while (*pos < s.size() && IsBlank(s[*pos])) ++*pos;
}

// Shortens s to at most n bytes for error messages.
std::string Excerpt(std::string_view s, size_t n = 64) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "...";
}

// Fast path: std::from_chars for plain decimals; the Go-compatible slow path for the rest
// (leading '+', Inf, NaN, hex).
bool ParseNumber(std::string_view s, double* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  if (ec == std::errc() && ptr == end) return true;
  auto r = ParseFloat(s);
  if (!r.ok()) return false;
  *out = *r;
  return true;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const char* b = s.data();
  if (*b == '+') ++b;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(b, end, *out);
  return ec == std::errc() && ptr == end && b != end;
}

}  // namespace

Format FormatFromContentType(std::string_view content_type) {
  return content_type.find("application/openmetrics-text") != std::string_view::npos ? Format::kOpenMetrics
                                                                                      : Format::kPrometheusText;
}

std::string_view MetricTypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
    case MetricType::kGaugeHistogram: return "gaugehistogram";
    case MetricType::kSummary: return "summary";
    case MetricType::kInfo: return "info";
    case MetricType::kStateset: return "stateset";
    case MetricType::kUnknown: break;
  }
  return "unknown";
}

Parser::Parser(std::string_view input, Format format) : input_(input), format_(format) {}

Entry Parser::Fail(std::string what) {
  status_ = Status::InvalidArgument(fmt::format("line {}: {}", line_, what));
  done_ = true;
  return Entry::kEnd;
}

Entry Parser::Next() {
  scratch_used_ = 0;
  while (!done_) {
    if (pos_ >= input_.size()) {
      done_ = true;
      if (format_ == Format::kOpenMetrics && !saw_eof_) {
        ++line_;
        return Fail("data does not end with \"# EOF\"");
      }
      return Entry::kEnd;
    }
    size_t nl = input_.find('\n', pos_);
    if (nl == std::string_view::npos) nl = input_.size();
    std::string_view line = input_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    ++line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line_text_ = line;
    if (saw_eof_) return Fail("unexpected content after \"# EOF\"");
    if (format_ == Format::kPrometheusText) {
      size_t p = 0;
      SkipBlanks(line, &p);
      line = line.substr(p);
      if (line.empty()) continue;
    } else if (line.empty()) {
      // OpenMetrics forbids blank lines; the final newline after "# EOF" is fine.
      if (pos_ >= input_.size() && nl == input_.size()) continue;
      return Fail("blank line (not allowed in OpenMetrics)");
    }
    if (line[0] == '#') {
      Entry e = ParseComment(line.substr(1));
      if (done_ || e != Entry::kEnd) return e;
      continue;  // a plain comment
    }
    return ParseSeries(line);
  }
  return Entry::kEnd;
}

Entry Parser::ParseComment(std::string_view rest) {
  size_t p = 0;
  SkipBlanks(rest, &p);
  if (p == 0 && format_ == Format::kPrometheusText) return Entry::kEnd;  // "#foo": a comment
  size_t kw_end = p;
  while (kw_end < rest.size() && !IsBlank(rest[kw_end])) ++kw_end;
  std::string_view kw = rest.substr(p, kw_end - p);
  if (format_ == Format::kOpenMetrics && kw == "EOF" && kw_end == rest.size()) {
    saw_eof_ = true;
    return Entry::kEnd;
  }
  Entry kind;
  if (kw == "HELP") {
    kind = Entry::kHelp;
  } else if (kw == "TYPE") {
    kind = Entry::kType;
  } else if (kw == "UNIT" && format_ == Format::kOpenMetrics) {
    kind = Entry::kUnit;
  } else {
    return Entry::kEnd;  // an ordinary comment
  }
  p = kw_end;
  SkipBlanks(rest, &p);
  size_t name_start = p;
  if (p >= rest.size() || !IsNameStart(rest[p])) {
    return Fail(fmt::format("# {} needs a metric name, got \"{}\"", kw, Excerpt(rest.substr(p))));
  }
  while (p < rest.size() && IsNameChar(rest[p])) ++p;
  family_ = rest.substr(name_start, p - name_start);
  if (p < rest.size() && !IsBlank(rest[p])) {
    return Fail(fmt::format("invalid character {:?} in metric name of # {}", rest[p], kw));
  }
  // One separating blank; the text that follows is taken as is (HELP may start with spaces).
  if (p < rest.size()) ++p;
  std::string_view text = rest.substr(p);
  switch (kind) {
    case Entry::kHelp: {
      if (text.find('\\') == std::string_view::npos) {
        help_ = text;
      } else {
        if (scratch_used_ == scratch_.size()) scratch_.emplace_back();
        std::string& out = scratch_[scratch_used_++];
        out.clear();
        for (size_t i = 0; i < text.size(); ++i) {
          char c = text[i];
          if (c == '\\' && i + 1 < text.size()) {
            char n = text[++i];
            if (n == 'n') {
              out.push_back('\n');
            } else if (n == '\\') {
              out.push_back('\\');
            } else if (n == '"' && format_ == Format::kOpenMetrics) {
              out.push_back('"');
            } else {
              out.push_back('\\');
              out.push_back(n);
            }
          } else {
            out.push_back(c);
          }
        }
        help_ = out;
      }
      return Entry::kHelp;
    }
    case Entry::kType: {
      std::string_view t = Trim(text);
      static constexpr std::pair<std::string_view, MetricType> kTypes[] = {
          {"counter", MetricType::kCounter},     {"gauge", MetricType::kGauge},
          {"histogram", MetricType::kHistogram}, {"summary", MetricType::kSummary},
          {"untyped", MetricType::kUnknown},     {"unknown", MetricType::kUnknown},
          {"gaugehistogram", MetricType::kGaugeHistogram}, {"info", MetricType::kInfo},
          {"stateset", MetricType::kStateset},
      };
      for (const auto& [name, type] : kTypes) {
        if (t == name) {
          type_ = type;
          return Entry::kType;
        }
      }
      return Fail(fmt::format("invalid metric type \"{}\" in # TYPE {}", Excerpt(t), family_));
    }
    default:
      unit_ = Trim(text);
      return Entry::kUnit;
  }
}

bool Parser::ParseQuoted(std::string_view line, size_t* pos, std::string_view* out) {
  size_t p = *pos;
  if (p >= line.size() || line[p] != '"') return false;
  ++p;
  size_t start = p;
  bool escaped = false;
  while (p < line.size() && line[p] != '"') {
    if (line[p] == '\\') {
      escaped = true;
      ++p;
    }
    ++p;
  }
  if (p >= line.size()) {
    Fail(fmt::format("unterminated quoted string {}", Excerpt(line.substr(start - 1))));
    return false;
  }
  std::string_view raw = line.substr(start, p - start);
  *pos = p + 1;
  if (!escaped) {
    *out = raw;
    return true;
  }
  if (scratch_used_ == scratch_.size()) scratch_.emplace_back();
  std::string& s = scratch_[scratch_used_++];
  s.clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      s.push_back(c);
      continue;
    }
    char n = raw[++i];
    switch (n) {
      case 'n': s.push_back('\n'); break;
      case '\\': s.push_back('\\'); break;
      case '"': s.push_back('"'); break;
      default:
        // Prometheus keeps unknown escapes verbatim in the text format.
        s.push_back('\\');
        s.push_back(n);
    }
  }
  *out = s;
  return true;
}

bool Parser::ParseLabels(std::string_view line, size_t* pos) {
  size_t p = *pos;  // just after '{'
  while (true) {
    SkipBlanks(line, &p);
    if (p >= line.size()) {
      Fail("unterminated label set: missing '}'");
      return false;
    }
    if (line[p] == '}') {
      *pos = p + 1;
      return true;
    }
    if (!IsLabelStart(line[p])) {
      Fail(fmt::format("expected a label name or '}}', got \"{}\"", Excerpt(line.substr(p), 20)));
      return false;
    }
    size_t ns = p;
    while (p < line.size() && IsLabelChar(line[p])) ++p;
    std::string_view lname = line.substr(ns, p - ns);
    SkipBlanks(line, &p);
    if (p >= line.size() || line[p] != '=') {
      Fail(fmt::format("expected '=' after label name \"{}\"", lname));
      return false;
    }
    ++p;
    SkipBlanks(line, &p);
    std::string_view lvalue;
    if (p >= line.size() || line[p] != '"') {
      Fail(fmt::format("expected a quoted value for label \"{}\"", lname));
      return false;
    }
    if (!ParseQuoted(line, &p, &lvalue)) return false;
    for (const auto& l : labels_) {
      if (l.name == lname) {
        Fail(fmt::format("duplicate label name \"{}\"", lname));
        return false;
      }
    }
    labels_.push_back({lname, lvalue});
    SkipBlanks(line, &p);
    if (p < line.size() && line[p] == ',') {
      ++p;
    } else if (p < line.size() && line[p] != '}') {
      Fail(fmt::format("expected ',' or '}}' after label \"{}\", got \"{}\"", lname, Excerpt(line.substr(p), 20)));
      return false;
    }
  }
}

bool Parser::ParseValueAndTimestamp(std::string_view rest) {
  size_t p = 0;
  SkipBlanks(rest, &p);
  size_t vs = p;
  while (p < rest.size() && !IsBlank(rest[p])) ++p;
  std::string_view v = rest.substr(vs, p - vs);
  if (v.empty()) {
    Fail(fmt::format("missing value for metric \"{}\"", name_));
    return false;
  }
  if (!ParseNumber(v, &value_)) {
    Fail(fmt::format("invalid value \"{}\" for metric \"{}\"", Excerpt(v, 32), name_));
    return false;
  }
  SkipBlanks(rest, &p);
  has_timestamp_ = false;
  if (p >= rest.size()) return true;
  if (rest[p] == '#' && format_ == Format::kOpenMetrics) return true;  // exemplar: skipped
  size_t ts = p;
  while (p < rest.size() && !IsBlank(rest[p])) ++p;
  std::string_view t = rest.substr(ts, p - ts);
  if (format_ == Format::kPrometheusText) {
    if (!ParseInt64(t, &timestamp_ms_)) {
      Fail(fmt::format("invalid timestamp \"{}\" (want integer milliseconds)", Excerpt(t, 32)));
      return false;
    }
  } else {
    double secs;
    if (!ParseNumber(t, &secs) || !std::isfinite(secs)) {
      Fail(fmt::format("invalid timestamp \"{}\" (want seconds)", Excerpt(t, 32)));
      return false;
    }
    timestamp_ms_ = static_cast<int64_t>(std::llround(secs * 1000.0));
  }
  has_timestamp_ = true;
  SkipBlanks(rest, &p);
  if (p < rest.size()) {
    if (rest[p] == '#' && format_ == Format::kOpenMetrics) return true;  // exemplar
    Fail(fmt::format("unexpected text \"{}\" after the timestamp", Excerpt(rest.substr(p), 20)));
    return false;
  }
  return true;
}

Entry Parser::ParseSeries(std::string_view line) {
  labels_.clear();
  size_t p = 0;
  if (!IsNameStart(line[0])) {
    return Fail(fmt::format("expected a metric name, got \"{}\"", Excerpt(line, 20)));
  }
  while (p < line.size() && IsNameChar(line[p])) ++p;
  name_ = line.substr(0, p);
  size_t after_name = p;
  SkipBlanks(line, &p);  // Prometheus accepts `name {labels}`
  if (p < line.size() && line[p] == '{') {
    ++p;
    if (!ParseLabels(line, &p)) return Entry::kEnd;
  } else {
    p = after_name;
  }
  series_text_ = line.substr(0, p);
  if (p < line.size() && !IsBlank(line[p])) {
    return Fail(fmt::format("invalid character {:?} after metric name \"{}\"", line[p], name_));
  }
  if (!ParseValueAndTimestamp(line.substr(p))) return Entry::kEnd;
  return Entry::kSeries;
}

}  // namespace sremon::expo
