#include "dashboards/proxy.h"

#include <gtest/gtest.h>

namespace sremon::dashboards {
namespace {

std::string Rebuilt(std::string_view target) {
  auto segs = DecodePathSegments(target);
  if (!segs.ok()) return "error: " + segs.status().message();
  return UpstreamUrl("http://h:1/base/", *segs, {});
}

TEST(ProxyPath, SegmentsAreDecodedOnceAndEncodedAgain) {
  EXPECT_EQ(Rebuilt("/api/v1/query?query=up"), "http://h:1/base/api/v1/query");
  EXPECT_EQ(Rebuilt("/api/v1/label/job/values"), "http://h:1/base/api/v1/label/job/values");
  EXPECT_EQ(Rebuilt("/api/v1/%71uery"), "http://h:1/base/api/v1/query");
  EXPECT_EQ(Rebuilt("/api/v1/a:b"), "http://h:1/base/api/v1/a%3Ab");
  EXPECT_EQ(Rebuilt("/api/v1/a%3fb=1"), "http://h:1/base/api/v1/a%3Fb%3D1") << "an encoded '?' stays in its segment";
}

TEST(ProxyPath, RefusesWhatCouldChangeTheRequestUpstream) {
  for (const char* bad : {
           "/api/v1/query%3fquery=1%20HTTP/1.1%0d%0aHost:x%0d%0a%0d%0aPOST%20/api/v1/admin/tsdb/delete_series",
           "/api/v1/query%0d%0a", "/api/v1/query%20x", "/api/v1/q%00", "/api/v1/q%7f", "/api/v1/q%09",
           "/api/../../admin", "/api/%2e%2e/admin", "/api/%2E%2e/admin", "/api/./v1", "/api/%2e/v1",
           "/api/%252e%252e/admin", "/api/%252fadmin", "/api/a%2fb", "/api/a%5cb", "/api//v1", "/api/v1/",
           "api/v1/query", "http://evil/api/v1/query", ""}) {
    auto segs = DecodePathSegments(bad);
    EXPECT_FALSE(segs.ok()) << bad;
  }
}

TEST(ProxyPath, QueryIsReencodedPairByPair) {
  EXPECT_EQ(UpstreamUrl("http://h", {"api", "v1", "query"}, {{"query", "up{a=\"b c\"}\r\n"}, {"time", "1"}}),
            "http://h/api/v1/query?query=up%7Ba%3D%22b%20c%22%7D%0D%0A&time=1");
}

TEST(ProxyAllowList, DatasourceReads) {
  auto read = [](std::vector<std::string> p) { return IsDatasourceRead(p); };
  for (const char* e : {"query", "query_range", "series", "labels", "metadata", "query_exemplars", "rules", "alerts"}) {
    EXPECT_TRUE(read({"api", "v1", e})) << e;
  }
  EXPECT_TRUE(read({"api", "v1", "label", "__name__", "values"}));
  EXPECT_TRUE(read({"api", "v1", "status", "buildinfo"}));
  EXPECT_FALSE(read({"api", "v1", "admin", "tsdb", "delete_series"}));
  EXPECT_FALSE(read({"api", "v1", "import", "prometheus"}));
  EXPECT_FALSE(read({"api", "v1", "write"}));
  EXPECT_FALSE(read({"api", "v1", "status", "tsdb"}));
  EXPECT_FALSE(read({"internal", "force_flush"}));
  EXPECT_FALSE(read({"-", "reload"}));
  EXPECT_FALSE(read({"api", "v1", "query", "x"}));
  EXPECT_FALSE(read({}));
}

TEST(ProxyAllowList, SremonReads) {
  EXPECT_TRUE(IsSremonRead("rules", {"api", "v1", "alerts"}));
  EXPECT_TRUE(IsSremonRead("alertmanager", {"api", "v2", "alerts"}));
  EXPECT_FALSE(IsSremonRead("alertmanager", {"api", "v2", "silences"}));
  EXPECT_FALSE(IsSremonRead("alertmanager", {"api", "v1", "alerts"}));
  EXPECT_FALSE(IsSremonRead("rules", {"-", "reload"}));
  EXPECT_FALSE(IsSremonRead("storage", {"api", "v1", "alerts"}));
}

}  // namespace
}  // namespace sremon::dashboards
