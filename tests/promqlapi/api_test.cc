// The Prometheus query API end to end in one process: a real http::Server on a free port, the
// real engine over MemStorage, real HTTP requests.
//  - Golden answers: tests/promqlapi/golden/<case>.txt holds "<HTTP status>\n<body>\n". Run with
//    SREMON_UPDATE_GOLDEN=1 to rewrite them (then review the diff).
//  - Garbage: exact Prometheus 2.42 error JSON and status for bad input (texts taken from
//    Debian's prometheus answering the same requests), and random bytes never crash the server.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "api/prom_api.h"
#include "http/http.h"
#include "promql/engine.h"
#include "storage/mem_storage.h"
#include "testutil/testutil.h"
#include "util/time.h"

namespace sremon::api {
namespace {

constexpr int64_t kSec = 1000;

class PromApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new storage::MemStorage();
    Load(*db_);
    engine_ = new promql::Engine();
    http::ServerOptions so;
    so.name = "promqlapi_test";
    so.listen_addr = "127.0.0.1:0";
    so.io_threads = 1;
    so.worker_threads = 2;
    server_ = new http::Server(so);
    PromApiOptions opts;
    opts.version = "0.0.0-test";
    opts.revision = "testrev";
    opts.flags = {{"retentionPeriod", "30d"}, {"search.maxPointsPerTimeseries", "11000"}};
    opts.metadata = [] {
      std::map<std::string, std::vector<storage::MetricMetadata>> m;
      m["http_requests_total"] = {{"counter", "Requests <by> code.", ""}, {"counter", "Requests <by> code.", ""}};
      m["up"] = {{"gauge", "Target is up.", ""}};
      m["node_memory_bytes"] = {{"gauge", "Memory.", "bytes"}};
      return m;
    };
    RegisterPrometheusApi(*server_, *db_, *engine_, opts);
    ASSERT_TRUE(server_->Start().ok());
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  static void TearDownTestSuite() {
    server_->Stop();
    delete server_;
    delete engine_;
    delete db_;
  }

