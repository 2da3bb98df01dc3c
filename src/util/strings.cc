#include "util/strings.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace sremon {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

namespace {

// Appends the shortest round-trip digits of v in the given format.
void AppendChars(std::string* out, double v, std::chars_format fmt) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, fmt);
  out->append(buf, res.ptr);
}

bool AppendSpecial(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("NaN");
    return true;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return true;
  }
  return false;
}

}  // namespace

void AppendFloatG(std::string* out, double v) {
  if (AppendSpecial(out, v)) return;
  if (v == 0) {
    out->append(std::signbit(v) ? "-0" : "0");
    return;
  }
  // Go 'g' with shortest precision uses the exponent form when exp < -4 || exp >= 6
  // (strconv's ftoa.go fixes eprec = 6 for the shortest representation).
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);
  size_t epos = sci.find('e');
  int exp = std::atoi(std::string(sci.substr(epos + 1)).c_str());
  if (exp < -4 || exp >= 6) {
    out->append(sci);
  } else {
    AppendChars(out, v, std::chars_format::fixed);
  }
}

std::string FormatFloatG(double v) {
  std::string s;
  AppendFloatG(&s, v);
  return s;
}

void AppendFloatF(std::string* out, double v) {
  if (AppendSpecial(out, v)) return;
  // std::to_chars in fixed notation prints the exact decimal value of large doubles
  // (1e300 → "1000000000000000052504..."); Go pads the shortest digits with zeros instead. So take
  // the shortest digits from the scientific form and place the decimal point ourselves.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);
  size_t epos = sci.find('e');
  int exp = 0;
  std::from_chars(sci.data() + epos + 1 + (sci[epos + 1] == '+'), sci.data() + sci.size(), exp);
  std::string_view mant = sci.substr(0, epos);
  if (mant[0] == '-') {
    out->push_back('-');
    mant.remove_prefix(1);
  }
  char digits[32];
  int nd = 0;
  for (char c : mant) {
    if (c != '.') digits[nd++] = c;
  }
  int dp = exp + 1;  // position of the decimal point after the first `dp` digits
  if (dp <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-dp), '0');
    out->append(digits, nd);
  } else if (dp >= nd) {
    out->append(digits, nd);
    out->append(static_cast<size_t>(dp - nd), '0');
  } else {
    out->append(digits, dp);
    out->push_back('.');
    out->append(digits + dp, nd - dp);
  }
}

void AppendFloatApi(std::string* out, double v) {
  if (AppendSpecial(out, v)) return;
  double a = std::fabs(v);
  if (v != 0 && (a < 1e-6 || a >= 1e21)) {
    AppendChars(out, v, std::chars_format::scientific);
  } else {
    AppendFloatF(out, v);
  }
}

std::string FormatFloatApi(double v) {
  std::string s;
  AppendFloatApi(&s, v);
  return s;
}

Result<double> ParseFloat(std::string_view s) {
  if (s.empty()) return Status::InvalidArgument("empty number");
  std::string_view body = s;
  bool neg = false;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  std::string lower = ToLower(body);
  if (lower == "inf" || lower == "infinity") return neg ? -HUGE_VAL : HUGE_VAL;
  if (lower == "nan") return std::nan("");
  if (lower.size() > 2 && lower[0] == '0' && lower[1] == 'x') {
    // Hex floats and integers: strtod handles both; require full consumption.
    std::string tmp(s);
    char* end = nullptr;
    double v = std::strtod(tmp.c_str(), &end);
    if (end != tmp.c_str() + tmp.size()) return Status::InvalidArgument(fmt::format("invalid number {}", Quote(s)));
    return v;
  }
  double v = 0;
  auto res = std::from_chars(body.data(), body.data() + body.size(), v);
  if (res.ec == std::errc::result_out_of_range) {
    // Overflow → ±Inf and underflow → 0, as Go does.
    std::string tmp(body);
    v = std::strtod(tmp.c_str(), nullptr);
  } else if (res.ec != std::errc() || res.ptr != body.data() + body.size()) {
    return Status::InvalidArgument(fmt::format("invalid number {}", Quote(s)));
  }
  return neg ? -v : v;
}

Result<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  std::string_view body = s;
  if (!body.empty() && body[0] == '+') body.remove_prefix(1);
  auto res = std::from_chars(body.data(), body.data() + body.size(), v);
  if (body.empty() || res.ec != std::errc() || res.ptr != body.data() + body.size()) {
    return Status::InvalidArgument(fmt::format("invalid integer {}", Quote(s)));
  }
  return v;
}

size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size_t left = s.size() - i;
  auto cont = [&](size_t k) { return k < left && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;
    if (c == 0xF4 && b(1) >= 0x90) return 0;
    return 4;
  }
  return 0;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
    } else if (size_t n = Utf8SequenceLength(s, i); n > 0) {
      i += n;
    } else {
      return false;
    }
  }
  return true;
}

Status CheckPrintableAscii(std::string_view what, std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x21 || c > 0x7e) {
      return Status::InvalidArgument(fmt::format("{}: byte {} is not printable ASCII", what, i));
    }
  }
  return Status::Ok();
}

std::string Quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (size_t n = Utf8SequenceLength(s, i); n > 0) {
      out.append(s.data() + i, n);
      i += n;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c >= 0x7F) {
          out += "\\x";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '"': out.append("&quot;"); break;
      case '\'': out.append("&#39;"); break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace sremon
