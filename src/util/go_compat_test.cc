// The Go behaviours of util/go_compat.h against what Go's documentation and standard library
// tests state (regexp.Expand and ReplaceAllString, strconv.Unquote, encoding/json).
#include "util/go_compat.h"

#include <vector>

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "util/strings.h"

namespace sremon {
namespace {

// Go's re.Expand(nil, tmpl, input, re.FindSubmatchIndex(input)) for the first match in input.
std::string Expand(const std::string& regex, std::string_view input, std::string_view tmpl) {
  re2::RE2 re(regex);
  EXPECT_TRUE(re.ok()) << regex;
  std::vector<re2::StringPiece> pieces(re.NumberOfCapturingGroups() + 1);
  re2::StringPiece in(input.data(), input.size());
  EXPECT_TRUE(re.Match(in, 0, in.size(), re2::RE2::UNANCHORED, pieces.data(), static_cast<int>(pieces.size())))
      << regex << " on " << input;
  std::vector<std::string_view> groups;
  for (const auto& p : pieces) groups.emplace_back(p.data(), p.size());
  return RegexpExpand(tmpl, re, groups);
}

TEST(GoCompat, RegexpExpand) {
  auto check = [](const std::string& regex, std::string_view input, std::string_view tmpl, std::string_view want) {
    EXPECT_EQ(Expand(regex, input, tmpl), want) << regex << " " << tmpl;
  };
  // regexp's ReplaceAllString example: "$1W" names the group "1W" (longest name), which does not
  // exist, while "${1}W" is group 1 then W.
  check("a(x*)b", "axxb", "$1", "xx");
  check("a(x*)b", "axxb", "$1W", "");
  check("a(x*)b", "axxb", "${1}W", "xxW");
  check("a(x*)b", "ab", "${1}W", "W");  // empty submatch
  // The Expand example: named groups by $name.
  check(R"((?P<key>\w+):\s+(?P<value>\w+))", "option1: value1", "$key=$value", "option1=value1");
  check(R"((?P<key>\w+):\s+(?P<value>\w+))", "option1: value1", "${key}=${value}", "option1=value1");
  check(R"((?P<key>\w+):\s+(?P<value>\w+))", "option1: value1", "$2=$1", "value1=option1");
  check(R"((?P<key>\w+))", "k", "$keyx|${key}x", "|kx");  // $keyx is the unknown group "keyx"
  // $$ is a literal dollar; a $ that starts no reference stays as it is.
  check("(a+)", "aaa", "$$", "$");
  check("(a+)", "aaa", "$$1", "$1");
  check("(a+)", "aaa", "$", "$");
  check("(a+)", "aaa", "x$", "x$");
  check("(a+)", "aaa", "$-", "$-");
  check("(a+)", "aaa", "${oops", "${oops");
  check("(a+)", "aaa", "${}", "${}");
  check("(a+)", "aaa", "${1 }", "${1 }");
  check("(a+)", "aaa", "${a-b}", "${a-b}");
  check("(a+)", "aaa", "$$$1", "$aaa");
  // Groups out of range, not participating, or numbered with a leading zero expand to nothing
  // (Go reads "01" as a name, not a number).
  check("(a+)", "aaa", "[$2]", "[]");
  check("(a+)|(b+)", "aaa", "[$2]", "[]");
  check("(a+)", "aaa", "[$01]", "[]");
  check("(a+)", "aaa", "[$0]", "[aaa]");
  check("(a+)", "aaa", "[$0000000001]", "[]");
  check("(a+)", "aaa", "[$999999999]", "[]");
  // Names are Unicode letters, digits and '_': "$1é" is the group "1é", "$1-" group 1.
  check("(a+)", "aaa", "$1é", "");
  check("(a+)", "aaa", "$1-", "aaa-");
  check("(?P<é>a+)", "aaa", "<$é>", "<aaa>");
  check("(a+)", "aaa", "$1\xff", "aaa\xff");  // an invalid byte ends the name
  check("(a+)", "aaa", "$1_", "");
}

// A checker of one unquoting function: ok(in, want).
auto Unquotes(Result<std::string> (*unquote)(std::string_view)) {
  return [unquote](std::string_view in, std::string_view want) {
    auto got = unquote(in);
    ASSERT_TRUE(got.ok()) << in << ": " << got.status().ToString();
    EXPECT_EQ(*got, want) << in;
  };
}

TEST(GoCompat, Unquote) {
  auto ok = Unquotes(Unquote);
  // strconv's unquote tests.
  ok(R"("")", "");
  ok(R"("a")", "a");
  ok(R"("abc")", "abc");
  ok(R"("☺")", "☺");
  ok(R"("hello world")", "hello world");
  ok(R"("\xFF")", "\xFF");
  ok(R"("\377")", "\377");
  ok(R"("\u1234")", "\u1234");
  ok(R"("\U00010111")", "\U00010111");
  ok(R"("\U0001011111")", "\U0001011111");
  ok(R"("\a\b\f\n\r\t\v\\\"")", "\a\b\f\n\r\t\v\\\"");
  ok(R"("'")", "'");
  ok(R"('a')", "a");
  ok(R"('☹')", "☹");
  ok(R"('\a')", "\a");
  ok(R"('\x10')", "\x10");
  ok(R"('\377')", "\377");
  ok(R"('\u1234')", "\u1234");
  ok(R"('\U00010111')", "\U00010111");
  ok(R"('\t')", "\t");
  ok(R"(' ')", " ");
  ok(R"('\'')", "'");
  ok(R"('"')", "\"");
  ok("``", "");
  ok("`a`", "a");
  ok("`☺`", "☺");
  ok("`\\xFF`", "\\xFF");
  ok("`\\377`", "\\377");
  ok("`\\`", "\\");
  ok("`\n`", "\n");
  ok("`\t`", "\t");
  ok("`a\rb`", "ab");  // carriage returns are dropped from raw strings
  // Invalid UTF-8 does not pass the fast path: each bad byte becomes U+FFFD.
  ok("\"\xc0\"", "\xef\xbf\xbd");
  ok("\"a\xc0\"", "a\xef\xbf\xbd");
  ok("\"\\t\xc0\"", "\t\xef\xbf\xbd");
  // strconv's misquoted list.
  for (std::string_view bad : {"", "\"", "\"a", "\"'", "b\"", "\"\\\"", "\"\\9\"", "\"\\19\"", "\"\\129\"", "'\\'",
                               "'\\9'", "'\\19'", "'\\129'", "'ab'", "\"\\x1!\"", "\"\\U12345678\"", "\"\\z\"", "`",
                               "`xxx", "``x\r", "`\"", "\"\\'\"", "'\\\"'", "\"\n\"", "\"\\n\n\"", "'\n'",
                               "\"\\udead\"", "\"\\ud83d\\ude4f\"", "\"a\"b", "'a'b"}) {
    auto got = Unquote(bad);
    EXPECT_FALSE(got.ok()) << Quote(bad) << " gave " << Quote(got.ok() ? *got : "");
    if (!got.ok()) {
      EXPECT_EQ(got.status().message(), "invalid syntax");
    }
  }
}

TEST(GoCompat, UnquoteChar) {
  auto check = [](std::string_view in, char quote, uint32_t value, bool multibyte, std::string_view rest) {
    auto got = UnquoteChar(in, quote);
    ASSERT_TRUE(got.ok()) << in;
    EXPECT_EQ(got->value, value) << in;
    EXPECT_EQ(got->multibyte, multibyte) << in;
    EXPECT_EQ(got->rest, rest) << in;
  };
  // strconv's UnquoteChar example.
  check(R"(\"Fran & Freddie's Diner\")", '"', '"', false, R"(Fran & Freddie's Diner\")");
  check("a'", '\'', 'a', false, "'");
  check("é'", '\'', 0xE9, true, "'");
  check("\\xff'", '\'', 0xFF, false, "'");  // a byte, not U+00FF
  check("\\u00ff'", '\'', 0xFF, true, "'");
  check("\xff'", '\'', 0xFFFD, true, "'");
  check("\\'x", '\'', '\'', false, "x");
  EXPECT_FALSE(UnquoteChar("'", '\'').ok());
  EXPECT_FALSE(UnquoteChar("\\\"", '\'').ok());
  EXPECT_FALSE(UnquoteChar("", '"').ok());
  EXPECT_FALSE(UnquoteChar("\\", '"').ok());
}

TEST(GoCompat, UnquotePromQL) {
  auto ok = Unquotes(UnquotePromQL);
  // Prometheus's util/strutil quote tests: single quotes hold strings.
  ok(R"("")", "");
  ok(R"("a")", "a");
  ok(R"("\a\b\f\n\r\t\v\\\"")", "\a\b\f\n\r\t\v\\\"");
  ok(R"("'")", "'");
  ok("''", "");
  ok("'abc'", "abc");
  ok("'hello world'", "hello world");
  ok(R"('\ahéllo world')", "\ahéllo world");
  ok(R"('\xFF')", "\xFF");
  ok(R"('\U0001011111')", "\U0001011111");
  ok(R"('\a\b\f\n\r\t\v\\\'')", "\a\b\f\n\r\t\v\\'");
  ok(R"('"')", "\"");
  ok("`\\xFF`", "\\xFF");
  ok("`\n`", "\n");
  ok("`a\rb`", "a\rb");          // raw strings keep carriage returns (unlike strconv)
  ok("\"\xc0\"", "\xc0");        // no escapes: returned as it is
  ok("\"\\t\xc0\"", "\t\xef\xbf\xbd");  // with escapes: decoded rune by rune
  for (std::string_view bad : {"", "\"", "\"a", "\"'", "b\"", "\"\\\"", "\"\\9\"", "\"\\19\"", "\"\\129\"", "'\\'",
                               "'\\9'", "'\\19'", "'\\129'", "'\\400'", "\"\\x1!\"", "\"\\U12345678\"", "\"\\z\"",
                               "`", "`xxx", "`\"", "\"\\'\"", "'\\\"'", "\"\n\"", "\"\\n\n\"", "'\n'", "`1`9`",
                               "1231", "'\\xF'", "\"\"12345\""}) {
    EXPECT_FALSE(UnquotePromQL(bad).ok()) << Quote(bad);
  }
}

TEST(GoCompat, JsonString) {
  auto check = [](std::string_view in, std::string_view want, std::string_view want_html) {
    std::string out, out_html;
    AppendJsonString(&out, in);
    AppendJsonStringHtmlSafe(&out_html, in);
    EXPECT_EQ(out, want) << Quote(in);
    EXPECT_EQ(out_html, want_html) << Quote(in);
  };
  // encoding/json: short escapes for " \ \n \r \t, \u00XX for other control characters.
  check("plain", R"("plain")", R"("plain")");
  check("", R"("")", R"("")");
  check("a\"b\\c", R"("a\"b\\c")", R"("a\"b\\c")");
  check("\n\r\t\x01\x1f\x7f", R"("\n\r\t\u0001\u001f)" "\x7f\"", R"("\n\r\t\u0001\u001f)" "\x7f\"");
  check("\b\f", R"("\u0008\u000c")", R"("\u0008\u000c")");
  check(std::string_view("a\0b", 3), R"("a\u0000b")", R"("a\u0000b")");
  // HTML characters only for json.Marshal (SetEscapeHTML(false) keeps them).
  check("a<b>&c", R"("a<b>&c")", R"("a\u003cb\u003e\u0026c")");
  // Valid UTF-8 is kept; U+2028/2029 are escaped either way.
  check("é€😀", R"("é€😀")", R"("é€😀")");
  check("\xe2\x80\xa8\xe2\x80\xa9", R"("\u2028\u2029")", R"("\u2028\u2029")");
  // Each invalid byte becomes \ufffd.
  check("up\xff", R"("up\ufffd")", R"("up\ufffd")");
  check("\xc3", R"("\ufffd")", R"("\ufffd")");                                  // truncated
  check("\xe2\x82", R"("\ufffd\ufffd")", R"("\ufffd\ufffd")");                  // truncated 3-byte
  check("\xe0\x80\x80", R"("\ufffd\ufffd\ufffd")", R"("\ufffd\ufffd\ufffd")");  // overlong
  check("\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")", R"("\ufffd\ufffd\ufffd")");  // surrogate
  check("\xf4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")", R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
  check("\xef\xbf\xbd", "\"\xef\xbf\xbd\"", "\"\xef\xbf\xbd\"");  // a real U+FFFD is kept
}

}  // namespace
}  // namespace sremon