  // 10 minutes of 15 s samples from t=0: two `up` series, a counter per code, label values that
  // need escaping, and a series that goes stale at 5 min.
  static void Load(storage::MemStorage& db) {
    auto app = db.NewAppender();
    for (int64_t t = 0; t <= 600 * kSec; t += 15 * kSec) {
      double i = static_cast<double>(t / (15 * kSec));
      ASSERT_TRUE(app->Append({{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}}, t, 1).ok());
      ASSERT_TRUE(app->Append({{"__name__", "up"}, {"job", "db"}, {"instance", "b:2"}}, t, i < 20 ? 1 : 0).ok());
      ASSERT_TRUE(app->Append({{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "200"}}, t, 10 * i).ok());
      ASSERT_TRUE(app->Append({{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "500"}}, t, i * 0.5).ok());
      ASSERT_TRUE(app->Append({{"__name__", "weird"}, {"v", "a<b>&\"c\"\n\\é"}}, t, 1e-7 * i).ok());
      if (t <= 300 * kSec) {
        ASSERT_TRUE(app->Append({{"__name__", "node_memory_bytes"}, {"job", "node"}}, t, 1e21 + i).ok());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  struct Answer {
    int status = 0;
    std::string body;
    std::string content_type;
  };
  static Answer Get(const std::string& path_and_query) {
    auto r = http::Get(base_ + path_and_query);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    return {r->status, r->body, std::string(r->headers.Get("Content-Type"))};
  }
  static Answer Send(const std::string& method, const std::string& path, const std::string& form) {
    http::ClientRequest req;
    req.method = method;
    req.url = base_ + path;
    req.body = form;
    req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    auto r = http::Fetch(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    return {r->status, r->body, std::string(r->headers.Get("Content-Type"))};
  }

  static storage::MemStorage* db_;
  static promql::Engine* engine_;
  static http::Server* server_;
  static std::string base_;
};

storage::MemStorage* PromApiTest::db_ = nullptr;
promql::Engine* PromApiTest::engine_ = nullptr;
http::Server* PromApiTest::server_ = nullptr;
std::string PromApiTest::base_;

std::string GoldenPath(const std::string& name) {
  return testutil::SourceDir() + "/tests/promqlapi/golden/" + name + ".txt";
}

void CheckGolden(const std::string& name, int status, const std::string& body) {
  std::string got = std::to_string(status) + "\n" + body + "\n";
  if (std::getenv("SREMON_UPDATE_GOLDEN")) {
    std::filesystem::create_directories(std::filesystem::path(GoldenPath(name)).parent_path());
    testutil::WriteFile(GoldenPath(name), got);
    return;
  }
  std::ifstream f(GoldenPath(name));
  ASSERT_TRUE(f.good()) << "missing golden file " << GoldenPath(name) << " (run with SREMON_UPDATE_GOLDEN=1)";
  std::stringstream want;
  want << f.rdbuf();
  EXPECT_EQ(got, want.str()) << "golden " << name << " differs (SREMON_UPDATE_GOLDEN=1 rewrites it)";
  // Every golden answer is valid JSON.
  EXPECT_NO_THROW((void)nlohmann::json::parse(body)) << name;
}

struct GoldenCase {
  const char* name;
  const char* method;  // GET, or POST with `form` as the body
  const char* path;
  const char* form;
};

const GoldenCase kGoldenCases[] = {
    // Grafana's health check, then its label browser and queries.
    {"query_grafana_health", "GET", "/api/v1/query?query=1%2B1&time=100", ""},
    {"query_vector", "GET", "/api/v1/query?query=up&time=300", ""},
    {"query_vector_rfc3339", "GET", "/api/v1/query?query=up&time=1970-01-01T00:05:00Z", ""},
    {"query_matrix", "GET", "/api/v1/query?query=up%7Bjob%3D%22api%22%7D%5B1m%5D&time=300", ""},
    {"query_string", "GET", "/api/v1/query?query=%22a%3Cb%22&time=1.5", ""},
    {"query_scalar_fraction", "GET", "/api/v1/query?query=time()&time=1.2345", ""},
    {"query_special_values", "GET", "/api/v1/query?query=weird&time=300", ""},
    {"query_big_values", "GET", "/api/v1/query?query=node_memory_bytes&time=300", ""},
    {"query_sum_by", "GET", "/api/v1/query?query=sum%20by%20(job)%20(up)&time=600", ""},
    {"query_empty", "GET", "/api/v1/query?query=nope&time=300", ""},
    {"query_post", "POST", "/api/v1/query", "query=rate(http_requests_total%5B1m%5D)&time=300"},
    {"query_extra_label", "GET", "/api/v1/query?query=up&time=300&extra_label=job%3Ddb&nocache=1", ""},
    {"query_extra_filters", "GET", "/api/v1/query?query=up&time=300&extra_filters%5B%5D=%7Binstance%3D%22a%3A1%22%7D", ""},
    {"query_prometheus_prefix", "GET", "/prometheus/api/v1/query?query=up&time=300", ""},
    {"query_range", "GET", "/api/v1/query_range?query=rate(http_requests_total%5B1m%5D)&start=60&end=300&step=60", ""},
    {"query_range_post", "POST", "/api/v1/query_range",
     "query=sum(up)&start=1970-01-01T00:04:00Z&end=1970-01-01T00:06:00Z&step=1m"},
    {"query_range_unaligned", "GET", "/api/v1/query_range?query=up%7Bjob%3D%22db%22%7D&start=1.5&end=100&step=30", ""},
    {"query_range_scalar", "GET", "/api/v1/query_range?query=time()&start=0&end=30&step=10", ""},
    {"query_range_stale", "GET", "/api/v1/query_range?query=node_memory_bytes&start=240&end=660&step=60", ""},
    {"series", "GET", "/api/v1/series?match%5B%5D=up", ""},
    {"series_two_sets", "GET",
     "/api/v1/series?match%5B%5D=up%7Bjob%3D%22db%22%7D&match%5B%5D=http_requests_total%7Bcode%3D%22500%22%7D&start=0&end=600", ""},
    {"series_post", "POST", "/api/v1/series", "match%5B%5D=%7B__name__%3D~%22up%7Cweird%22%7D"},
    {"series_none", "GET", "/api/v1/series?match%5B%5D=nope", ""},
    {"series_extra_label", "GET", "/api/v1/series?match%5B%5D=up&extra_label=job%3Dapi", ""},
    {"labels", "GET", "/api/v1/labels", ""},
    {"labels_start_end", "GET", "/api/v1/labels?start=0&end=600", ""},
    {"labels_match", "GET", "/api/v1/labels?match%5B%5D=http_requests_total", ""},
    {"label_name_values", "GET", "/api/v1/label/__name__/values?start=0&end=600", ""},
    {"label_job_values", "GET", "/api/v1/label/job/values", ""},
    {"label_values_match", "GET", "/api/v1/label/code/values?match%5B%5D=http_requests_total%7Bjob%3D%22api%22%7D", ""},
    {"label_values_missing", "GET", "/api/v1/label/nolabel/values", ""},
    {"label_values_prefix", "GET", "/prometheus/api/v1/label/job/values", ""},
    {"metadata", "GET", "/api/v1/metadata", ""},
    {"metadata_limit", "GET", "/api/v1/metadata?limit=1", ""},
    {"metadata_metric", "GET", "/api/v1/metadata?metric=up", ""},
    {"buildinfo", "GET", "/api/v1/status/buildinfo", ""},
    {"flags", "GET", "/api/v1/status/flags", ""},
    {"tsdb", "GET", "/api/v1/status/tsdb", ""},
    {"format_query", "GET", "/api/v1/format_query?query=sum(rate(x%5B5m%5D))by(a)", ""},
    {"query_exemplars", "GET", "/api/v1/query_exemplars?query=up&start=0&end=600", ""},
    {"query_exemplars_no_selector", "GET", "/api/v1/query_exemplars?query=1", ""},
};

TEST_F(PromApiTest, GoldenAnswers) {
  for (const auto& c : kGoldenCases) {
    SCOPED_TRACE(c.name);
    Answer a = std::string(c.method) == "GET" ? Get(c.path) : Send(c.method, c.path, c.form);
    EXPECT_EQ(a.content_type, "application/json") << c.name;
    CheckGolden(c.name, a.status, a.body);
  }
}

// Answers that depend on the clock or the process: check the shape, not the bytes.
TEST_F(PromApiTest, RuntimeInfoAndStats) {
  auto a = Get("/api/v1/status/runtimeinfo");
  ASSERT_EQ(a.status, 200);
  auto j = nlohmann::json::parse(a.body);
  EXPECT_EQ(j["status"], "success");
  for (const char* key : {"startTime", "CWD", "reloadConfigSuccess", "lastConfigTime", "corruptionCount",
                          "goroutineCount", "GOMAXPROCS", "GOGC", "GODEBUG", "storageRetention"}) {
    EXPECT_TRUE(j["data"].contains(key)) << key;
  }
  EXPECT_EQ(j["data"]["storageRetention"], "30d");

  a = Get("/api/v1/query_range?query=sum(up)&start=0&end=600&step=60&stats=all");
  ASSERT_EQ(a.status, 200) << a.body;
  j = nlohmann::json::parse(a.body);
  const auto& stats = j["data"]["stats"];
  for (const char* key : {"evalTotalTime", "resultSortTime", "queryPreparationTime", "innerEvalTime",
                          "execQueueTime", "execTotalTime"}) {
    EXPECT_TRUE(stats["timings"][key].is_number()) << key;
  }
  EXPECT_GT(stats["samples"]["totalQueryableSamples"].get<int64_t>(), 0);
  EXPECT_TRUE(stats["samples"]["peakSamples"].is_number());

  // Without `time`, an instant query runs at now.
  a = Get("/api/v1/query?query=time()");
  ASSERT_EQ(a.status, 200);
  j = nlohmann::json::parse(a.body);
  double t = j["data"]["result"][0].get<double>();
  EXPECT_NEAR(t, static_cast<double>(NowMs()) / 1000, 60);
}

struct ErrorCase {
  const char* path;
  int status;
  const char* body;  // exact JSON; nullptr: only check the status
};

// Texts as Debian's prometheus 2.42 answers them.
const ErrorCase kErrorCases[] = {
    {"/api/v1/query", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:1: parse error: no expression found in input"})j"},
    {"/api/v1/query?query=sum(", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"})j"},
    {"/api/v1/query?query=foo(", 400,  // syntax errors before unknown names, as Prometheus
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"})j"},
    {"/api/v1/query?query=a*%3Cb", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:3: parse error: unexpected \u003cop:\u003c\u003e"})j"},
    {"/api/v1/query?query=nosuchfn(up)", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:1: parse error: unknown function with name \"nosuchfn\""})j"},
    {"/api/v1/query?query=sum(up)by", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:10: parse error: unexpected end of input in grouping opts, expected \"(\""})j"},
    {"/api/v1/query?query=up%7Ba%3D~%22(%22%7D", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:4: parse error: error parsing regexp: missing closing ): `^(?:()$`"})j"},
    {"/api/v1/query?query=up&time=abc", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": Invalid time value for 'time': cannot parse \"abc\" to a valid timestamp"})j"},
    {"/api/v1/query?query=up&time=2015-07-01", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": Invalid time value for 'time': cannot parse \"2015-07-01\" to a valid timestamp"})j"},
    {"/api/v1/query?query=up&timeout=abc", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"timeout\": cannot parse \"abc\" to a valid duration"})j"},
    {"/api/v1/query?query=vector(1)&time=1&timeout=-1s", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"timeout\": cannot parse \"-1s\" to a valid duration"})j"},
    {"/api/v1/query?query=vector(1)&time=1&timeout=0", 503,
     R"j({"status":"error","errorType":"timeout","error":"query timed out in query queue"})j"},
    {"/api/v1/query_range?query=up&start=10&end=5&step=1", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"end\": end timestamp must not be before start time"})j"},
    {"/api/v1/query_range?query=up&start=0&end=100000&step=1", 400,
     R"j({"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"})j"},
    {"/api/v1/query_range?query=up&start=0&end=100&step=0.0001", 400,
     R"j({"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"})j"},
    {"/api/v1/query_range?query=up&start=0&end=100&step=0", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"})j"},
    {"/api/v1/query_range?query=up&start=0&end=100&step=-1", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"})j"},
    {"/api/v1/query_range?query=up&start=0&end=100&step=abc", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": cannot parse \"abc\" to a valid duration"})j"},
    {"/api/v1/query_range?query=up&start=0&end=100&step=1e30", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": cannot parse \"1e30\" to a valid duration. It overflows int64"})j"},
    {"/api/v1/query_range?query=up&start=0&end=100", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": cannot parse \"\" to a valid duration"})j"},
    {"/api/v1/query_range?query=up&end=100&step=1", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": cannot parse \"\" to a valid timestamp"})j"},
    {"/api/v1/query_range?query=up&start=0&end=x&step=1", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"end\": cannot parse \"x\" to a valid timestamp"})j"},
    {"/api/v1/query_range?query=up&start=0&end=100&step=1&timeout=x", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"timeout\": cannot parse \"x\" to a valid duration"})j"},
    {"/api/v1/query_range?query=sum(&start=0&end=100&step=1", 400,
     R"j({"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"})j"},
    {"/api/v1/query_range?query=up%5B5m%5D&start=0&end=100&step=1", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"})j"},
    {"/api/v1/query_range?query=%22a%22&start=0&end=100&step=10", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid expression type \"string\" for range query, must be Scalar or instant Vector"})j"},
    {"/api/v1/series", 400, R"j({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})j"},
    {"/api/v1/series?match%5B%5D=up%7B", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\": 1:4: parse error: unexpected end of input inside braces"})j"},
    // Exact texts of Prometheus 2.42 (the selector parses; the API refuses it).
    {"/api/v1/series?match%5B%5D=%7B%7D", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\": match[] must contain at least one non-empty matcher"})j"},
    {"/api/v1/series?match%5B%5D=up&start=x", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": Invalid time value for 'start': cannot parse \"x\" to a valid timestamp"})j"},
    {"/api/v1/labels?start=x", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": Invalid time value for 'start': cannot parse \"x\" to a valid timestamp"})j"},
    {"/api/v1/labels?match%5B%5D=up%7B", 400,
     R"j({"status":"error","errorType":"bad_data","error":"1:4: parse error: unexpected end of input inside braces"})j"},
    {"/api/v1/labels?match%5B%5D=%7Ba%3D%22%22%7D", 400,
     R"j({"status":"error","errorType":"bad_data","error":"match[] must contain at least one non-empty matcher"})j"},
    {"/api/v1/label/1abc/values", 400, R"j({"status":"error","errorType":"bad_data","error":"invalid label name: \"1abc\""})j"},
    {"/api/v1/label/a%20b/values", 400, R"j({"status":"error","errorType":"bad_data","error":"invalid label name: \"a b\""})j"},
    {"/api/v1/label/job/values?start=x", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": Invalid time value for 'start': cannot parse \"x\" to a valid timestamp"})j"},
    {"/api/v1/label/job/values?match%5B%5D=up%7B", 400,
     R"j({"status":"error","errorType":"bad_data","error":"1:4: parse error: unexpected end of input inside braces"})j"},
    {"/api/v1/label/job/valuesx", 404, nullptr},
    {"/api/v1/metadata?limit=x", 400, R"j({"status":"error","errorType":"bad_data","error":"limit must be a number"})j"},
    {"/api/v1/query_exemplars", 400, R"j({"status":"error","errorType":"bad_data","error":"1:1: parse error: no expression found in input"})j"},
    {"/api/v1/query_exemplars?query=up&start=x", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": Invalid time value for 'start': cannot parse \"x\" to a valid timestamp"})j"},
    {"/api/v1/format_query?query=sum(", 400,
     R"j({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"})j"},
    // Evaluation errors are "execution" (422).
    {"/api/v1/query?query=label_replace(vector(1),%22a%22,%22b%22,%22c%22,%22(%22)", 422,
     R"j({"status":"error","errorType":"execution","error":"invalid regular expression in label_replace(): ("})j"},
    // VictoriaMetrics's extra_label needs name=value.
    {"/api/v1/query?query=up&extra_label=job", 400,
     R"j({"status":"error","errorType":"bad_data","error":"missing '=' in extra_label=\"job\""})j"},
};

