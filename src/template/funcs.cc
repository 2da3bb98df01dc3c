// Go's fmt.Sprintf subset and Prometheus's template functions
// (prometheus/template/template.go), with Go's output formats.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>
#include <re2/re2.h>

#include "template/template.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::tmpl {

namespace {

std::string BadVerb(char verb, const Value& v) {
  if (v.is_null()) return fmt::format("%!{}(<nil>)", verb);
  return fmt::format("%!{}({}={})", verb, v.TypeName(), v.ToString());
}

struct Spec {
  bool minus = false, plus = false, sharp = false, zero = false, space = false;
  int width = -1, prec = -1;
  char verb = 0;
};

void Pad(std::string* out, std::string s, const Spec& sp, bool numeric) {
  if (sp.width > 0 && static_cast<int>(s.size()) < sp.width) {
    size_t n = sp.width - s.size();
    if (sp.minus) {
      s.append(n, ' ');
    } else if (sp.zero && numeric) {
      size_t at = (!s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) ? 1 : 0;
      s.insert(at, n, '0');
    } else {
      s.insert(0, n, ' ');
    }
  }
  out->append(s);
}

std::string CFormat(const Spec& sp, char verb, bool with_prec) {
  std::string f = "%";
  if (sp.minus) f += '-';
  if (sp.plus) f += '+';
  if (sp.sharp) f += '#';
  if (sp.space) f += ' ';
  if (with_prec && sp.prec >= 0) f += "." + std::to_string(sp.prec);
  f += verb;
  return f;
}

std::string FormatFloatVerb(double v, const Spec& sp) {
  if (std::isnan(v)) return sp.plus ? "+NaN" : sp.space ? " NaN" : "NaN";
  if (std::isinf(v)) return v > 0 ? (sp.space && !sp.plus ? " Inf" : "+Inf") : "-Inf";
  char verb = sp.verb == 'F' ? 'f' : sp.verb;
  if ((verb == 'g' || verb == 'G') && sp.prec < 0) {
    // Go's %g without precision is the shortest representation.
    std::string s = FormatFloatG(v);
    if (verb == 'G') std::transform(s.begin(), s.end(), s.begin(), ::toupper);
    if (v >= 0 && sp.plus) s = "+" + s;
    else if (v >= 0 && sp.space) s = " " + s;
    return s;
  }
  char buf[512];
  std::string f = CFormat(sp, verb, true);
  std::snprintf(buf, sizeof(buf), f.c_str(), v);
  return buf;
}

std::string FormatIntVerb(int64_t v, const Spec& sp) {
  char verb = sp.verb;
  if (verb == 'c') {
    std::string s;
    uint32_t cp = static_cast<uint32_t>(v);
    if (cp < 0x80) s.push_back(static_cast<char>(cp));
    else if (cp < 0x800) { s.push_back(static_cast<char>(0xC0 | (cp >> 6))); s.push_back(static_cast<char>(0x80 | (cp & 0x3F))); }
    else if (cp < 0x10000) { s.push_back(static_cast<char>(0xE0 | (cp >> 12))); s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F))); s.push_back(static_cast<char>(0x80 | (cp & 0x3F))); }
    else { s.push_back(static_cast<char>(0xF0 | ((cp >> 18) & 0x7))); s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F))); s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F))); s.push_back(static_cast<char>(0x80 | (cp & 0x3F))); }
    return s;
  }
  if (verb == 'b') {
    uint64_t u = v < 0 ? -static_cast<uint64_t>(v) : v;
    std::string s;
    do { s.insert(s.begin(), static_cast<char>('0' + (u & 1))); u >>= 1; } while (u);
    return (v < 0 ? "-" : sp.plus ? "+" : "") + s;
  }
  if (verb == 'x' || verb == 'X' || verb == 'o') {
    // Go prints negative numbers in hex with a minus sign.
    uint64_t u = v < 0 ? -static_cast<uint64_t>(v) : v;
    std::string s = fmt::format(fmt::runtime(verb == 'x' ? "{:x}" : verb == 'X' ? "{:X}" : "{:o}"), u);
    if (sp.sharp) s = (verb == 'o' ? "0" : verb == 'x' ? "0x" : "0X") + s;
    return (v < 0 ? "-" : sp.plus ? "+" : "") + s;
  }
  std::string s = std::to_string(v);
  if (v >= 0 && sp.plus) s = "+" + s;
  else if (v >= 0 && sp.space) s = " " + s;
  return s;
}

}  // namespace

