#include "util/go_compat.h"

#include <re2/re2.h>

#include "util/strings.h"

namespace sremon {
namespace {

constexpr uint32_t kRuneError = 0xFFFD;

// Go's utf8.DecodeRuneInString: (U+FFFD, 0) for "", (U+FFFD, 1) for an invalid byte.
std::pair<uint32_t, size_t> DecodeRune(std::string_view s) {
  if (s.empty()) return {kRuneError, 0};
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  if (b(0) < 0x80) return {b(0), 1};
  size_t n = Utf8SequenceLength(s, 0);
  if (n == 0) return {kRuneError, 1};
  uint32_t r = b(0) & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) r = (r << 6) | (b(k) & 0x3F);
  return {r, n};
}

// Go's utf8.AppendRune for a valid code point.
void AppendRune(std::string* out, uint32_t r) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

// What UnquoteChar decoded, as Go's unquote appends it: a byte or a UTF-8 sequence.
void AppendUnquoted(std::string* out, const UnquotedChar& c) {
  if (c.value < 0x80 || !c.multibyte) {
    out->push_back(static_cast<char>(c.value));
  } else {
    AppendRune(out, c.value);
  }
}

Status SyntaxError() { return Status::InvalidArgument("invalid syntax"); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the name at the start of s for regexp.Expand: Go's unicode.IsLetter, IsDigit or '_'
// per rune. Non-ASCII runes are classified by RE2's Unicode tables (\p{L}, \p{Nd}).
size_t ExpandNameLength(std::string_view s) {
  static const re2::RE2* const kWordRune = new re2::RE2(R"([\p{L}\p{Nd}_])");
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) break;
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0 || !re2::RE2::FullMatch(re2::StringPiece(s.data() + i, n), *kWordRune)) break;
    i += n;
  }
  return i;
}

// regexp's extract(): the group number of a name, or -1 when it is not a number (leading zero,
// or 10 digits and more).
int ExpandGroupNumber(std::string_view name) {
  int num = 0;
  for (char c : name) {
    if (c < '0' || c > '9' || num >= 100'000'000) return -1;
    num = num * 10 + (c - '0');
  }
  if (name[0] == '0' && name.size() > 1) return -1;
  return num;
}

// Go encoding/json's safeSet / htmlSafeSet: bytes copied as they are.
template <bool kHtmlSafe>
constexpr bool IsJsonPlain(unsigned char c) {
  if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
  return !kHtmlSafe || (c != '<' && c != '>' && c != '&');
}

template <bool kHtmlSafe>
void AppendJson(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && IsJsonPlain<kHtmlSafe>(static_cast<unsigned char>(s[j]))) ++j;
    out->append(s.data() + i, j - i);
    i = j;
    if (i >= s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default:  // other control characters, and < > & when HTML-safe
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
      }
      ++i;
      continue;
    }
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    // U+2028 and U+2029 (E2 80 A8/A9) end JavaScript string literals; Go escapes them.
    if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
      out->append(static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
    } else {
      out->append(s.data() + i, n);
    }
    i += n;
  }
  out->push_back('"');
}

}  // namespace

std::string RegexpExpand(std::string_view tmpl, const re2::RE2& re, std::span<const std::string_view> groups) {
  std::string out;
  out.reserve(tmpl.size());
  for (size_t dollar; (dollar = tmpl.find('$')) != std::string_view::npos;) {
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    bool brace = !tmpl.empty() && tmpl[0] == '{';
    std::string_view rest = tmpl.substr(brace ? 1 : 0);
    size_t len = ExpandNameLength(rest);
    if (len == 0 || (brace && (len >= rest.size() || rest[len] != '}'))) {
      out.push_back('$');  // malformed: the '$' is text
      continue;
    }
    std::string_view name = rest.substr(0, len);
    tmpl = rest.substr(len + (brace ? 1 : 0));
    int num = ExpandGroupNumber(name);
    if (num < 0) {
      const auto& named = re.NamedCapturingGroups();
      auto it = named.find(std::string(name));
      if (it != named.end()) num = it->second;
    }
    if (num >= 0 && static_cast<size_t>(num) < groups.size()) out.append(groups[num]);
  }
  out.append(tmpl);
  return out;
}