TEST_F(PromApiTest, GarbageGetsPrometheusErrors) {
  for (const auto& c : kErrorCases) {
    Answer a = Get(c.path);
    EXPECT_EQ(a.status, c.status) << c.path << "\n" << a.body;
    if (c.body) EXPECT_EQ(a.body, c.body) << c.path;
  }
}

// The timeout parameter: an expired one answers Prometheus's timeout error before evaluating;
// a generous one changes nothing. (A short one gives the engine a copy of its options with that
// deadline; how soon it notices is the engine's business.)
TEST_F(PromApiTest, TimeoutParameter) {
  auto a = Get("/api/v1/query?query=up&time=300&timeout=0s");
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.body, R"j({"status":"error","errorType":"timeout","error":"query timed out in query queue"})j");
  a = Get("/api/v1/query?query=1&time=1&timeout=1m");
  EXPECT_EQ(a.body, R"j({"status":"success","data":{"resultType":"scalar","result":[1,"1"]}})j");
  a = Get("/api/v1/query?query=1&time=1&timeout=0.5");
  EXPECT_EQ(a.status, 200);
}

// Queries slower than -search.logSlowQueryDuration are logged with their parameters.
TEST_F(PromApiTest, SlowQueryLog) {
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  http::ServerOptions so;
  so.listen_addr = "127.0.0.1:0";
  so.io_threads = 1;
  so.worker_threads = 1;
  http::Server server(so);
  PromApiOptions opts;
  opts.slow_query_log = std::chrono::milliseconds(1);
  RegisterPrometheusApi(server, *db_, *engine_, opts);
  ASSERT_TRUE(server.Start().ok());
  std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  // ~600k subquery steps: well above 1 ms.
  auto r = http::Get(url + "/api/v1/query?query=count_over_time(vector(1)%5B10m:1ms%5D)&time=600");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body.substr(0, 300);
  r = http::Get(url + "/api/v1/query?query=1&time=1");  // fast: not logged
  server.Stop();
  spdlog::set_default_logger(previous);
  std::string text = log.str();
  EXPECT_NE(text.find("slow query according to -search.logSlowQueryDuration=1ms"), std::string::npos) << text;
  EXPECT_NE(text.find("count_over_time(vector(1)[10m:1ms])"), std::string::npos) << text;
  EXPECT_EQ(text.find("query=\"1\""), std::string::npos) << text;
}

