#include "dashboards/auth.h"

#include <gtest/gtest.h>

namespace sremon::dashboards {
namespace {

TEST(Auth, HashAndVerify) {
  auto h = HashPassword("s3cret", HashCost::kMinimum);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_TRUE(h->starts_with("$argon2id$")) << *h;
  EXPECT_EQ(h->find("s3cret"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*h, "s3cret"));
  EXPECT_FALSE(VerifyPassword(*h, "s3cret "));
  EXPECT_FALSE(VerifyPassword(*h, ""));
  auto h2 = HashPassword("s3cret", HashCost::kMinimum);
  EXPECT_NE(*h, *h2) << "salted";
}

TEST(Auth, VerifyRejectsGarbageHashes) {
  for (const char* bad : {"", "admin", "$argon2id$", "$argon2id$v=19$m=1,t=1,p=1$xx$yy"}) {
    EXPECT_FALSE(VerifyPassword(bad, "admin")) << bad;
  }
  EXPECT_FALSE(VerifyPassword(std::string(500, 'x'), "admin"));
}

TEST(Auth, Tokens) {
  std::string a = NewSessionToken(), b = NewSessionToken();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(TokenDigest(a), TokenDigest(a));
  EXPECT_NE(TokenDigest(a), a);
  EXPECT_EQ(NewUid().size(), 14u);
}

TEST(Auth, BasicAuth) {
  std::string u, p;
  auto check = [&](std::string_view header, bool ok, std::string_view want_u, std::string_view want_p) {
    bool got = ParseBasicAuth(header, &u, &p);
    EXPECT_EQ(got, ok) << header;
    if (ok) {
      EXPECT_EQ(u, want_u);
      EXPECT_EQ(p, want_p);
    }
  };
  check("Basic YWRtaW46YWRtaW4=", true, "admin", "admin");
  check("Basic YWRtaW46YTpi", true, "admin", "a:b");
  check("Basic !!!", false, "", "");
  check("Basic YWRtaW4=", false, "", "");  // no colon
  check("Bearer abc", false, "", "");
  check("", false, "", "");
}

TEST(Auth, LoginLimiterBlocksAfterFailuresAndExpires) {
  LoginLimiter lim(3, 1000);
  EXPECT_FALSE(lim.Blocked("admin", 0));
  lim.RecordFailure("admin", 0);
  lim.RecordFailure("admin", 10);
  EXPECT_FALSE(lim.Blocked("admin", 20));
  lim.RecordFailure("admin", 30);
  EXPECT_TRUE(lim.Blocked("admin", 40));
  EXPECT_FALSE(lim.Blocked("other", 40));
  EXPECT_FALSE(lim.Blocked("admin", 1100)) << "window passed";
  lim.RecordFailure("x", 0);
  lim.Reset("x");
  EXPECT_FALSE(lim.Blocked("x", 1));
}

// Grafana counts the failed attempts of the last window (a sliding window), not a window that
// starts at the first failure: a failure older than the window stops counting on its own.
TEST(Auth, LoginLimiterWindowSlides) {
  LoginLimiter lim(3, 1000);
  lim.RecordFailure("u", 0);
  lim.RecordFailure("u", 500);
  lim.RecordFailure("u", 900);
  EXPECT_TRUE(lim.Blocked("u", 950));
  EXPECT_FALSE(lim.Blocked("u", 1001)) << "the failure at 0 left the window";
  lim.RecordFailure("u", 1001);
  EXPECT_TRUE(lim.Blocked("u", 1002)) << "500, 900 and 1001 are within the last 1000 ms";
  EXPECT_FALSE(lim.Blocked("u", 1501));
}

TEST(Auth, DummyHashNeverMatches) {
  auto h = DummyPasswordHash(HashCost::kMinimum);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->starts_with("$argon2id$"));
  for (const char* pw : {"", "admin", "password"}) EXPECT_FALSE(VerifyPassword(*h, pw));
  EXPECT_NE(*h, *DummyPasswordHash(HashCost::kMinimum)) << "a fresh random password each time";
}

}  // namespace
}  // namespace sremon::dashboards
