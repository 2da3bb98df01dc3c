// Silences on their own, on a manual clock (upstream silence/silence.go): matching (equality,
// regex, negative, absent labels), states over time, upstream's update-or-replace rules,
// expiry, retention, persistence and the count limit (alertmanager_test.cc: MaxSilences).
#include "alertmanager/silences.h"

#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace sremon::alertmanager {
namespace {

constexpr int64_t kHour = 3600 * 1000;

class SilencesTest : public ::testing::Test {
 protected:
  Silences silences_{[this] { return now_; }};
  int64_t now_ = 1700000000000;  // the manual clock

  void SetUp() override { ASSERT_TRUE(silences_.Open("", 24 * kHour).ok()); }

  Silence Make(const std::string& matchers, int64_t start, int64_t end) {
    Silence s;
    auto ms = ParseMatchers(matchers);
    EXPECT_TRUE(ms.ok()) << ms.status().message();
    if (ms.ok()) s.matchers = *ms;
    s.starts_at = start;
    s.ends_at = end;
    s.created_by = "test";
    s.comment = "c";
    return s;
  }
  std::string Add(const std::string& matchers, int64_t start, int64_t end) {
    auto id = silences_.Set(Make(matchers, start, end));
    EXPECT_TRUE(id.ok()) << id.status().message();
    return id.ok() ? *id : "";
  }
  SilenceState State(const std::string& id) { return StateOf(*silences_.Get(id), now_); }
};

TEST_F(SilencesTest, MatchersOfEveryKind) {
  auto muted = [&](const std::string& matchers, model::Labels labels) {
    Silences s([this] { return now_; });
    EXPECT_TRUE(s.Open("", kHour).ok());
    auto id = s.Set(Make(matchers, now_, now_ + kHour));
    EXPECT_TRUE(id.ok()) << matchers << ": " << id.status().message();
    return !s.Mutes(labels, now_).empty();
  };
  model::Labels web{{"alertname", "Down"}, {"job", "web"}, {"instance", "a:1"}};
  EXPECT_TRUE(muted(R"(alertname="Down")", web));
  EXPECT_TRUE(muted(R"(alertname="Down", job="web")", web));
  EXPECT_FALSE(muted(R"(alertname="Down", job="db")", web));  // every matcher must match
  EXPECT_TRUE(muted(R"(job=~"we.")", web));
  EXPECT_FALSE(muted(R"(job=~"we")", web));  // regexes are anchored
  EXPECT_TRUE(muted(R"(job=~"db|web")", web));
  EXPECT_TRUE(muted(R"(alertname="Down", job!="db")", web));
  EXPECT_FALSE(muted(R"(alertname="Down", job!="web")", web));
  EXPECT_TRUE(muted(R"(alertname="Down", job!~"d.*")", web));
  EXPECT_FALSE(muted(R"(alertname="Down", job!~"w.*")", web));
  // An absent label reads as "".
  EXPECT_TRUE(muted(R"(alertname="Down", zone!="eu")", web));
  EXPECT_TRUE(muted(R"(alertname="Down", zone=~"eu|")", web));
  EXPECT_FALSE(muted(R"(alertname="Down", zone=~".+")", web));
  EXPECT_FALSE(muted(R"(zone="eu")", web));
}

TEST_F(SilencesTest, RefusesInvalidSilences) {
  auto refuse = [&](Silence s, const std::string& want) {
    auto id = silences_.Set(std::move(s));
    ASSERT_FALSE(id.ok()) << want;
    EXPECT_EQ(id.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(id.status().message(), "silence invalid: " + want);
  };
  Silence none = Make("a=b", now_, now_ + kHour);
  none.matchers.clear();
  refuse(none, "at least one matcher required");
  refuse(Make(R"(a="", b=~".*")", now_, now_ + kHour),
         "at least one matcher must not match the empty string");
  refuse(Make("a=b", 0, now_ + kHour), "invalid zero start timestamp");
  refuse(Make("a=b", now_, 0), "invalid zero end timestamp");
  refuse(Make("a=b", now_, now_ - 1), "end time must not be before start time");
  Silence unknown = Make("a=b", now_, now_ + kHour);
  unknown.id = "no-such-id";
  EXPECT_EQ(silences_.Set(unknown).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(silences_.List().empty());
  EXPECT_FALSE(MatcherFromApi("a", "(", true, true).ok());
  EXPECT_FALSE(MatcherFromApi("1a", "x", false, true).ok());
}

TEST_F(SilencesTest, OnlyActiveSilencesMute) {
  model::Labels x{{"alertname", "X"}};
  std::string pending = Add("alertname=X", now_ + kHour, now_ + 2 * kHour);
  EXPECT_EQ(State(pending), SilenceState::kPending);
  EXPECT_TRUE(silences_.Mutes(x, now_).empty());
  now_ += kHour;  // starts_at is inclusive
  EXPECT_EQ(State(pending), SilenceState::kActive);
  EXPECT_EQ(silences_.Mutes(x, now_), std::vector<std::string>{pending});
  now_ += kHour;  // ends_at is exclusive
  EXPECT_EQ(State(pending), SilenceState::kExpired);
  EXPECT_TRUE(silences_.Mutes(x, now_).empty());
  EXPECT_STREQ(SilenceStateName(SilenceState::kPending), "pending");
}

TEST_F(SilencesTest, NewSilenceStartsNoEarlierThanNow) {
  std::string id = Add("a=b", now_ - kHour, now_ + kHour);
  auto s = silences_.Get(id);
  EXPECT_EQ(s->starts_at, now_);
  EXPECT_EQ(s->updated_at, now_);
  EXPECT_EQ(s->id.size(), 36u);
  EXPECT_NE(Add("a=b", now_, now_ + kHour), id);  // same matchers, no id: another silence
}

// Upstream's canUpdate: an active silence is updated in place when matchers and start stay and
// the end is not in the past; otherwise the old one is expired now and a new id is made.
TEST_F(SilencesTest, UpdateActiveInPlaceOrReplace) {
  std::string id = Add("a=b", now_, now_ + kHour);
  now_ += 1000;
  Silence s = *silences_.Get(id);
  s.ends_at = now_ + 5 * kHour;
  s.comment = "longer";
  EXPECT_EQ(*silences_.Set(s), id);
  EXPECT_EQ(silences_.Get(id)->comment, "longer");
  EXPECT_EQ(silences_.Get(id)->updated_at, now_);
  // The end moved to now exactly: still in place (and expired from now on).
  s.ends_at = now_;
  EXPECT_EQ(*silences_.Set(s), id);
  EXPECT_EQ(State(id), SilenceState::kExpired);

  // Other matchers: replaced, and the old one ends now.
  std::string id2 = Add("a=b", now_, now_ + kHour);
  now_ += 1000;
  Silence changed = *silences_.Get(id2);
  changed.matchers = *ParseMatchers("a=c");
  std::string id3 = *silences_.Set(changed);
  EXPECT_NE(id3, id2);
  EXPECT_EQ(silences_.Get(id2)->ends_at, now_);
  EXPECT_EQ(State(id2), SilenceState::kExpired);
  EXPECT_EQ(State(id3), SilenceState::kActive);
  EXPECT_EQ(silences_.Get(id3)->starts_at, now_);  // a start in the past becomes now
  // Another start, or an end already past: replaced too.
  Silence moved = *silences_.Get(id3);
  moved.starts_at = now_ - 500;
  std::string id4 = *silences_.Set(moved);
  EXPECT_NE(id4, id3);
  Silence past = *silences_.Get(id4);
  now_ += 1000;
  past.ends_at = now_ - 1;
  std::string id5 = *silences_.Set(past);
  EXPECT_NE(id5, id4);
  EXPECT_EQ(State(id5), SilenceState::kExpired);
}

TEST_F(SilencesTest, UpdatePendingAndExpired) {
  std::string id = Add("a=b", now_ + kHour, now_ + 2 * kHour);
  Silence s = *silences_.Get(id);
  s.starts_at = now_ + 30 * 60 * 1000;  // a pending silence may move its start, if not into the past
  EXPECT_EQ(*silences_.Set(s), id);
  s.starts_at = now_ - 1;
  std::string replaced = *silences_.Set(s);
  EXPECT_NE(replaced, id);
  // The pending one is expired without ever having been active: start and end now.
  Silence old = *silences_.Get(id);
  EXPECT_EQ(old.starts_at, now_);
  EXPECT_EQ(old.ends_at, now_);
  EXPECT_EQ(silences_.Get(replaced)->starts_at, now_);

  // An expired silence is never updated: a new one is made and the old one stays as it was.
  now_ += 3 * kHour;
  Silence again = *silences_.Get(replaced);
  int64_t old_end = again.ends_at;
  again.ends_at = now_ + kHour;
  std::string fresh = *silences_.Set(again);
  EXPECT_NE(fresh, replaced);
  EXPECT_EQ(silences_.Get(replaced)->ends_at, old_end);
  EXPECT_EQ(State(fresh), SilenceState::kActive);
}

TEST_F(SilencesTest, Expire) {
  std::string active = Add("a=b", now_, now_ + kHour);
  std::string pending = Add("a=c", now_ + kHour, now_ + 2 * kHour);
  now_ += 1000;
  ASSERT_TRUE(silences_.Expire(active).ok());
  EXPECT_EQ(silences_.Get(active)->ends_at, now_);
  EXPECT_EQ(silences_.Get(active)->starts_at, now_ - 1000);
  ASSERT_TRUE(silences_.Expire(pending).ok());
  EXPECT_EQ(silences_.Get(pending)->starts_at, now_);
  EXPECT_EQ(silences_.Get(pending)->ends_at, now_);
  EXPECT_TRUE(silences_.Mutes({{"a", "b"}}, now_).empty());
  Status again = silences_.Expire(active);
  EXPECT_EQ(again.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(again.message(), "silence " + active + " already expired");
  EXPECT_EQ(silences_.Expire("nope").code(), Status::Code::kNotFound);
}

TEST_F(SilencesTest, MaintenanceDropsSilencesPastRetention) {
  std::string early = Add("a=b", now_, now_ + kHour);
  std::string late = Add("a=c", now_, now_ + 2 * kHour);
  now_ += kHour + 24 * kHour - 1;  // early ended just under one retention ago: kept
  silences_.Maintenance();
  EXPECT_EQ(silences_.List().size(), 2u);
  now_ += 2;
  silences_.Maintenance();
  EXPECT_FALSE(silences_.Get(early).ok());
  EXPECT_TRUE(silences_.Get(late).ok());
}

TEST_F(SilencesTest, SurviveReopenWithEveryMatcherKind) {
  testutil::TempDir dir;
  std::string id, expired;
  {
    Silences s([this] { return now_; });
    ASSERT_TRUE(s.Open(dir.path(), 24 * kHour).ok());
    Silence in = Make(R"(a="b", c!="d", e=~"f|g", h!~"i.*")", now_, now_ + kHour);
    in.created_by = "someone \"quoted\"";
    id = *s.Set(in);
    expired = *s.Set(Make("x=y", now_, now_ + kHour));
    ASSERT_TRUE(s.Expire(expired).ok());
  }
  Silences s([this] { return now_; });
  ASSERT_TRUE(s.Open(dir.path(), 24 * kHour).ok());
  ASSERT_EQ(s.List().size(), 2u);
  auto got = s.Get(id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(MatchersString(got->matchers), R"({a="b",c!="d",e=~"f|g",h!~"i.*"})");
  EXPECT_EQ(got->created_by, "someone \"quoted\"");
  EXPECT_EQ(s.Mutes({{"a", "b"}, {"e", "g"}}, now_), std::vector<std::string>{id});
  EXPECT_EQ(StateOf(*s.Get(expired), now_), SilenceState::kExpired);
  // Maintenance compacts what it keeps; a third start reads the same.
  now_ += 2 * kHour;
  s.Maintenance();
  Silences third([this] { return now_; });
  ASSERT_TRUE(third.Open(dir.path(), 24 * kHour).ok());
  EXPECT_EQ(third.List().size(), 2u);
}

}  // namespace
}  // namespace sremon::alertmanager