std::string Sprintf(std::string_view format, std::span<const Value> args) {
  std::string out;
  size_t argi = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    Spec sp;
    ++i;
    for (; i < format.size(); ++i) {
      char f = format[i];
      if (f == '-') sp.minus = true;
      else if (f == '+') sp.plus = true;
      else if (f == '#') sp.sharp = true;
      else if (f == '0') sp.zero = !sp.minus;
      else if (f == ' ') sp.space = true;
      else break;
    }
    auto number = [&](int* dst) {
      if (i < format.size() && format[i] == '*') {
        ++i;
        if (argi < args.size() && args[argi].kind() == Value::Kind::kInt) *dst = static_cast<int>(std::clamp<int64_t>(args[argi].as_int(), -1000, 1000));
        else out += "%!(BADWIDTH)";
        ++argi;
        return;
      }
      int n = 0;
      bool any = false;
      while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
        n = std::min(n * 10 + (format[i] - '0'), 1000);
        ++i;
        any = true;
      }
      if (any) *dst = n;
    };
    number(&sp.width);
    if (i < format.size() && format[i] == '.') {
      ++i;
      sp.prec = 0;
      number(&sp.prec);
    }
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    sp.verb = format[i];
    if (sp.verb == '%') {
      out.push_back('%');
      continue;
    }
    if (argi >= args.size()) {
      out += fmt::format("%!{}(MISSING)", sp.verb);
      continue;
    }
    const Value& v = args[argi++];
    switch (sp.verb) {
      case 'v':
        if (v.kind() == Value::Kind::kFloat) Pad(&out, FormatFloatVerb(v.as_number(), Spec{sp.minus, sp.plus, sp.sharp, sp.zero, sp.space, sp.width, sp.prec, 'g'}), sp, true);
        else if (v.kind() == Value::Kind::kInt) Pad(&out, FormatIntVerb(v.as_int(), Spec{sp.minus, sp.plus, sp.sharp, sp.zero, sp.space, sp.width, sp.prec, 'd'}), sp, true);
        else Pad(&out, v.is_null() ? "<nil>" : v.ToString(), sp, false);
        break;
      case 's':
        if (v.kind() == Value::Kind::kString || v.kind() == Value::Kind::kList || v.kind() == Value::Kind::kMap) {
          std::string s = v.ToString();
          if (sp.prec >= 0 && static_cast<int>(s.size()) > sp.prec) s.resize(sp.prec);
          Pad(&out, s, sp, false);
        } else {
          out += BadVerb(sp.verb, v);
        }
        break;
      case 'q':
        if (v.kind() == Value::Kind::kString) Pad(&out, Quote(v.as_string()), sp, false);
        else if (v.kind() == Value::Kind::kInt) Pad(&out, "'" + FormatIntVerb(v.as_int(), Spec{.verb = 'c'}) + "'", sp, false);
        else out += BadVerb(sp.verb, v);
        break;
      case 't':
        if (v.kind() == Value::Kind::kBool) Pad(&out, v.as_bool() ? "true" : "false", sp, false);
        else out += BadVerb(sp.verb, v);
        break;
      case 'd': case 'b': case 'o': case 'c':
        if (v.kind() == Value::Kind::kInt) Pad(&out, FormatIntVerb(v.as_int(), sp), sp, sp.verb != 'c');
        else out += BadVerb(sp.verb, v);
        break;
      case 'x': case 'X':
        if (v.kind() == Value::Kind::kInt) {
          Pad(&out, FormatIntVerb(v.as_int(), sp), sp, true);
        } else if (v.kind() == Value::Kind::kString) {
          std::string s;
          for (unsigned char ch : v.as_string()) s += fmt::format(fmt::runtime(sp.verb == 'x' ? "{:02x}" : "{:02X}"), ch);
          Pad(&out, s, sp, false);
        } else {
          out += BadVerb(sp.verb, v);
        }
        break;
      case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
        if (v.kind() == Value::Kind::kFloat) Pad(&out, FormatFloatVerb(v.as_number(), sp), sp, !std::isinf(v.as_number()) && !std::isnan(v.as_number()));
        else out += BadVerb(sp.verb, v);
        break;
      default:
        out += BadVerb(sp.verb, v);
    }
  }
  if (argi < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = argi; k < args.size(); ++k) {
      if (k > argi) out += ", ";
      out += std::string(args[k].TypeName()) + "=" + args[k].ToString();
    }
    out += ")";
  }
  return out;
}

