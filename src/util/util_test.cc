#include <cmath>

#include <gtest/gtest.h>

#include "util/strings.h"
#include "util/time.h"

namespace sremon {

TEST(Strings, FormatFloatG) {
  auto check = [](double v, const char* want) { EXPECT_EQ(FormatFloatG(v), want) << v; };
  check(1, "1");
  check(0.5, "0.5");
  check(1e6, "1e+06");
  check(123456, "123456");
  check(0.0001, "0.0001");
  check(0.00001, "1e-05");
  check(NAN, "NaN");
  check(-INFINITY, "-Inf");
  check(0.1 + 0.2, "0.30000000000000004");
}

TEST(Strings, FormatFloatApi) {
  auto check = [](double v, const char* want) { EXPECT_EQ(FormatFloatApi(v), want) << v; };
  check(1, "1");
  check(0.5, "0.5");
  check(1e-7, "1e-07");
  check(1e21, "1e+21");
  check(1e20, "100000000000000000000");
  check(INFINITY, "+Inf");
  // Shortest digits padded with zeros, as Go prints them (not the double's exact decimal value).
  check(1.2345678901234567e20, "123456789012345670000");
  check(-0.0, "-0");
}

TEST(Strings, AppendFloatF) {
  auto check = [](double v, const std::string& want) {
    std::string out;
    AppendFloatF(&out, v);
    EXPECT_EQ(out, want) << v;
  };
  check(0, "0");
  check(-0.0, "-0");
  check(1, "1");
  check(-123.456, "-123.456");
  check(1e-7, "0.0000001");
  check(0.5, "0.5");
  check(1e21, "1000000000000000000000");
  check(1e300, "1" + std::string(300, '0'));
  check(5e-324, "0." + std::string(323, '0') + "5");
  check(NAN, "NaN");
  check(-INFINITY, "-Inf");
}

TEST(Strings, Quote) {
  EXPECT_EQ(Quote("abc"), "\"abc\"");
  EXPECT_EQ(Quote("a\"b\\c\n\t"), "\"a\\\"b\\\\c\\n\\t\"");
  EXPECT_EQ(Quote("é€"), "\"é€\"");
  EXPECT_EQ(Quote("\xf0\n"), "\"\\xf0\\n\"");  // the input that made fmt's {:?} abort
  EXPECT_EQ(Quote(std::string("\x01\x7f", 2)), "\"\\x01\\x7f\"");
  EXPECT_EQ(ParseFloat("\xf0\n").status().message(), "invalid number \"\\xf0\\n\"");
}

TEST(Strings, ParseFloat) {
  EXPECT_EQ(*ParseFloat("1.5"), 1.5);
  EXPECT_EQ(*ParseFloat("-2e3"), -2000);
  EXPECT_TRUE(std::isinf(*ParseFloat("+Inf")));
  EXPECT_TRUE(std::isnan(*ParseFloat("NaN")));
  EXPECT_EQ(*ParseFloat("0x10"), 16);
  EXPECT_FALSE(ParseFloat("1.5x").ok());
  EXPECT_FALSE(ParseFloat("").ok());
}

TEST(Time, ParseDuration) {
  EXPECT_EQ(*ParseDurationMs("1h30m"), 5400000);
  EXPECT_EQ(*ParseDurationMs("250ms"), 250);
  EXPECT_EQ(*ParseDurationMs("2d"), 172800000);
  EXPECT_FALSE(ParseDurationMs("1x").ok());
  EXPECT_FALSE(ParseDurationMs("30m1h").ok());
  EXPECT_FALSE(ParseDurationMs("15").ok());
  EXPECT_EQ(*ParseDurationMs("15", true), 15000);
  EXPECT_EQ(*ParseDurationMs("0.5", true), 500);
  EXPECT_EQ(FormatDurationMs(5400000), "1h30m");
  EXPECT_EQ(FormatDurationMs(0), "0s");
}

TEST(Time, ParseTimeParam) {
  EXPECT_EQ(*ParseTimeParam("1435781451.781"), 1435781451781);
  EXPECT_EQ(*ParseTimeParam("2015-07-01T20:10:51.781Z"), 1435781451781);
  EXPECT_EQ(*ParseTimeParam("2015-07-01T22:10:51.781+02:00"), 1435781451781);
  EXPECT_FALSE(ParseTimeParam("yesterday").ok());
  EXPECT_EQ(FormatRfc3339Ms(1435781451781), "2015-07-01T20:10:51.781Z");
}

}  // namespace sremon
