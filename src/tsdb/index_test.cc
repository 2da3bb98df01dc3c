#include "tsdb/index.h"

#include <gtest/gtest.h>

namespace sremon::tsdb {
namespace {

using model::Labels;
using model::Matcher;
using model::MatchType;

Matcher M(MatchType t, std::string n, std::string v) { return *Matcher::Make(t, std::move(n), std::move(v)); }

TEST(PostingsTest, Matchers) {
  MemPostings p;
  p.Add(0, Labels{{"__name__", "up"}, {"job", "node"}, {"instance", "a"}});
  p.Add(1, Labels{{"__name__", "up"}, {"job", "node"}, {"instance", "b"}});
  p.Add(2, Labels{{"__name__", "up"}, {"job", "app"}});
  p.Add(3, Labels{{"__name__", "cpu"}, {"job", "node"}, {"instance", "a"}, {"mode", "idle"}});
  auto check = [&](std::vector<Matcher> ms, Postings want) { EXPECT_EQ(SelectPostings(p, ms), want); };
  using enum MatchType;
  check({M(kEqual, "__name__", "up")}, {0, 1, 2});
  check({M(kEqual, "__name__", "up"), M(kEqual, "job", "node")}, {0, 1});
  check({M(kEqual, "__name__", "up"), M(kNotEqual, "job", "node")}, {2});
  check({M(kEqual, "__name__", "up"), M(kRegexMatch, "instance", "a|b")}, {0, 1});
  check({M(kEqual, "__name__", "up"), M(kRegexNoMatch, "instance", "a")}, {1, 2});  // absent counts as ""
  check({M(kEqual, "__name__", "up"), M(kEqual, "instance", "")}, {2});
  check({M(kRegexMatch, "instance", ".*")}, {0, 1, 2, 3});
  check({M(kRegexMatch, "instance", ".+")}, {0, 1, 3});
  check({M(kEqual, "mode", "idle"), M(kRegexMatch, "job", "no.*")}, {3});
  check({M(kEqual, "nope", "x")}, {});
  check({M(kNotEqual, "job", "")}, {0, 1, 2, 3});
  p.Remove(1, Labels{{"__name__", "up"}, {"job", "node"}, {"instance", "b"}});
  check({M(kEqual, "__name__", "up")}, {0, 2});
  check({M(kEqual, "instance", "b")}, {});
}

TEST(PostingsTest, SetOps) {
  EXPECT_EQ(Intersect({1, 3, 5, 7}, {3, 4, 5}), (Postings{3, 5}));
  EXPECT_EQ(Subtract({1, 3, 5, 7}, {3, 4, 5}), (Postings{1, 7}));
  Postings a{1, 5}, b{2, 5, 9};
  EXPECT_EQ(UnionAll({&a, &b}), (Postings{1, 2, 5, 9}));
}

}  // namespace
}  // namespace sremon::tsdb