namespace {

// Go's fmt.Sprintf("%.4g", v).
std::string G4(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

// Prometheus's convertToFloat: numbers and numeric strings.
Result<double> ToFloat(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kInt:
    case Value::Kind::kFloat:
      return v.as_number();
    case Value::Kind::kString: {
      const std::string& s = v.as_string();
      if (!std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
        return Status::InvalidArgument("strconv.ParseFloat: parsing a non-numeric string: invalid syntax");
      }
      return ParseFloat(s);
    }
    default:
      return Status::InvalidArgument(fmt::format("can't convert {} to float", v.TypeName()));
  }
}

Result<std::string> Str(const Value& v, std::string_view fn) {
  if (v.kind() == Value::Kind::kString) return v.as_string();
  return Status::InvalidArgument(fmt::format("{}: wrong type for value; expected string; got {}", fn, v.TypeName()));
}

Status Want(std::span<const Value> a, size_t n, std::string_view fn) {
  if (a.size() != n) return Status::InvalidArgument(fmt::format("wrong number of args for {}: want {} got {}", fn, n, a.size()));
  return Status::Ok();
}

Function Float1(std::string_view name, std::string (*f)(double)) {
  std::string n(name);
  return [n, f](std::span<const Value> a) -> Result<Value> {
    SREMON_RETURN_IF_ERROR(Want(a, 1, n));
    auto v = ToFloat(a[0]);
    if (!v.ok()) return v.status();
    return Value(f(*v));
  };
}

Function String1(std::string_view name, std::string (*f)(const std::string&)) {
  std::string n(name);
  return [n, f](std::span<const Value> a) -> Result<Value> {
    SREMON_RETURN_IF_ERROR(Want(a, 1, n));
    auto s = Str(a[0], n);
    if (!s.ok()) return s.status();
    return Value(f(*s));
  };
}

std::string Humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return G4(v);
  static const char* kBig[] = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
  static const char* kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  if (std::fabs(v) >= 1) {
    for (const char* p : kBig) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return G4(v) + prefix;
  }
  for (const char* p : kSmall) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return G4(v) + prefix;
}

std::string Humanize1024(double v) {
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return G4(v);
  static const char* kPrefixes[] = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};
  std::string prefix;
  for (const char* p : kPrefixes) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return G4(v) + prefix;
}

std::string HumanizeDuration(double v) {
  if (std::isnan(v) || std::isinf(v)) return G4(v);
  if (v == 0) return G4(v) + "s";
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    int64_t d = static_cast<int64_t>(v);
    int64_t seconds = d % 60, minutes = (d / 60) % 60, hours = (d / 3600) % 24, days = d / 86400;
    if (days) return fmt::format("{}{}d {}h {}m {}s", sign, days, hours, minutes, seconds);
    if (hours) return fmt::format("{}{}h {}m {}s", sign, hours, minutes, seconds);
    if (minutes) return fmt::format("{}{}m {}s", sign, minutes, seconds);
    return sign + G4(v) + "s";
  }
  static const char* kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  for (const char* p : kSmall) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return G4(v) + prefix + "s";
}

std::string HumanizePercentage(double v) { return G4(v * 100) + "%"; }

// Go's time.Time String() in UTC: "2006-01-02 15:04:05.999999999 +0000 UTC".
std::string GoTimeString(double v) {
  if (std::isnan(v) || std::isinf(v)) return G4(v);
  // Prometheus goes through model.Time: nanoseconds truncated to milliseconds.
  double ns = v * 1e9;
  if (ns > 9.2e18 || ns < -9.2e18) return G4(v);
  int64_t ms = static_cast<int64_t>(ns) / 1000000;
  int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int64_t nsec = (ms - sec * 1000) * 1000000;
  time_t t = static_cast<time_t>(sec);
  struct tm tm;
  gmtime_r(&t, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (nsec) {
    std::string frac = fmt::format("{:09}", nsec);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + " +0000 UTC";
}

// Go's strings.Title: upper-cases the first letter of each word.
std::string Title(const std::string& s) {
  std::string out = s;
  bool prev_sep = true;
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    bool sep = !(std::isalnum(u) || c == '_' || u >= 0x80);
    if (prev_sep && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    prev_sep = sep;
  }
  return out;
}

std::string Upper(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
std::string Lower(const std::string& s) { return ToLower(s); }

std::string StripPort(const std::string& s) {
  // net.SplitHostPort: "[::1]:80" → "::1", "host:80" → "host"; anything else unchanged.
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close != std::string::npos && close + 1 < s.size() && s[close + 1] == ':') return s.substr(1, close - 1);
    return s;
  }
  size_t colon = s.find(':');
  if (colon == std::string::npos || s.find(':', colon + 1) != std::string::npos) return s;
  return s.substr(0, colon);
}

std::string StripDomain(const std::string& s) {
  std::string host = s, port;
  size_t colon = s.rfind(':');
  if (colon != std::string::npos && s.find(':') == colon) {
    host = s.substr(0, colon);
    port = s.substr(colon);
  }
  bool ip = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; });
  if (ip || s.find(':') != colon) return s;
  size_t dot = host.find('.');
  if (dot != std::string::npos) host.resize(dot);
  return host + port;
}

