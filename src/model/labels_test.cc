#include <gtest/gtest.h>

#include "model/labels.h"

namespace sremon::model {

TEST(Labels, SortedAndEmptyDropped) {
  Labels l({{"b", "2"}, {"__name__", "up"}, {"a", "1"}, {"c", ""}});
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l.items()[0].name, "__name__");
  EXPECT_EQ(l.Get("a"), "1");
  EXPECT_EQ(l.ToString(), "up{a=\"1\", b=\"2\"}");
  EXPECT_EQ(Labels({{"__name__", "up"}}).ToString(), "up");
  EXPECT_EQ(Labels({{"a", "x"}}).ToString(), "{a=\"x\"}");
  // Values are JSON strings as Go writes them: invalid UTF-8 becomes U+FFFD, never raw bytes.
  EXPECT_EQ(Labels({{"a", "x\xff\"\n"}}).ToString(), "{a=\"x\\ufffd\\\"\\n\"}");
}

TEST(Labels, BuilderAndHash) {
  Labels base({{"__name__", "up"}, {"job", "a"}});
  Labels changed = LabelsBuilder(base).Set("job", "b").Del("__name__").Build();
  EXPECT_EQ(changed.ToString(), "{job=\"b\"}");
  EXPECT_NE(base.Hash(), changed.Hash());
  EXPECT_EQ(base.HashFor({"job"}, true), Labels({{"job", "a"}}).Hash());
}

TEST(Matcher, RegexIsAnchored) {
  auto m = Matcher::Make(MatchType::kRegexMatch, "job", "ap+");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->Matches("app"));
  EXPECT_FALSE(m->Matches("xapp"));
  EXPECT_FALSE(m->MatchesEmpty());
  EXPECT_FALSE(Matcher::Make(MatchType::kRegexMatch, "job", "(").ok());
  EXPECT_TRUE(Matcher::Make(MatchType::kNotEqual, "job", "x")->MatchesEmpty());
  // As Prometheus 2.42 answers m{x=~"a.b"} over x="a\nb" and x="a_b": only a_b.
  auto dot = Matcher::Make(MatchType::kRegexMatch, "x", "a.b");
  EXPECT_TRUE(dot->Matches("a_b"));
  EXPECT_FALSE(dot->Matches("a\nb"));
  EXPECT_TRUE(Matcher::Make(MatchType::kRegexMatch, "x", "(?s)a.b")->Matches("a\nb"));  // unless asked for
}

TEST(Stale, Marker) {
  EXPECT_TRUE(IsStaleNaN(StaleNaN()));
  EXPECT_FALSE(IsStaleNaN(std::nan("")));
}

}  // namespace sremon::model
