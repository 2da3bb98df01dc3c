#include "rules/backtest.h"

#include <gtest/gtest.h>

namespace sremon::rules {
namespace {

TEST(Backtest, PendingFiringAndFlaps) {
  RuleSpec s;
  s.alert = "Down";
  s.expr = "up == 0";
  s.for_ms = 20000;
  // Down from 0..50s, up at 60s, down again 70..120s (10 s steps).
  RangeQueryFn q = [](const std::string&, int64_t start, int64_t end, int64_t step) -> Result<promql::Matrix> {
    promql::SeriesPoints sp;
    sp.metric = model::Labels{{"job", "app"}};
    for (int64_t t = start; t <= end; t += step) {
      if ((t >= 0 && t <= 50000) || (t >= 70000 && t <= 120000)) sp.points.push_back({t, 0});
    }
    return promql::Matrix{sp};
  };
  auto r = Backtest(s, q, 0, 150000, 10000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->evaluations, 16);
  ASSERT_EQ(r->alerts.size(), 1u);
  const auto& a = r->alerts[0];
  EXPECT_EQ(a.firings, 2);
  EXPECT_EQ(a.flaps, 1);
  ASSERT_EQ(a.periods.size(), 4u);
  EXPECT_EQ(a.periods[0].state, AlertState::kPending);
  EXPECT_EQ(a.periods[0].start_ms, 0);
  EXPECT_EQ(a.periods[1].state, AlertState::kFiring);
  EXPECT_EQ(a.periods[1].start_ms, 20000);
  EXPECT_EQ(a.periods[1].end_ms, 60000);
  EXPECT_EQ(a.periods[2].start_ms, 70000);
  EXPECT_EQ(a.periods[3].start_ms, 90000);
  EXPECT_EQ(a.periods[3].end_ms, 130000);
  EXPECT_NE(FormatBacktestText(*r).find("flapped 1 time(s)"), std::string::npos);
  EXPECT_NE(FormatBacktestJson(*r).find("\"flaps\":1"), std::string::npos);
}

TEST(Backtest, RejectsBadInput) {
  RuleSpec rec;
  rec.record = "r";
  rec.expr = "up";
  RangeQueryFn q = [](const std::string&, int64_t, int64_t, int64_t) -> Result<promql::Matrix> { return promql::Matrix{}; };
  EXPECT_FALSE(Backtest(rec, q, 0, 10, 1).ok());
  RuleSpec a;
  a.alert = "A";
  a.expr = "up";
  EXPECT_FALSE(Backtest(a, q, 10, 0, 1).ok());
  EXPECT_FALSE(Backtest(a, q, 0, 10, 0).ok());
}

}  // namespace
}  // namespace sremon::rules
