#include "obs/prom.h"

#include <cmath>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace sremon::obs::prom {
namespace {

TEST(Prom, TextFormatAsPrometheusCpp) {
  Registry reg;
  auto& reqs = BuildCounter().Name("app_requests_total").Help("Total requests.").Register(reg);
  reqs.Add({{"path", "/"}, {"method", "GET"}}).Increment();
  reqs.Add({{"method", "GET"}, {"path", "/"}}).Increment(2);  // the same series
  reqs.Add({{"method", "POST"}, {"path", "a\"b\\c\nd"}}).Increment(-5);  // ignored: counters only go up
  auto& lat = BuildHistogram().Name("lat_seconds").Help("Latency.").Register(reg);
  auto& h = lat.Add({{"path", "/"}}, Histogram::BucketBoundaries{0.005, 0.1, 1});
  h.Observe(0.005);  // le is inclusive
  h.Observe(0.05);
  h.Observe(7);
  auto& g = BuildGauge().Name("up").Help("Up.").Register(reg);  // registered last, listed before histograms
  g.Add({}).Set(0.1);
  BuildGauge().Name("never_used").Help("No series: not exposed.").Register(reg);
  EXPECT_EQ(TextSerializer().Serialize(reg.Collect()),
            "# HELP app_requests_total Total requests.\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total{method=\"GET\",path=\"/\"} 3\n"
            "app_requests_total{method=\"POST\",path=\"a\\\"b\\\\c\\nd\"} 0\n"
            "# HELP up Up.\n"
            "# TYPE up gauge\n"
            "up 0.1\n"
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_count{path=\"/\"} 3\n"
            "lat_seconds_sum{path=\"/\"} 7.055\n"
            "lat_seconds_bucket{path=\"/\",le=\"0.005\"} 1\n"
            "lat_seconds_bucket{path=\"/\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{path=\"/\",le=\"1\"} 2\n"
            "lat_seconds_bucket{path=\"/\",le=\"+Inf\"} 3\n");
}

TEST(Prom, SpecialValuesAndRegistration) {
  Registry reg;
  auto& g = BuildGauge().Name("g").Help("h").Register(reg);
  g.Add({{"v", "nan"}}).Set(NAN);
  g.Add({{"v", "inf"}}).Set(-INFINITY);
  g.Add({{"v", "third"}}).Set(1.0 / 3);
  g.Add({{"v", "big"}}).Set(1e21);
  std::string text = TextSerializer().Serialize(reg.Collect());
  EXPECT_NE(text.find("g{v=\"nan\"} Nan\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g{v=\"inf\"} -Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g{v=\"third\"} 0.3333333333333333\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g{v=\"big\"} 1e+21\n"), std::string::npos) << text;
  // Registering a name again gives the same family; another type is an error.
  EXPECT_EQ(&BuildGauge().Name("g").Help("h").Register(reg), &g);
  EXPECT_THROW(BuildCounter().Name("g").Help("h").Register(reg), std::invalid_argument);
  Gauge& x = g.Add({{"v", "x"}});
  x.Increment(2);
  x.Decrement(0.5);
  EXPECT_EQ(x.Value(), 1.5);
  EXPECT_TRUE(g.Has({{"v", "x"}}));
  g.Remove(&x);
  EXPECT_FALSE(g.Has({{"v", "x"}}));
}

TEST(Prom, ConcurrentUpdates) {
  Registry reg;
  Counter& c = BuildCounter().Name("c").Help("h").Register(reg).Add({});
  Histogram& h = BuildHistogram().Name("h").Help("h").Register(reg).Add({}, Histogram::BucketBoundaries{1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Increment();
        h.Observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value(), 40000);
  ClientMetric m;
  h.Collect(&m);
  EXPECT_EQ(m.sample_count, 40000u);
  EXPECT_EQ(m.sample_sum, 20000);
  EXPECT_EQ(m.buckets[0].second, 40000u);
}

}  // namespace
}  // namespace sremon::obs::prom