// Go's Regexp.ReplaceAllString: $1, ${1}, $name, ${name}, $$ in the replacement.
std::string ReplaceAll(const RE2& re, std::string_view text, std::string_view repl) {
  int ngroups = re.NumberOfCapturingGroups();
  const auto& named = re.NamedCapturingGroups();
  std::vector<re2::StringPiece> groups(ngroups + 1);
  std::string out;
  size_t pos = 0;
  size_t last_match_end = std::string::npos;
  while (pos <= text.size()) {
    if (!re.Match(re2::StringPiece(text.data(), text.size()), pos, text.size(), RE2::UNANCHORED, groups.data(), ngroups + 1)) break;
    size_t start = groups[0].data() - text.data();
    size_t end = start + groups[0].size();
    if (groups[0].empty() && start == last_match_end) {
      // An empty match right after the previous match is skipped (Go semantics).
      if (start >= text.size()) break;
      out.append(text.substr(pos, start + 1 - pos));
      pos = start + 1;
      continue;
    }
    out.append(text.substr(pos, start - pos));
    for (size_t i = 0; i < repl.size(); ++i) {
      if (repl[i] != '$' || i + 1 >= repl.size()) {
        out.push_back(repl[i]);
        continue;
      }
      if (repl[i + 1] == '$') {
        out.push_back('$');
        ++i;
        continue;
      }
      std::string name;
      size_t j = i + 1;
      if (repl[j] == '{') {
        size_t close = repl.find('}', j);
        if (close == std::string_view::npos) {
          out.push_back('$');
          continue;
        }
        name = std::string(repl.substr(j + 1, close - j - 1));
        j = close + 1;
      } else {
        while (j < repl.size() && (std::isalnum(static_cast<unsigned char>(repl[j])) || repl[j] == '_')) name.push_back(repl[j++]);
        if (name.empty()) {
          out.push_back('$');
          continue;
        }
      }
      int idx = -1;
      if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit) && name.size() < 6) idx = std::stoi(name);
      else if (auto it = named.find(name); it != named.end()) idx = it->second;
      if (idx >= 0 && idx <= ngroups && groups[idx].data() != nullptr) out.append(groups[idx].data(), groups[idx].size());
      i = j - 1;
    }
    last_match_end = end;
    if (end == start) {
      if (start < text.size()) out.push_back(text[start]);
      pos = start + 1;
    } else {
      pos = end;
    }
  }
  if (pos < text.size()) out.append(text.substr(pos));
  return out;
}

Result<const Value*> SampleField(const Value& sample, std::string_view field, std::string_view fn) {
  const Value* f = sample.Field(field);
  if (!f) return Status::InvalidArgument(fmt::format("{}: argument is not a sample", fn));
  return f;
}

}  // namespace

