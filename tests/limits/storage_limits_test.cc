// Every query limit refuses early and in VictoriaMetrics' words (issue 14): status, error text and
// the time to refuse, against a real `sremon storage`.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "common.h"
#include "util/time.h"

namespace sremon::storage_e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class StorageLimits : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testutil::TempDir();
    proc_ = new Proc(StartStorage(
        dir_->path(),
        {"-search.maxUniqueTimeseries=1000", "-search.maxSeries=500", "-search.maxLabelsAPISeries=2000",
         "-search.maxTagValues=100", "-search.maxTagKeys=2", "-search.maxSamplesPerQuery=20000",
         "-search.maxResponseSeries=100", "-search.maxMemoryPerQuery=4000000"}));
    if (!proc_->child) return;
    // 5,000 series in 10 groups of 500, one sample a minute over the last hour.
    now_ = NowMs();
    std::string body;
    for (int i = 0; i < 5000; ++i) {
      for (int m = 0; m < 60; ++m) {
        body += "lim{id=\"" + std::to_string(i) + "\",grp=\"" + std::to_string(i % 10) + "\"} " +
                std::to_string(m) + " " + std::to_string(now_ - (60 - m) * 60'000LL) + "\n";
      }
    }
    PostStatus(proc_->base + "/api/v1/import/prometheus", body);
  }
  static void TearDownTestSuite() {
    delete proc_;
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(proc_->child) << "storage did not start"; }

  struct Answer {
    int status = 0;
    std::string error;  // the JSON error, or the body
    std::string body;
    double ms = 0;
  };
  static Answer Ask(const std::string& path_and_query) {
    Answer a;
    auto t0 = Clock::now();
    auto r = http::Get(proc_->base + path_and_query, 30s);
    a.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!r.ok()) return a;
    a.status = r->status;
    a.body = r->body;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    a.error = !j.is_discarded() && j.contains("error") ? j["error"].get<std::string>() : r->body;
    std::printf("%s -> %d in %.1f ms: %.200s\n", path_and_query.c_str(), a.status, a.ms, a.error.c_str());
    return a;
  }
  static std::string Q(const std::string& q) { return "/api/v1/query?query=" + http::UrlEncode(q); }

  static inline testutil::TempDir* dir_ = nullptr;
  static inline Proc* proc_ = nullptr;
  static inline int64_t now_ = 0;
};

constexpr const char* kTooManySeries =
    "the number of matching timeseries exceeds {}; either narrow down the search or increase -search.max* "
    "command-line flag values at vmselect; see https://docs.victoriametrics.com/#resource-usage-limits";

std::string TooMany(int n) {
  std::string s = kTooManySeries;
  return s.replace(s.find("{}"), 2, std::to_string(n));
}

TEST_F(StorageLimits, UniqueTimeseriesRefusedFromTheIndex) {
  Answer ok = Ask(Q("count(lim{grp=\"1\"})"));  // 500 series: under the limit
  EXPECT_EQ(ok.status, 200);
  Answer a = Ask(Q("count(lim)"));
  EXPECT_EQ(a.status, 422);
  EXPECT_EQ(a.error, TooMany(1000));
  EXPECT_LT(a.ms, 1000);  // measured at 1M series in docs/benchmarks.md
}

TEST_F(StorageLimits, SeriesApi) {
  Answer a = Ask("/api/v1/series?match[]=lim");
  EXPECT_EQ(a.status, 422);
  EXPECT_EQ(a.error, TooMany(500));
  EXPECT_EQ(Ask("/api/v1/series?match[]=lim{grp=\"2\"}&match[]=lim{grp=\"3\"}").status, 422);  // 1,000 in all
  EXPECT_EQ(Ask("/api/v1/series?match[]=lim{grp=\"2\"}").status, 200);
}

TEST_F(StorageLimits, LabelApis) {
  Answer a = Ask("/api/v1/label/id/values?match[]=lim");
  EXPECT_EQ(a.status, 422);
  EXPECT_EQ(a.error, TooMany(2000));
  EXPECT_EQ(Ask("/api/v1/labels?match[]=lim").status, 422);
  // Without match[], the lists are cut to -search.maxTagValues / -search.maxTagKeys, as VictoriaMetrics does.
  Answer values = Ask("/api/v1/label/id/values");
  ASSERT_EQ(values.status, 200);
  EXPECT_EQ(nlohmann::json::parse(values.body)["data"].size(), 100u);
  Answer names = Ask("/api/v1/labels");
  ASSERT_EQ(names.status, 200);
  EXPECT_EQ(nlohmann::json::parse(names.body)["data"].size(), 2u);
}

TEST_F(StorageLimits, SamplesPerQueryCountedAsRead) {
  // 500 series x 60 samples = 30,000 samples read > 20,000.
  Answer a = Ask(Q("sum(count_over_time(lim{grp=\"4\"}[2h]))"));
  EXPECT_EQ(a.status, 422);
  EXPECT_EQ(
      a.error,
      "cannot select more than -search.maxSamplesPerQuery=20000 samples; possible solutions: to increase the "
      "-search.maxSamplesPerQuery; to reduce time range for the query; to use more specific label filters in "
      "order to select lower number of series");
  EXPECT_EQ(Ask(Q("sum(count_over_time(lim{grp=\"4\",id=~\"1.*\"}[2h]))")).status, 200);
}

TEST_F(StorageLimits, ResponseSeries) {
  Answer a = Ask(Q("lim{grp=\"5\"}"));
  EXPECT_EQ(a.status, 422);
  EXPECT_EQ(a.error,
            "the response contains more than -search.maxResponseSeries=100 time series: 500 series; either "
            "increase "
            "-search.maxResponseSeries or change the query in order to return smaller number of series");
}

TEST_F(StorageLimits, MemoryPerQueryBoundsRangeResults) {
  // 50 series x 3,601 steps: 180,050 points, about 10 MB as points and JSON, over 4 MB.
  int64_t end = now_ / 1000, start = end - 3600;
  std::string range = "&start=" + std::to_string(start) + "&end=" + std::to_string(end) + "&step=1";
  Answer a =
      Ask("/api/v1/query_range?query=" + http::UrlEncode("lim{grp=\"6\",id=~\"[0-4]?[0-9]?6\"}") + range);
  EXPECT_EQ(a.status, 422);
  EXPECT_NE(a.error.find("not enough memory for processing"), std::string::npos) << a.error;
  EXPECT_NE(a.error.find("according to -search.maxMemoryPerQuery=4000000; requested memory: "),
            std::string::npos);
  // The same at a 60 s step is small.
  range = "&start=" + std::to_string(start) + "&end=" + std::to_string(end) + "&step=60";
  EXPECT_EQ(
      Ask("/api/v1/query_range?query=" + http::UrlEncode("lim{grp=\"6\",id=~\"[0-4]?[0-9]?6\"}") + range)
          .status,
      200);
}

}  // namespace
}  // namespace sremon::storage_e2e
