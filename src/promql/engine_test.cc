#include "promql/engine.h"

#include <algorithm>
#include <bit>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "promql/ast.h"
#include "promql/eval.h"
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
      EXPECT_TRUE(app->Append(Labels{{"__name__", "req"}, {"job", "a"}, {"code", "200"}}, t, i).ok());
      EXPECT_TRUE(app->Append(Labels{{"__name__", "req"}, {"job", "a"}, {"code", "500"}}, t, 2 * i).ok());
      EXPECT_TRUE(app->Append(Labels{{"__name__", "req"}, {"job", "b"}, {"code", "200"}}, t, 3 * i).ok());
      EXPECT_TRUE(app->Append(Labels{{"__name__", "other"}, {"job", "a"}, {"code", "200"}}, t, 1).ok());
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

// A range query evaluates each range function over sliding windows with state carried from step
// to step (rate's counter resets are scanned once per series); an instant query sees each window
// fresh. Both must give bit-identical values at every step, on counters with resets, negative and
// NaN values, staleness markers and jittered timestamps.
TEST(EngineRangeVsInstantTest, RangeFunctionsMatchPerStepInstantQueries) {
  storage::MemStorage db;
  std::mt19937_64 rng(17);
  auto app = db.NewAppender();
  for (int s = 0; s < 4; ++s) {
    double v = 0;
    int64_t t = 0;
    for (int i = 0; i < 400; ++i) {
      t += 10'000 + static_cast<int64_t>(rng() % 7'000) - 3'000;
      switch (rng() % 16) {
        case 0: v = static_cast<double>(rng() % 50); break;  // reset
        case 1: v = -static_cast<double>(rng() % 10); break;
        case 2: EXPECT_TRUE(app->Append(Labels{{"__name__", "c"}, {"s", std::to_string(s)}}, t, model::StaleNaN()).ok()); continue;
        case 3: EXPECT_TRUE(app->Append(Labels{{"__name__", "c"}, {"s", std::to_string(s)}}, t, std::nan("")).ok()); continue;
        default: v += static_cast<double>(rng() % 1000) / 10;
      }
      EXPECT_TRUE(app->Append(Labels{{"__name__", "c"}, {"s", std::to_string(s)}}, t, v).ok());
    }
  }
  ASSERT_TRUE(app->Commit().ok());
  Engine engine;
  for (const char* q : {"rate(c[1m])", "increase(c[2m])", "delta(c[45s])", "irate(c[1m])", "rate(c[30s] offset 1m)",
                        "resets(c[3m])", "sum(rate(c[90s]))", "max_over_time(c[2m])", "min_over_time(c[50s])",
                        "max_over_time(c[1m] @ 1800)", "min_over_time((-c)[2m:10s])", "max_over_time((c * 0)[1m:5s])"}) {
    for (int64_t step : {7'000, 60'000}) {
      auto r = engine.RangeQuery(db, q, 30'000, 3'900'000, step);
      ASSERT_TRUE(r.ok()) << q << ": " << r.status().message();
      size_t points = 0;
      for (const auto& series : std::get<Matrix>(r->value)) {
        for (const auto& p : series.points) {
          auto inst = engine.InstantQuery(db, q, p.t);
          ASSERT_TRUE(inst.ok());
          bool found = false;
          for (const auto& e : std::get<Vector>(inst->value)) {
            if (e.metric != series.metric) continue;
            found = true;
            EXPECT_EQ(std::bit_cast<uint64_t>(e.v), std::bit_cast<uint64_t>(p.v)) << q << " at " << p.t;
          }
          EXPECT_TRUE(found) << q << " at " << p.t;
          ++points;
        }
      }
      EXPECT_GT(points, 50u) << q;
    }
  }
  // max/min_over_time slide a queue of candidates; Prometheus scans each window: m = first value,
  // replaced by any value that beats it or by anything while m is NaN. Both, bit for bit.
  for (bool is_max : {true, false}) {
    std::string q = std::string(is_max ? "max" : "min") + "_over_time(c[50s])";
    auto r = engine.RangeQuery(db, q, 30'000, 3'900'000, 7'000);
    ASSERT_TRUE(r.ok());
    size_t points = 0;
    for (const auto& series : std::get<Matrix>(r->value)) {
      for (const auto& p : series.points) {
        auto raw = engine.InstantQuery(db, "c{s=\"" + std::string(series.metric.Get("s")) + "\"}[50s]", p.t);
        ASSERT_TRUE(raw.ok());
        const auto& w = std::get<Matrix>(raw->value).at(0).points;
        double m = w[0].v;
        for (const auto& x : w) {
          if ((is_max ? x.v > m : x.v < m) || std::isnan(m)) m = x.v;
        }
        EXPECT_EQ(std::bit_cast<uint64_t>(m), std::bit_cast<uint64_t>(p.v)) << q << " at " << p.t;
        ++points;
      }
    }
    EXPECT_GT(points, 500u);
  }
}

