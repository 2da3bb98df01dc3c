#include "util/json.h"

#include <string>

#include <gtest/gtest.h>

namespace sremon {

TEST(Json, DepthLimit) {
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  // ok = within the limit of 3.
  auto check = [](std::string_view text, bool ok) {
    EXPECT_EQ(CheckJsonDepth(text, 3).ok(), ok) << text;
  };
  check("[[[]]]", true);
  check("[[[[]]]]", false);
  check(R"({"a":{"b":[1]}})", true);
  check(R"({"a":{"b":[{}]}})", false);
  check(R"([[[]],[[]],[[]]])", true);          // depth goes back down between siblings
  check(R"(["[[[[[[", "\"[[[[", "\\"])", true);  // brackets in strings, escaped quotes
  check(R"(["\\", [[[]]]])", false);           // an escaped backslash ends the escape
  check("]]]][[[", true);                        // nonsense is the parser's business

  Status st = CheckJsonDepth(nested(kMaxJsonDepth + 1));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(st.message(), "JSON nesting exceeds the limit of 100 levels (at byte 100)");
  EXPECT_TRUE(CheckJsonDepth(nested(kMaxJsonDepth)).ok());
}

TEST(Json, ParseJson) {
  auto j = ParseJson(R"({"a":[1,2,{"b":"x"}]})");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ((*j)["a"][2]["b"], "x");

  auto bad = ParseJson(R"({"a":)");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("invalid JSON at byte", 0), 0u) << bad.status().message();

  // Numbers beyond double's range are an error, not an exception (json_depth_fuzzer's find).
  for (const char* overflow : {"52e555", "[1e999]", R"({"v":-1e400})"}) {
    auto big = ParseJson(overflow);
    ASSERT_FALSE(big.ok()) << overflow;
    EXPECT_EQ(big.status().message(), "invalid JSON: number out of range");
  }

  // A NUL byte ends nlohmann's input; here it is an error wherever it is (json_depth_fuzzer).
  for (std::string_view nul : {std::string_view("{\"a\":1}\0junk", 12), std::string_view("\"x\0\"", 4),
                               std::string_view("\0", 1)}) {
    auto r = ParseJson(nul);
    ASSERT_FALSE(r.ok()) << nul.size();
    EXPECT_NE(r.status().message().find("NUL byte"), std::string::npos) << r.status().message();
  }

  // The attack of issue 12: 100,000 levels are refused before anything is built.
  auto deep = ParseJson(std::string(100000, '[') + std::string(100000, ']'));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("limit of 100 levels"), std::string::npos);
}

}  // namespace sremon