FuncMap PrometheusFuncs(QueryFunc query_fn) {
  FuncMap m;
  m["humanize"] = Float1("humanize", Humanize);
  m["humanize1024"] = Float1("humanize1024", Humanize1024);
  m["humanizeDuration"] = Float1("humanizeDuration", HumanizeDuration);
  m["humanizePercentage"] = Float1("humanizePercentage", HumanizePercentage);
  m["humanizeTimestamp"] = Float1("humanizeTimestamp", GoTimeString);
  m["toTime"] = Float1("toTime", GoTimeString);
  m["title"] = String1("title", Title);
  m["toUpper"] = String1("toUpper", Upper);
  m["toLower"] = String1("toLower", Lower);
  m["stripPort"] = String1("stripPort", StripPort);
  m["stripDomain"] = String1("stripDomain", StripDomain);
  m["safeHtml"] = String1("safeHtml", [](const std::string& s) { return s; });
  m["match"] = [](std::span<const Value> a) -> Result<Value> {
    SREMON_RETURN_IF_ERROR(Want(a, 2, "match"));
    auto re = Str(a[0], "match");
    auto text = Str(a[1], "match");
    if (!re.ok()) return re.status();
    if (!text.ok()) return text.status();
    RE2 r(*re, RE2::Quiet);
    if (!r.ok()) return Status::InvalidArgument(fmt::format("error parsing regexp: {}", r.error()));
    return Value(RE2::PartialMatch(*text, r));
  };
  m["reReplaceAll"] = [](std::span<const Value> a) -> Result<Value> {
    SREMON_RETURN_IF_ERROR(Want(a, 3, "reReplaceAll"));
    auto re = Str(a[0], "reReplaceAll");
    auto repl = Str(a[1], "reReplaceAll");
    auto text = Str(a[2], "reReplaceAll");
    if (!re.ok()) return re.status();
    if (!repl.ok()) return repl.status();
    if (!text.ok()) return text.status();
    RE2 r(*re, RE2::Quiet);
    if (!r.ok()) return Status::InvalidArgument(fmt::format("regexp: Compile({}): {}", *re, r.error()));
    return Value(ReplaceAll(r, *text, *repl));
  };
  m["parseDuration"] = [](std::span<const Value> a) -> Result<Value> {
    SREMON_RETURN_IF_ERROR(Want(a, 1, "parseDuration"));
    auto s = Str(a[0], "parseDuration");
    if (!s.ok()) return s.status();
    if (!std::all_of(s->begin(), s->end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
      return Status::InvalidArgument("not a valid duration string");
    }
    auto d = ParseDurationMs(*s);
    if (!d.ok()) return d.status();
    return Value(static_cast<double>(*d) / 1000.0);
  };
  m["join"] = [](std::span<const Value> a) -> Result<Value> {
    // Alertmanager's order: join SEP LIST (so `.Values | join ", "` works).
    SREMON_RETURN_IF_ERROR(Want(a, 2, "join"));
    auto sep = Str(a[0], "join");
    if (!sep.ok()) return sep.status();
    std::vector<std::string> parts;
    for (const Value& v : a[1].as_list()) parts.push_back(v.ToString());
    return Value(Join(parts, *sep));
  };
  m["first"] = [](std::span<const Value> a) -> Result<Value> {
    SREMON_RETURN_IF_ERROR(Want(a, 1, "first"));
    if (a[0].as_list().empty()) return Status::InvalidArgument("first() called on vector with no elements");
    return a[0].as_list()[0];
  };
  m["label"] = [](std::span<const Value> a) -> Result<Value> {
    SREMON_RETURN_IF_ERROR(Want(a, 2, "label"));
    auto name = Str(a[0], "label");
    if (!name.ok()) return name.status();
    auto labels = SampleField(a[1], "Labels", "label");
    if (!labels.ok()) return labels.status();
    const Value* v = (*labels)->Field(*name);
    return v ? *v : Value(std::string());
  };
  m["value"] = [](std::span<const Value> a) -> Result<Value> {
    SREMON_RETURN_IF_ERROR(Want(a, 1, "value"));
    auto v = SampleField(a[0], "Value", "value");
    if (!v.ok()) return v.status();
    return **v;
  };
  m["strvalue"] = [](std::span<const Value> a) -> Result<Value> {
    SREMON_RETURN_IF_ERROR(Want(a, 1, "strvalue"));
    auto labels = SampleField(a[0], "Labels", "strvalue");
    if (!labels.ok()) return labels.status();
    const Value* v = (*labels)->Field("__value__");
    return v ? *v : Value(std::string());
  };
  m["sortByLabel"] = [](std::span<const Value> a) -> Result<Value> {
    SREMON_RETURN_IF_ERROR(Want(a, 2, "sortByLabel"));
    auto name = Str(a[0], "sortByLabel");
    if (!name.ok()) return name.status();
    List l = a[1].as_list();
    auto key = [&](const Value& s) -> std::string {
      const Value* labels = s.Field("Labels");
      const Value* v = labels ? labels->Field(*name) : nullptr;
      return v ? v->as_string() : "";
    };
    std::stable_sort(l.begin(), l.end(), [&](const Value& x, const Value& y) { return key(x) < key(y); });
    return Value(std::move(l));
  };
  m["args"] = [](std::span<const Value> a) -> Result<Value> {
    Map out;
    for (size_t i = 0; i < a.size(); ++i) out.emplace("arg" + std::to_string(i), a[i]);
    return Value(std::move(out));
  };
  if (query_fn) {
    m["query"] = [query_fn](std::span<const Value> a) -> Result<Value> {
      SREMON_RETURN_IF_ERROR(Want(a, 1, "query"));
      auto q = Str(a[0], "query");
      if (!q.ok()) return q.status();
      auto r = query_fn(*q);
      if (!r.ok()) return r.status();
      return Value(std::move(r).value());
    };
  } else {
    m["query"] = [](std::span<const Value>) -> Result<Value> {
      return Status::Unavailable("query is not available here");
    };
  }
  return m;
}

}  // namespace sremon::tmpl
