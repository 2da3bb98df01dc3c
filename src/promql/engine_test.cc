#include "promql/engine.h"

#include <thread>

#include <gtest/gtest.h>

#include "storage/mem_storage.h"

namespace sremon::promql {
namespace {

using model::Labels;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto app = db_.NewAppender();
    for (int i = 0; i <= 60; ++i) {
      int64_t t = i * 10'000;
      app->Append(Labels{{"__name__", "req"}, {"job", "a"}, {"code", "200"}}, t, i);
      app->Append(Labels{{"__name__", "req"}, {"job", "a"}, {"code", "500"}}, t, 2 * i);
      app->Append(Labels{{"__name__", "req"}, {"job", "b"}, {"code", "200"}}, t, 3 * i);
      app->Append(Labels{{"__name__", "other"}, {"job", "a"}, {"code", "200"}}, t, 1);
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  storage::MemStorage db_;
  Engine engine_;
};

TEST_F(EngineTest, InstantResultTypes) {
  auto r = engine_.InstantQuery(db_, "sum(req)", 600'000);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto& v = std::get<Vector>(r->value);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].v, 60 + 120 + 180);
  EXPECT_EQ(v[0].t, 600'000);
  EXPECT_GT(r->stats.total_samples, 0);

  r = engine_.InstantQuery(db_, "1 + 2", 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<Scalar>(r->value).v, 3);
  EXPECT_STREQ(ResultTypeName(r->value), "scalar");

  r = engine_.InstantQuery(db_, "\"hello\"", 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<String>(r->value).v, "hello");

  r = engine_.InstantQuery(db_, "req{job=\"b\"}[30s]", 600'000);
  ASSERT_TRUE(r.ok());
  const auto& m = std::get<Matrix>(r->value);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].points.size(), 4u);  // 570s..600s, both ends included
  EXPECT_EQ(m[0].metric.MetricName(), "req");
}

TEST_F(EngineTest, RangeQueryIsSortedAndStepAligned) {
  auto r = engine_.RangeQuery(db_, "rate(req[1m])", 100'000, 400'000, 100'000);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto& m = std::get<Matrix>(r->value);
  ASSERT_EQ(m.size(), 3u);
  for (size_t i = 1; i < m.size(); ++i) EXPECT_TRUE(m[i - 1].metric < m[i].metric);
  for (const auto& s : m) {
    EXPECT_FALSE(s.metric.Has("__name__"));
    ASSERT_EQ(s.points.size(), 4u);
    EXPECT_EQ(s.points[0].t, 100'000);
    EXPECT_EQ(s.points[3].t, 400'000);
  }
  r = engine_.RangeQuery(db_, "time()", 0, 20'000, 10'000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<Matrix>(r->value)[0].points.size(), 3u);
}

TEST_F(EngineTest, ErrorsReadLikePrometheus) {
  auto r = engine_.InstantQuery(db_, "req + on(job) req", 600'000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kExecution);
  EXPECT_EQ(r.status().message(),
            "found duplicate series for the match group {job=\"a\"} on the right hand-side of the operation: "
            "[{__name__=\"req\", code=\"500\", job=\"a\"}, {__name__=\"req\", code=\"200\", job=\"a\"}];many-to-many "
            "matching not allowed: matching labels must be unique on one side");

  r = engine_.InstantQuery(db_, "{job=\"a\", code=\"200\"} * 2", 600'000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "vector cannot contain metrics with the same labelset");

  r = engine_.InstantQuery(db_, "req{code=\"200\"} + on(job) group_left req{code=\"200\"} * 0 + on(code) req", 600'000);
  ASSERT_FALSE(r.ok());

  r = engine_.InstantQuery(db_, "rate(req)", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector");

  r = engine_.RangeQuery(db_, "req[1m]", 0, 10, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector");

  r = engine_.RangeQuery(db_, "req", 0, 10, 0);
  EXPECT_FALSE(r.ok());
}

TEST_F(EngineTest, Limits) {
  EngineOptions opts;
  opts.max_samples = 10;
  Engine small(opts);
  auto r = small.InstantQuery(db_, "sum_over_time(req[10m])", 600'000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kExecution);
  EXPECT_EQ(r.status().message(), "query processing would load too many samples into memory in query execution");

  opts = EngineOptions();
  opts.timeout = std::chrono::milliseconds(0);
  Engine hurried(opts);
  r = hurried.RangeQuery(db_, "rate(req[1m])", 0, 600'000, 1'000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kTimeout);

  opts = EngineOptions();
  opts.max_series = 2;
  Engine few(opts);
  EXPECT_FALSE(few.InstantQuery(db_, "req", 600'000).ok());
  EXPECT_TRUE(few.InstantQuery(db_, "req{job=\"a\"}", 600'000).ok());
}

TEST_F(EngineTest, ParsedOnceEvaluatedConcurrently) {
  auto e = ParseExpr("sum by (job) (rate(req[1m]))");
  ASSERT_TRUE(e.ok());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 20; ++k) {
        auto r = engine_.InstantQueryExpr(db_, **e, 300'000 + k * 1000);
        if (r.ok() && std::get<Vector>(r->value).size() == 2) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
}

}  // namespace
}  // namespace sremon::promql
