// The cross-site check and the Basic auth pieces, case by case.
#include <gtest/gtest.h>

#include "http/access.h"

namespace sremon::http {
namespace {

Request Req(std::vector<std::pair<std::string, std::string>> headers, bool to_loopback = true) {
  Request r;
  for (auto& [k, v] : headers) r.headers.Add(k, v);
  r.to_loopback = to_loopback;
  return r;
}

TEST(AccessTest, SameOrigin) {
  auto check = [](std::vector<std::pair<std::string, std::string>> headers, bool want_ok, bool to_loopback = true) {
    Status st = CheckSameOrigin(Req(headers, to_loopback));
    EXPECT_EQ(st.ok(), want_ok) << st.message() << " for " << testing::PrintToString(headers);
  };
  // Non-browser clients: no Origin, no Sec-Fetch-Site.
  check({}, true);
  check({{"Host", "evil.example"}}, true);
  // The own origin, with and without the default port, any case.
  check({{"Host", "127.0.0.1:8428"}, {"Origin", "http://127.0.0.1:8428"}}, true);
  check({{"Host", "LOCALHOST:9093"}, {"Origin", "http://localhost:9093"}}, true);
  check({{"Host", "localhost"}, {"Origin", "http://localhost:80"}}, true);
  check({{"Host", "[::1]:8428"}, {"Origin", "http://[::1]:8428"}}, true);
  check({{"Host", "mon.example:443"}, {"Origin", "https://mon.example"}}, true, false);
  // Foreign origins.
  check({{"Host", "127.0.0.1:8428"}, {"Origin", "http://evil.example"}}, false);
  check({{"Host", "127.0.0.1:8428"}, {"Origin", "null"}}, false);
  check({{"Host", "127.0.0.1:8428"}, {"Origin", ""}}, false);
  check({{"Host", "127.0.0.1:8428"}, {"Origin", "http://127.0.0.1:3000"}}, false);
  check({{"Host", "127.0.0.1:8428"}, {"Origin", "https://127.0.0.1"}}, false);  // 443 ≠ 8428
  check({{"Host", "127.0.0.1:8428"}, {"Origin", "http://127.0.0.1:8428/x"}}, false);
  check({{"Host", "127.0.0.1:8428"}, {"Origin", "file://"}}, false);
  check({{"Origin", "http://127.0.0.1:8428"}}, false);  // no Host
  // GETs from another site carry no Origin, but Sec-Fetch-Site.
  check({{"Host", "127.0.0.1:8428"}, {"Sec-Fetch-Site", "cross-site"}}, false);
  check({{"Host", "127.0.0.1:8428"}, {"Sec-Fetch-Site", "same-site"}}, false);
  check({{"Host", "127.0.0.1:8428"}, {"Sec-Fetch-Site", "same-origin"}}, true);
  check({{"Host", "127.0.0.1:8428"}, {"Sec-Fetch-Site", "none"}}, true);
  // DNS rebinding: the page's own origin, but a non-loopback name on a loopback connection.
  check({{"Host", "evil.example:8428"}, {"Origin", "http://evil.example:8428"}}, false, true);
  check({{"Host", "evil.example:8428"}, {"Sec-Fetch-Site", "same-origin"}}, false, true);
  check({{"Host", "mon.example:8428"}, {"Origin", "http://mon.example:8428"}}, true, false);
  // Behind a proxy that passes the browser's host on.
  check({{"Host", "127.0.0.1:8428"}, {"X-Forwarded-Host", "mon.example"}, {"Origin", "https://mon.example"}}, true);
  check({{"Host", "127.0.0.1:8428"}, {"X-Forwarded-Host", "mon.example, x"}, {"Origin", "https://mon.example"}}, true);
  check({{"Host", "127.0.0.1:8428"}, {"X-Forwarded-Host", "mon.example"}, {"Origin", "https://evil.example"}}, false);
}

TEST(AccessTest, LoopbackNames) {
  for (const char* h : {"localhost", "LocalHost", "a.localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"}) {
    EXPECT_TRUE(IsLoopbackHost(h)) << h;
  }
  for (const char* h : {"", "evil.example", "localhost.evil.example", "128.0.0.1", "127.0.0.256", "127.0.0", "0.0.0.0",
                        "::", "10.0.0.1", "127.0.0.1.evil"}) {
    EXPECT_FALSE(IsLoopbackHost(h)) << h;
  }
  EXPECT_TRUE(IsLoopbackListenAddr("127.0.0.1:8428"));
  EXPECT_TRUE(IsLoopbackListenAddr("localhost:8428"));
  EXPECT_TRUE(IsLoopbackListenAddr("[::1]:8428"));
  EXPECT_FALSE(IsLoopbackListenAddr(":8428"));
  EXPECT_FALSE(IsLoopbackListenAddr("0.0.0.0:8428"));
  EXPECT_FALSE(IsLoopbackListenAddr("192.168.1.5:8428"));
}

TEST(AccessTest, BasicAuth) {
  std::string u, p;
  ASSERT_TRUE(ParseBasicAuth("Basic " + Base64Encode("user:pa:ss"), &u, &p));
  EXPECT_EQ(u, "user");
  EXPECT_EQ(p, "pa:ss");
  ASSERT_TRUE(ParseBasicAuth("basic " + Base64Encode("a:"), &u, &p));
  EXPECT_EQ(u, "a");
  EXPECT_EQ(p, "");
  EXPECT_FALSE(ParseBasicAuth("", &u, &p));
  EXPECT_FALSE(ParseBasicAuth("Bearer x", &u, &p));
  EXPECT_FALSE(ParseBasicAuth("Basic " + Base64Encode("nocolon"), &u, &p));
  EXPECT_FALSE(ParseBasicAuth("Basic !!!!", &u, &p));
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\xff\x00x"}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, s);
  }
  EXPECT_TRUE(SecretEquals("k3y", "k3y"));
  EXPECT_FALSE(SecretEquals("k3y", "k3"));
  EXPECT_FALSE(SecretEquals("k3", "k3y"));
  EXPECT_FALSE(SecretEquals("", "x"));
  EXPECT_TRUE(SecretEquals("", ""));
}

}  // namespace
}  // namespace sremon::http