// As Prometheus's TestFunctionList: every function the parser accepts (ast.cc's signatures) has
// an implementation in functions.cc's table, and the table has nothing the parser cannot call.
TEST(FunctionTableTest, EverySignatureHasOneImplementation) {
  std::vector<std::string_view> signatures, calls = internal::FunctionCallNames();
  for (const auto& [name, def] : Functions()) signatures.push_back(name);
  std::sort(signatures.begin(), signatures.end());
  std::sort(calls.begin(), calls.end());
  EXPECT_EQ(signatures, calls);
  EXPECT_GT(calls.size(), 60u);
}

// A selector of many long series is decoded in batches, on several threads: the answer must be
// the one of each series read alone (one series is always decoded on the query's thread), and
// the limits must still stop the query.
TEST(EngineLargeSelectorTest, ParallelDecodeMatchesSeriesReadAlone) {
  storage::MemStorage db;
  std::mt19937_64 rng(23);
  const int kSeries = 1100;  // more than one decode batch (1024)
  for (int s = 0; s < kSeries; ++s) {
    auto app = db.NewAppender();
    double v = 0;
    for (int i = 0; i < 600; ++i) {  // 660 k samples: the first batch is decoded on several threads
      v += static_cast<double>(rng() % 100);
      double x = rng() % 50 == 0 ? model::StaleNaN() : v;
      EXPECT_TRUE(app->Append(Labels{{"__name__", "big"}, {"s", std::to_string(s)}}, i * 15'000 + s, x).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  Engine engine;
  // Each function runs on several threads with its own copy of its state (rate's resets,
  // quantile_over_time's buffer).
  for (std::string f : {"rate(big[1m])", "quantile_over_time(0.3, big[2m])", "max_over_time(big[5m])"}) {
    auto all = engine.RangeQuery(db, f, 0, 9'000'000, 60'000);
    ASSERT_TRUE(all.ok()) << all.status().message();
    const auto& m = std::get<Matrix>(all->value);
    ASSERT_EQ(m.size(), static_cast<size_t>(kSeries)) << f;
    EXPECT_GT(all->stats.total_samples, kSeries * 550);
    for (int s = 0; s < kSeries; s += 37) {
      std::string one_q = f;
      one_q.replace(one_q.find("big"), 3, "big{s=\"" + std::to_string(s) + "\"}");
      auto one = engine.RangeQuery(db, one_q, 0, 9'000'000, 60'000);
      ASSERT_TRUE(one.ok());
      const auto& want = std::get<Matrix>(one->value);
      ASSERT_EQ(want.size(), 1u);
      auto it = std::find_if(m.begin(), m.end(), [&](const SeriesPoints& sp) { return sp.metric == want[0].metric; });
      ASSERT_NE(it, m.end());
      ASSERT_EQ(it->points.size(), want[0].points.size());
      for (size_t i = 0; i < want[0].points.size(); ++i) {
        EXPECT_EQ(it->points[i].t, want[0].points[i].t);
        EXPECT_EQ(std::bit_cast<uint64_t>(it->points[i].v), std::bit_cast<uint64_t>(want[0].points[i].v)) << f;
      }
    }
  }
  // An evaluation error raised on a helper thread reaches the caller.
  auto bad = engine.RangeQuery(db, "holt_winters(big[5m], 2, 0.5)", 0, 9'000'000, 60'000);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("invalid smoothing factor"), std::string::npos) << bad.status().message();
  EngineOptions opts;
  opts.max_series = 1050;
  auto r = Engine(opts).RangeQuery(db, "rate(big[1m])", 0, 9'000'000, 60'000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("the number of matching timeseries exceeds 1050;"), std::string::npos) << r.status().message();
  opts = EngineOptions();
  opts.max_samples = 100'000;
  r = Engine(opts).RangeQuery(db, "rate(big[1m])", 0, 9'000'000, 60'000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("too many samples"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace sremon::promql
