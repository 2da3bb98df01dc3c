#include "alertmanager/matchers.h"

#include <algorithm>

#include <fmt/format.h>
#include <re2/re2.h>

#include "util/strings.h"

namespace sremon::alertmanager {

namespace {

const char* OpString(model::MatchType t) {
  switch (t) {
    case model::MatchType::kEqual: return "=";
    case model::MatchType::kNotEqual: return "!=";
    case model::MatchType::kRegexMatch: return "=~";
    case model::MatchType::kRegexNoMatch: return "!~";
  }
  return "=";
}

}  // namespace

Result<model::Matcher> ParseMatcher(std::string_view s) {
  static const RE2 kRe(R"(^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s).*?)\s*$)");
  std::string name, op, raw_s;
  if (!RE2::FullMatch(s, kRe, &name, &op, &raw_s)) {
    return Status::InvalidArgument(fmt::format("bad matcher format: {}", s));
  }
  std::string_view raw = raw_s;
  bool expect_quote = false;
  if (!raw.empty() && raw[0] == '"') {
    raw.remove_prefix(1);
    expect_quote = true;
  }
  if (!IsValidUtf8(raw)) return Status::InvalidArgument(fmt::format("matcher value not valid UTF-8: {}", raw_s));
  std::string value;
  bool escaped = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    char r = raw[i];
    if (escaped) {
      escaped = false;
      if (r == 'n') {
        value += '\n';
      } else if (r == '"' || r == '\\') {
        value += r;
      } else {  // a spurious escape: the backslash is literal
        value += '\\';
        value += r;
      }
      continue;
    }
    if (r == '\\') {
      if (i < raw.size() - 1) {
        escaped = true;
        continue;
      }
      value += '\\';
    } else if (r == '"') {
      if (!expect_quote || i < raw.size() - 1) {
        return Status::InvalidArgument(fmt::format("matcher value contains unescaped double quote: {}", raw_s));
      }
      expect_quote = false;
    } else {
      value += r;
    }
  }
  if (expect_quote) {
    return Status::InvalidArgument(fmt::format("matcher value contains unescaped double quote: {}", raw_s));
  }
  model::MatchType type = op == "=" ? model::MatchType::kEqual
                          : op == "!=" ? model::MatchType::kNotEqual
                          : op == "=~" ? model::MatchType::kRegexMatch
                                       : model::MatchType::kRegexNoMatch;
  return model::Matcher::Make(type, name, value);
}

Result<Matchers> ParseMatchers(std::string_view s) {
  if (!s.empty() && s.front() == '{') s.remove_prefix(1);
  if (!s.empty() && s.back() == '}') s.remove_suffix(1);
  std::vector<std::string> tokens;
  std::string token;
  bool in_quotes = false, escaped = false;
  for (char r : s) {
    if (r == ',') {
      if (!in_quotes) {
        tokens.push_back(token);
        token.clear();
        continue;
      }
    } else if (r == '"') {
      if (!escaped) {
        in_quotes = !in_quotes;
      } else {
        escaped = false;
      }
    } else if (r == '\\') {
      escaped = !escaped;
    } else {
      escaped = false;
    }
    token += r;
  }
  if (!Trim(token).empty()) tokens.emplace_back(Trim(token));
  Matchers out;
  for (const auto& t : tokens) {
    auto m = ParseMatcher(t);
    if (!m.ok()) return m.status();
    out.push_back(std::move(*m));
  }
  return out;
}


std::string MatcherString(const model::Matcher& m) { return m.name() + OpString(m.type()) + Quote(m.value()); }

std::string MatchersString(const Matchers& ms) {
  std::string out = "{";
  for (size_t i = 0; i < ms.size(); ++i) {
    if (i) out += ",";
    out += MatcherString(ms[i]);
  }
  return out + "}";
}

void SortMatchers(Matchers* ms) {
  std::stable_sort(ms->begin(), ms->end(), [](const model::Matcher& a, const model::Matcher& b) {
    if (a.name() != b.name()) return a.name() < b.name();
    if (a.value() != b.value()) return a.value() < b.value();
    return static_cast<int>(a.type()) < static_cast<int>(b.type());
  });
}

bool MatchesAll(const Matchers& ms, const model::Labels& labels) {
  for (const auto& m : ms) {
    if (!m.Matches(labels.Get(m.name()))) return false;
  }
  return true;
}

}  // namespace sremon::alertmanager
