// Heavy queries must not hold up ingestion or /health (issue 14): queries and writes run in lanes
// of their own (-search.maxConcurrentRequests, -maxConcurrentInserts), and a search request that
// waits too long for a slot is refused with VictoriaMetrics' 503.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "common.h"
#include "util/time.h"

namespace sremon::storage_e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// `series` series of `heavy` with one sample a minute over the last `minutes`.
void ImportHeavy(const std::string& base, int series, int minutes) {
  int64_t now = NowMs();
  constexpr int kPerBody = 250;
  for (int first = 0; first < series; first += kPerBody) {
    std::string body;
    for (int i = first; i < std::min(series, first + kPerBody); ++i) {
      for (int m = 0; m < minutes; ++m) {
        body += "heavy{id=\"" + std::to_string(i) + "\",grp=\"" + std::to_string(i % 10) + "\"} " +
                std::to_string(m * (i + 1)) + " " + std::to_string(now - (minutes - m) * 60'000LL) + "\n";
      }
    }
    ASSERT_EQ(PostStatus(base + "/api/v1/import/prometheus", body), 204);
  }
}

// A CPU-heavy range query over every series: a subquery at a fine step re-evaluates the inner
// rate() at every 10 s for every series.
std::string HeavyQueryUrl(const std::string& base, const std::string& subquery = "[45m:5s]") {
  int64_t now_s = NowMs() / 1000;
  return base + "/api/v1/query_range?query=" +
         http::UrlEncode("sum(max_over_time(rate(heavy[5m])" + subquery + "))") +
         "&start=" + std::to_string(now_s - 6 * 3600) + "&end=" + std::to_string(now_s) + "&step=60";
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(StorageIsolation, FourHeavyQueriesHoldUpNeitherImportsNorHealth) {
  testutil::TempDir dir;
  // Default lanes: -search.maxConcurrentRequests is 4 on 2 cores (the old shared pool had 4 workers).
  // No memory bound: the finer subqueries below hold more than its default (this test is about
  // concurrency, storage_limits_test about the bounds).
  Proc p = StartStorage(dir.path(), {"-search.maxQueryDuration=120s", "-search.maxMemoryPerQuery=0"});
  ASSERT_TRUE(p.child);
  ImportHeavy(p.base, 2000, 6 * 60);
  // A query heavy enough to take the better part of a second on this machine: a quiet machine
  // needs a finer subquery step than a loaded one.
  std::string heavy;
  double alone_ms = 0;
  for (const char* subquery : {"[45m:5s]", "[45m:2s]", "[45m:1s]"}) {
    heavy = HeavyQueryUrl(p.base, subquery);
    auto t0 = Clock::now();
    auto alone = http::Get(heavy, 120s);
    alone_ms = Ms(Clock::now() - t0);
    ASSERT_TRUE(alone.ok() && alone->status == 200) << (alone.ok() ? alone->body : alone.status().message());
    std::printf("one heavy query alone (subquery %s): %.0f ms\n", subquery, alone_ms);
    if (alone_ms > 700) break;
  }
  ASSERT_GT(alone_ms, 700) << "the heavy query is too light to show anything on this machine";

  std::vector<std::thread> queries;
  std::vector<int> statuses(4, 0);
  std::vector<Clock::time_point> ends(4);
  for (int i = 0; i < 4; ++i) {
    queries.emplace_back([&, i] {
      auto r = http::Get(heavy, 120s);
      statuses[i] = r.ok() ? r->status : -1;
      ends[i] = Clock::now();
    });
  }
  std::this_thread::sleep_for(300ms);  // the four hold every search slot
  std::vector<double> imports, healths;
  int64_t now = NowMs();
  for (int k = 0; k < 5; ++k) {
    std::string body = "during_load{k=\"" + std::to_string(k) + "\"} 1 " + std::to_string(now) + "\n";
    auto s = Clock::now();
    EXPECT_EQ(PostStatus(p.base + "/api/v1/import/prometheus", body), 204);
    imports.push_back(Ms(Clock::now() - s));
    s = Clock::now();
    auto h = http::Get(p.base + "/health", 10s);
    EXPECT_TRUE(h.ok() && h->status == 200);
    healths.push_back(Ms(Clock::now() - s));
    std::this_thread::sleep_for(50ms);
  }
  auto measured = Clock::now();
  for (auto& t : queries) t.join();
  std::printf("during 4 heavy queries: import ms:");
  for (double v : imports) std::printf(" %.1f", v);
  std::printf("; /health ms:");
  for (double v : healths) std::printf(" %.1f", v);
  std::printf("\nheavy queries ended %.0f..%.0f ms after the last measurement\n",
              Ms(*std::min_element(ends.begin(), ends.end()) - measured),
              Ms(*std::max_element(ends.begin(), ends.end()) - measured));
  for (int s : statuses) EXPECT_EQ(s, 200);
  // The measurements were taken while all four queries ran.
  EXPECT_GT(*std::min_element(ends.begin(), ends.end()), measured);
  // The target is 100 ms (measured: 5-7 ms medians); the bound is wider because the machine the
  // tests run on is shared, and CPU contention alone (four queries and the import on two cores)
  // has stretched the median to 116 ms. Waiting for a query to finish takes seconds.
  EXPECT_LT(Median(imports), 250) << "imports waited behind queries";
  EXPECT_LT(Median(healths), 250);
  EXPECT_LT(*std::max_element(imports.begin(), imports.end()), 1000);
  EXPECT_LT(*std::max_element(healths.begin(), healths.end()), 1000);
}

TEST(StorageIsolation, SearchRequestWaitingPastMaxQueueDurationGets503) {
  testutil::TempDir dir;
  Proc p = StartStorage(dir.path(), {"-search.maxQueryDuration=120s", "-search.maxConcurrentRequests=1",
                                     "-search.maxQueueDuration=200ms"});
  ASSERT_TRUE(p.child);
  ImportHeavy(p.base, 2000, 6 * 60);
  std::string heavy = HeavyQueryUrl(p.base, "[1h:5s]");  // several times the one above
  std::thread holder([&] {
    auto t0 = Clock::now();
    EXPECT_EQ(http::Get(heavy, 120s)->status, 200);
    std::printf("the query holding the only slot took %.0f ms\n", Ms(Clock::now() - t0));
  });
  std::this_thread::sleep_for(150ms);  // the holder (0.8-3.5 s here) has the slot
  auto t0 = Clock::now();
  auto r = http::Get(p.base + "/api/v1/query?query=1", 10s);
  double waited = Ms(Clock::now() - t0);
  // Writes are in a lane of their own: not refused meanwhile.
  EXPECT_EQ(PostStatus(p.base + "/api/v1/import/prometheus", "during 1\n"), 204);
  holder.join();
  ASSERT_TRUE(r.ok());
  std::printf("queued search request: %d after %.0f ms: %s", r->status, waited, r->body.c_str());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body,
            "cannot handle more than 1 concurrent search requests during 200ms; possible solutions: increase "
            "`-search.maxQueueDuration`; increase `-search.maxQueryDuration`; increase "
            "`-search.maxConcurrentRequests`; "
            "increase server capacity\n");
  EXPECT_GE(waited, 150);
  EXPECT_LT(waited, 600);  // at its deadline, not when the holder ends
}

}  // namespace
}  // namespace sremon::storage_e2e