// GET and POST answer alike on every endpoint (storage_read_methods_test covers the whole
// list on the real process); anything else is 405, label values included.
TEST_F(PromApiTest, WrongMethod) {
  EXPECT_EQ(Send("DELETE", "/api/v1/query", "query=1").status, 405);
  EXPECT_EQ(Send("PUT", "/api/v1/labels", "").status, 405);
  EXPECT_EQ(Send("PUT", "/api/v1/status/buildinfo", "").status, 405);
  EXPECT_EQ(Send("DELETE", "/api/v1/label/job/values", "").status, 405);
  EXPECT_EQ(Send("POST", "/api/v1/status/buildinfo", "").status, 200);
}

// Invalid UTF-8 and huge inputs: a clear error (or an answer), valid JSON, never a crash.
TEST_F(PromApiTest, InvalidUtf8AndHugeInput) {
  auto a = Get("/api/v1/query?query=up%FF");
  EXPECT_EQ(a.status, 400);
  EXPECT_NO_THROW((void)nlohmann::json::parse(a.body)) << a.body;
  // Prometheus rejects it ("invalid UTF-8 rune"); whatever the parser does, the JSON stays valid.
  a = Get("/api/v1/query?query=up%7Ba%3D%22%FF%22%7D&time=300");
  EXPECT_TRUE(a.status == 400 || a.status == 200) << a.body;
  EXPECT_NO_THROW((void)nlohmann::json::parse(a.body)) << a.body;
  // RE2 refuses a regex whose program is too large; the answer is bad_data, not a hang.
  std::string huge = "query=up%7Bjob%3D~%22" + std::string(20000, 'a') + "(b%7C" + std::string(20000, 'c') +
                     ")%7B1000%7D%22%7D&time=300";
  a = Send("POST", "/api/v1/query", huge);
  EXPECT_TRUE(a.status == 400 || a.status == 200) << a.status << " " << a.body.substr(0, 300);
  EXPECT_NO_THROW((void)nlohmann::json::parse(a.body));
  a = Get("/api/v1/query?query=up%7Ba%3D~%22a%7B1000%7D%7B1000%7D%22%7D");
  EXPECT_EQ(a.status, 400) << a.body;
  // A deeply nested expression.
  a = Send("POST", "/api/v1/query", "query=" + std::string(3000, '(') + "1" + std::string(3000, ')'));
  EXPECT_TRUE(a.status == 200 || a.status == 400) << a.status;
  EXPECT_NO_THROW((void)nlohmann::json::parse(a.body));
}