Result<UnquotedChar> UnquoteChar(std::string_view s, char quote) {
  if (s.empty()) return SyntaxError();
  auto c = static_cast<unsigned char>(s[0]);
  if (s[0] == quote && (quote == '\'' || quote == '"')) return SyntaxError();
  if (c >= 0x80) {
    auto [r, n] = DecodeRune(s);
    return UnquotedChar{r, true, s.substr(n)};
  }
  if (c != '\\') return UnquotedChar{c, false, s.substr(1)};
  if (s.size() <= 1) return SyntaxError();
  char e = s[1];
  s.remove_prefix(2);
  uint32_t value = 0;
  bool multibyte = false;
  switch (e) {
    case 'a': value = '\a'; break;
    case 'b': value = '\b'; break;
    case 'f': value = '\f'; break;
    case 'n': value = '\n'; break;
    case 'r': value = '\r'; break;
    case 't': value = '\t'; break;
    case 'v': value = '\v'; break;
    case 'x':
    case 'u':
    case 'U': {
      size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (s.size() < n) return SyntaxError();
      for (size_t k = 0; k < n; ++k) {
        int h = HexValue(s[k]);
        if (h < 0) return SyntaxError();
        value = value << 4 | static_cast<uint32_t>(h);
      }
      s.remove_prefix(n);
      if (e == 'x') break;  // a single byte, possibly not UTF-8
      if (value > 0x10FFFF || (value >= 0xD800 && value < 0xE000)) return SyntaxError();  // !utf8.ValidRune
      multibyte = true;
      break;
    }
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
      value = static_cast<uint32_t>(e - '0');
      if (s.size() < 2) return SyntaxError();
      for (size_t k = 0; k < 2; ++k) {
        if (s[k] < '0' || s[k] > '7') return SyntaxError();
        value = value << 3 | static_cast<uint32_t>(s[k] - '0');
      }
      s.remove_prefix(2);
      if (value > 255) return SyntaxError();
      break;
    }
    case '\\': value = '\\'; break;
    case '\'':
    case '"':
      if (e != quote) return SyntaxError();
      value = static_cast<unsigned char>(e);
      break;
    default: return SyntaxError();
  }
  return UnquotedChar{value, multibyte, s};
}

Result<std::string> Unquote(std::string_view in) {
  if (in.size() < 2) return SyntaxError();
  char quote = in[0];
  size_t close = in.find(quote, 1);
  if (close == std::string_view::npos) return SyntaxError();
  size_t end = close + 1;  // after the first closing quote; wrong when escapes hide one
  switch (quote) {
    case '`': {
      if (end != in.size()) return SyntaxError();
      std::string out;
      for (char c : in.substr(1, end - 2)) {
        if (c != '\r') out.push_back(c);  // carriage returns are dropped from raw strings
      }
      return out;
    }
    case '"':
    case '\'': {
      std::string_view head = in.substr(0, end), body = in.substr(1, end - 2);
      if (head.find('\\') == std::string_view::npos && head.find('\n') == std::string_view::npos) {
        bool valid;
        if (quote == '"') {
          valid = IsValidUtf8(body);
        } else {
          auto [r, n] = DecodeRune(body);
          valid = n + 2 == end && (r != kRuneError || n != 1);
        }
        if (valid) {
          if (end != in.size()) return SyntaxError();
          return std::string(body);
        }
      }
      std::string out;
      std::string_view rest = in.substr(1);
      while (!rest.empty() && rest[0] != quote) {
        if (rest[0] == '\n') return SyntaxError();
        auto c = UnquoteChar(rest, quote);
        if (!c.ok()) return c.status();
        rest = c->rest;
        AppendUnquoted(&out, *c);
        if (quote == '\'') break;  // one character
      }
      if (rest.size() != 1 || rest[0] != quote) return SyntaxError();
      return out;
    }
    default: return SyntaxError();
  }
}

Result<std::string> UnquotePromQL(std::string_view s) {
  if (s.size() < 2 || s.front() != s.back()) return SyntaxError();
  char quote = s.front();
  s = s.substr(1, s.size() - 2);
  if (quote == '`') {
    if (s.find('`') != std::string_view::npos) return SyntaxError();
    return std::string(s);
  }
  if (quote != '"' && quote != '\'') return SyntaxError();
  if (s.find('\n') != std::string_view::npos) return SyntaxError();
  if (s.find('\\') == std::string_view::npos && s.find(quote) == std::string_view::npos) return std::string(s);
  std::string out;
  while (!s.empty()) {
    auto c = UnquoteChar(s, quote);
    if (!c.ok()) return c.status();
    s = c->rest;
    AppendUnquoted(&out, *c);
  }
  return out;
}

void AppendJsonString(std::string* out, std::string_view s) { AppendJson<false>(out, s); }
void AppendJsonStringHtmlSafe(std::string* out, std::string_view s) { AppendJson<true>(out, s); }

}  // namespace sremon
