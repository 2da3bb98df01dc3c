// The routing tree on its own (dispatch/route.go of upstream): depth-first matching with
// `continue`, the options a child inherits and the ones it does not, group labels, route keys.
#include "alertmanager/route.h"

#include <gtest/gtest.h>

namespace sremon::alertmanager {
namespace {

// The routing tree of an alertmanager.yml; nullptr (and a failure) when it does not parse.
std::unique_ptr<Route> Tree(const std::string& yaml) {
  auto c = ParseConfig(yaml, "am.yml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? Route::Build((*c)->route) : nullptr;
}

// The one route that labels match (a failure, and nullptr, when they match none or several).
const Route* MatchOne(const Route& root, const model::Labels& labels) {
  auto m = root.Match(labels);
  EXPECT_EQ(m.size(), 1u) << labels.ToString();
  return m.size() == 1 ? m[0] : nullptr;
}

std::vector<std::string> Receivers(const Route& root, const model::Labels& labels) {
  std::vector<std::string> out;
  for (const Route* r : root.Match(labels)) out.push_back(r->opts().receiver);
  return out;
}

using Names = std::vector<std::string>;

TEST(Route, MatchesDepthFirstAndStopsUnlessContinue) {
  auto root = Tree(R"y(
route:
  receiver: default
  routes:
  - matchers: ['owner="team-A"']
    receiver: team-A
    routes:
    - matchers: ['env="testing"']
      receiver: team-A-test
  - matchers: ['owner="team-B"']
    receiver: team-B
    continue: true
  - matchers: ['owner=~"team-(B|C)"']
    receiver: team-BC
  - matchers: ['owner="team-B"']
    receiver: never
  - matchers: ['owner!="team-A"', 'env="prod"']
    receiver: prod
receivers: [{name: default}, {name: team-A}, {name: team-A-test}, {name: team-B}, {name: team-BC}, {name: never},
            {name: prod}]
)y");
  ASSERT_TRUE(root);
  auto check = [&](model::Labels labels, Names want) {
    EXPECT_EQ(Receivers(*root, labels), want) << labels.ToString();
  };
  check({{"owner", "team-A"}}, {"team-A"});                           // a child without matching children
  check({{"owner", "team-A"}, {"env", "testing"}}, {"team-A-test"});  // the leaf-most match
  check({{"owner", "team-B"}}, {"team-B", "team-BC"});                // continue, then the first stop
  check({{"owner", "team-C"}}, {"team-BC"});
  check({{"owner", "team-BB"}}, {"default"});  // regexes are anchored
  check({{"owner", "team-Z"}, {"env", "prod"}}, {"prod"});
  check({{"env", "prod"}}, {"prod"});  // != matches an absent label
  check({}, {"default"});              // nothing matches: the root itself
}

TEST(Route, ChildrenInheritUnsetOptions) {
  auto root = Tree(R"y(
route:
  receiver: root
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 3s
  routes:
  - matchers: ['a="1"']
    group_wait: 10s
    routes:
    - matchers: ['b="1"']
      receiver: leaf
      repeat_interval: 30s
receivers: [{name: root}, {name: leaf}]
)y");
  ASSERT_TRUE(root);
  const Route* leaf = MatchOne(*root, {{"a", "1"}, {"b", "1"}});
  ASSERT_TRUE(leaf);
  const RouteOpts& o = leaf->opts();
  EXPECT_EQ(o.receiver, "leaf");
  EXPECT_EQ(o.group_by, Names{"alertname"});
  EXPECT_EQ(o.group_wait, 10000);       // from the parent
  EXPECT_EQ(o.group_interval, 2000);    // from the root
  EXPECT_EQ(o.repeat_interval, 30000);  // its own
  const Route* mid = MatchOne(*root, {{"a", "1"}});
  ASSERT_TRUE(mid);
  EXPECT_EQ(mid->opts().receiver, "root");
  EXPECT_EQ(mid->opts().repeat_interval, 3000);
  // Upstream's defaults where nothing is set.
  auto bare = Tree("route: {receiver: r}\nreceivers: [{name: r}]\n");
  ASSERT_TRUE(bare);
  const RouteOpts& d = bare->opts();
  EXPECT_EQ(d.group_wait, 30000);
  EXPECT_EQ(d.group_interval, 300000);
  EXPECT_EQ(d.repeat_interval, 4 * 3600 * 1000);
  EXPECT_TRUE(d.group_by.empty());
  EXPECT_FALSE(d.group_by_all);
}

TEST(Route, GroupLabels) {
  auto root = Tree(R"y(
route:
  receiver: r
  group_by: [alertname, cluster]
  routes:
  - matchers: ['all="1"']
    group_by: ['...']
    routes:
    - matchers: ['one="1"']
      group_by: [job]
    - matchers: ['inherit="1"']
  - matchers: ['empty="1"']
    group_by: []
receivers: [{name: r}]
)y");
  ASSERT_TRUE(root);
  auto group = [&](model::Labels labels) {
    return LabelSetString(MatchOne(*root, labels)->GroupLabels(labels));
  };
  // Absent group_by labels are left out, not set to "".
  EXPECT_EQ(group({{"alertname", "A"}, {"job", "j"}}), R"({alertname="A"})");
  EXPECT_EQ(group({{"alertname", "A"}, {"cluster", "c"}, {"job", "j"}}), R"({alertname="A", cluster="c"})");
  // '...' groups by every label; a child's own list replaces it; a child without one keeps it.
  EXPECT_EQ(group({{"all", "1"}, {"job", "j"}, {"x", "y"}}), R"({all="1", job="j", x="y"})");
  EXPECT_EQ(group({{"all", "1"}, {"one", "1"}, {"job", "j"}}), R"({job="j"})");
  EXPECT_EQ(group({{"all", "1"}, {"inherit", "1"}, {"job", "j"}}), R"({all="1", inherit="1", job="j"})");
  // Regression: `group_by: []` is no list at all for upstream (config.Route.GroupBy stays nil),
  // so the parent's grouping holds; it once put every alert of the route into one group.
  EXPECT_EQ(group({{"empty", "1"}, {"alertname", "A"}, {"cluster", "c"}}), R"({alertname="A", cluster="c"})");
}

TEST(Route, KeysNameThePathOfMatchers) {
  auto root = Tree(R"y(
route:
  receiver: r
  routes:
  - match: {team: "x"}
    match_re: {sev: "crit|page"}
    routes:
    - matchers: ['a!="b"']
receivers: [{name: r}]
)y");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->key(), "{}");
  const Route* m = MatchOne(*root, {{"team", "x"}, {"sev", "page"}});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->key(), R"({}/{sev=~"crit|page",team="x"}/{a!="b"})");
  EXPECT_EQ(LabelSetString({}), "{}");
  EXPECT_EQ(LabelSetString({{"a", "q\"x"}}), R"({a="q\"x"})");
}

// Regression: mute_time_intervals and active_time_intervals are the route's own, never the
// parent's (upstream route.go sets them from the route's config unconditionally; a parent's
// interval does not mute its children). They were inherited, muting children upstream sends to.
TEST(Route, TimeIntervalsAreNotInherited) {
  auto root = Tree(R"y(
route:
  receiver: r
  routes:
  - matchers: ['a="1"']
    mute_time_intervals: [nights]
    active_time_intervals: [weekdays]
    routes:
    - matchers: ['b="1"']
    - matchers: ['c="1"']
      mute_time_intervals: [weekends]
time_intervals:
- name: nights
  time_intervals: [{times: [{start_time: '00:00', end_time: '06:00'}]}]
- name: weekdays
  time_intervals: [{weekdays: ['monday:friday']}]
- name: weekends
  time_intervals: [{weekdays: ['saturday', 'sunday']}]
receivers: [{name: r}]
)y");
  ASSERT_TRUE(root);
  auto opts = [&](model::Labels labels) { return MatchOne(*root, labels)->opts(); };
  EXPECT_EQ(opts({{"a", "1"}}).mute_time_intervals, Names{"nights"});
  EXPECT_EQ(opts({{"a", "1"}}).active_time_intervals, Names{"weekdays"});
  EXPECT_EQ(opts({{"a", "1"}, {"b", "1"}}).mute_time_intervals, Names{});
  EXPECT_EQ(opts({{"a", "1"}, {"b", "1"}}).active_time_intervals, Names{});
  EXPECT_EQ(opts({{"a", "1"}, {"c", "1"}}).mute_time_intervals, Names{"weekends"});
  EXPECT_EQ(opts({{"a", "1"}, {"c", "1"}}).active_time_intervals, Names{});
}

}  // namespace
}  // namespace sremon::alertmanager
