// Every read endpoint of `sremon storage` (and of `sremon rules`) answers GET and POST with a
// form body alike, as VictoriaMetrics does; any other method answers 405 with `Allow`, never
// 404. Caught by Node Exporter Full: the dashboards app asked for variable values with
// `POST /api/v1/label/NAME/values`, storage answered 404 and all 125 panels showed "No data".
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common.h"
#include "util/time.h"

namespace sremon::storage_e2e {
namespace {

struct Answer {
  int status = 0;
  std::string body;
  std::string allow;
};

Answer Call(const std::string& method, const std::string& base, const std::string& path,
            const std::string& params) {
  http::ClientRequest req;
  req.method = method;
  req.url = base + path;
  if (method == "GET" || method == "HEAD") {
    if (!params.empty()) req.url += "?" + params;
  } else {
    req.body = params;
    req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  }
  auto r = http::Fetch(req);
  if (!r.ok()) return {0, r.status().ToString(), ""};
  return {r->status, r->body, std::string(r->headers.Get("Allow"))};
}

struct Endpoint {
  std::string path;
  std::string params;     // sent as the query string (GET) or the form body (POST)
  bool same_body = true;  // false where the answer changes between calls (thread counts)
};

// GET and POST give the same 200 answer; PUT and DELETE give 405 with Allow: GET, HEAD, POST.
void CheckEndpoints(const std::string& base, const std::vector<Endpoint>& endpoints) {
  for (const auto& e : endpoints) {
    SCOPED_TRACE(e.path + "?" + e.params);
    Answer get = Call("GET", base, e.path, e.params);
    Answer post = Call("POST", base, e.path, e.params);
    EXPECT_EQ(get.status, 200) << get.body.substr(0, 300);
    EXPECT_EQ(post.status, 200) << post.body.substr(0, 300);
    if (e.same_body) EXPECT_EQ(get.body, post.body);
    for (const char* method : {"PUT", "DELETE"}) {
      Answer wrong = Call(method, base, e.path, e.params);
      EXPECT_EQ(wrong.status, 405) << method << ": " << wrong.body.substr(0, 200);
      EXPECT_EQ(wrong.allow, "GET, HEAD, POST") << method;
    }
  }
}

TEST(StorageReadMethods, EveryReadEndpointAnswersGetAndPost) {
  testutil::TempDir dir;
  Proc s = StartStorage(dir.path());
  ASSERT_TRUE(s.child) << testutil::ReadFile(dir.File("storage.log"));
  int64_t now_s = NowMs() / 1000;
  std::string body;
  for (int64_t t = now_s - 300; t <= now_s; t += 15) {
    body += "node_load1{job=\"node\",instance=\"a:9100\"} " + std::to_string(t % 7) + " " +
            std::to_string(t * 1000) + "\n";
  }
  ASSERT_EQ(PostStatus(s.base + "/api/v1/import/prometheus", body), 204);
  ASSERT_EQ(http::Get(s.base + "/internal/force_flush")->status, 200);
  std::string t = std::to_string(now_s);
  std::string range = "start=" + std::to_string(now_s - 300) + "&end=" + t;
  std::string match = "match%5B%5D=node_load1%7Bjob%3D%22node%22%7D";
  std::vector<Endpoint> endpoints = {
      {"/api/v1/query", "query=rate(node_load1%5B1m%5D)&time=" + t},
      {"/api/v1/query_range", "query=node_load1&step=15&" + range},
      {"/api/v1/series", match + "&" + range},
      {"/api/v1/labels", match + "&" + range},
      {"/api/v1/label/instance/values", match + "&" + range},
      {"/api/v1/label/__name__/values", ""},
      {"/api/v1/metadata", "metric=node_load1"},
      {"/api/v1/query_exemplars", "query=node_load1&" + range},
      {"/api/v1/format_query", "query=sum(node_load1)"},
      {"/api/v1/status/buildinfo", ""},
      {"/api/v1/status/runtimeinfo", "", /*same_body=*/false},
      {"/api/v1/status/flags", ""},
      {"/api/v1/status/tsdb", ""},
      {"/api/v1/targets", ""},
      {"/api/v1/export", match + "&" + range},
      {"/api/v1/export/native", match + "&" + range},
      // VictoriaMetrics's /prometheus prefix, which Grafana data sources often point at.
      {"/prometheus/api/v1/query", "query=node_load1&time=" + t},
      {"/prometheus/api/v1/label/job/values", ""},
  };
  CheckEndpoints(s.base, endpoints);
  // The answers carry the data (so GET == POST is not two empty answers).
  EXPECT_NE(Call("POST", s.base, "/api/v1/label/instance/values", match).body.find("a:9100"),
            std::string::npos);
  EXPECT_NE(Call("POST", s.base, "/api/v1/query_range", "query=node_load1&step=15&" + range)
                .body.find("\"values\""),
            std::string::npos);
  // A path that does not exist stays 404, whatever the method.
  EXPECT_EQ(Call("POST", s.base, "/api/v1/nope", "").status, 404);
  EXPECT_EQ(Call("GET", s.base, "/api/v1/label/job/valuesx", "").status, 404);
}

TEST(StorageReadMethods, RulesServiceReadEndpointsAnswerGetAndPost) {
  testutil::TempDir dir;
  Proc s = StartStorage(dir.path());
  ASSERT_TRUE(s.child) << testutil::ReadFile(dir.File("storage.log"));
  testutil::WriteFile(dir.File("rules.yml"),
                      "groups:\n  - name: g\n    interval: 1s\n    rules:\n"
                      "      - alert: Always\n        expr: vector(1)\n"
                      "      - record: job:one\n        expr: vector(1)\n");
  int port = testutil::FreePort();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  testutil::Child rules({testutil::SremonBin(), "rules", "-httpListenAddr=127.0.0.1:" + std::to_string(port),
                         "-rule=" + dir.File("rules.yml"), "-datasource.url=" + s.base},
                        dir.File("rules.log"));
  ASSERT_TRUE(testutil::WaitHttpOk(base + "/health")) << testutil::ReadFile(dir.File("rules.log"));
  CheckEndpoints(base, {
                           {"/api/v1/rules", "type=alert", /*same_body=*/false},  // evaluation times move
                           {"/api/v1/alerts", "", false},
                           {"/vmalert/api/v1/rules", "rule_group%5B%5D=g", false},
                           {"/vmalert/api/v1/alerts", "", false},
                       });
  // POST form parameters filter as GET ones do.
  std::string alerts_only = Call("POST", base, "/api/v1/rules", "type=alert").body;
  EXPECT_NE(alerts_only.find("\"Always\""), std::string::npos) << alerts_only;
  EXPECT_EQ(alerts_only.find("job:one"), std::string::npos) << alerts_only;
}

}  // namespace
}  // namespace sremon::storage_e2e