TEST_F(PromApiTest, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  const char* paths[] = {"/api/v1/query", "/api/v1/query_range", "/api/v1/series", "/api/v1/labels",
                         "/api/v1/label/job/values", "/api/v1/format_query", "/api/v1/query_exemplars"};
  const char* params[] = {"query", "time", "start", "end", "step", "timeout", "match[]", "extra_label", "stats"};
  const std::string alphabet = "up{}[]()=~!\"',:5m.1e+-*/^ a_zINFNaN\\\xff\xc3\x00@offset by sum rate";
  for (int i = 0; i < 300; ++i) {
    std::string form;
    int n = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) {
      std::string v;
      int len = static_cast<int>(rng() % 24);
      for (int j = 0; j < len; ++j) v.push_back(alphabet[rng() % alphabet.size()]);
      if (k) form += "&";
      form += std::string(params[rng() % std::size(params)]) + "=" + http::UrlEncode(v);
    }
    std::string path = paths[rng() % std::size(paths)];
    // Label values are GET-only, as in Prometheus.
    Answer a = path.starts_with("/api/v1/label/") ? Get(path + "?" + form) : Send("POST", path, form);
    ASSERT_TRUE(a.status == 200 || a.status == 400 || a.status == 422 || a.status == 503)
        << path << "?" << form << " -> " << a.status << " " << a.body;
    ASSERT_NO_THROW((void)nlohmann::json::parse(a.body)) << path << "?" << form << " -> " << a.body;
  }
}

}  // namespace
}  // namespace sremon::api
