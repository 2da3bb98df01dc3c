#include "tsdb/db.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <filesystem>
#include <thread>

#include <unistd.h>

#include "testutil/testutil.h"
#include "util/fault_injection_env.h"

namespace sremon::tsdb {
namespace {

using model::Labels;
using model::Matcher;
using model::MatchType;
using model::Sample;

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kBase = 1'700'000'000'000LL - 1'700'000'000'000LL % (24 * kHour);  // a day boundary

std::atomic<int64_t> g_now{kBase + 24 * kHour};
int64_t FakeNow() { return g_now.load(); }

Options TestOptions(const std::string& dir) {
  Options o;
  o.dir = dir;
  o.background = false;
  o.now_ms = &FakeNow;
  o.retention_ms = 365 * 24 * kHour;
  return o;
}

Matcher M(MatchType t, std::string n, std::string v) { return *Matcher::Make(t, std::move(n), std::move(v)); }
Matcher Eq(std::string n, std::string v) { return M(MatchType::kEqual, std::move(n), std::move(v)); }

struct Got {
  Labels labels;
  std::vector<Sample> samples;
};

std::vector<Got> Query(DB* db, std::vector<Matcher> ms, int64_t mint = storage::kMinTime,
                       int64_t maxt = storage::kMaxTime) {
  auto q = db->NewQuerier(mint, maxt);
  EXPECT_TRUE(q.ok());
  auto set = (*q)->Select(true, {}, ms);
  std::vector<Got> out;
  while (set->Next()) {
    Got g{set->At().labels(), {}};
    auto it = set->At().Iterator();
    while (it->Next()) g.samples.push_back(it->At());
    out.push_back(std::move(g));
  }
  EXPECT_TRUE(set->Err().ok());
  return out;
}

Status AppendOne(DB* db, const Labels& l, int64_t t, double v) {
  auto app = db->NewAppender();
  Status st = app->Append(l, t, v);
  if (!st.ok()) return st;
  return app->Commit();
}

std::unique_ptr<DB> OpenDB(const Options& o) {
  auto db = DB::Open(o);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(*db) : nullptr;
}

Labels Series(const std::string& name, const std::string& inst) {
  return Labels{{"__name__", name}, {"instance", inst}, {"job", "node"}};
}

TEST(DBTest, AppendWithRefSkipsTheLookupAndSurvivesDeleteAndRestart) {
  testutil::TempDir tmp;
  auto db = OpenDB(TestOptions(tmp.path()));
  auto app = db->NewAppender();
  storage::SeriesRef a = 0, b = 0;
  ASSERT_TRUE(app->AppendWithRef(&a, Series("cpu", "a"), kBase, 1).ok());
  ASSERT_TRUE(app->AppendWithRef(&b, Series("cpu", "b"), kBase, 10).ok());
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  storage::SeriesRef first = a;
  ASSERT_TRUE(app->AppendWithRef(&a, Series("cpu", "a"), kBase + 1000, 2).ok());
  EXPECT_EQ(a, first);
  // Too old for the retention: refused with the same message as Append, reference or not.
  Status old = app->AppendWithRef(&a, Series("cpu", "a"), kBase - 400 * 24 * kHour, 0);
  EXPECT_FALSE(old.ok());
  EXPECT_NE(old.message().find("older than the retention period"), std::string::npos) << old.message();
  // The series is deleted between Append and Commit: the samples recreate it.
  ASSERT_TRUE(db->DeleteSeries({Eq("instance", "a")}).ok());
  ASSERT_TRUE(app->AppendWithRef(&a, Series("cpu", "a"), kBase + 2000, 3).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto check = [&](DB* d) {
    auto got = Query(d, {Eq("__name__", "cpu")});
    ASSERT_EQ(got.size(), 2u);
    ASSERT_EQ(got[0].samples.size(), 3u);
    EXPECT_EQ(got[0].samples[2].v, 3);
    EXPECT_EQ(got[1].samples.size(), 1u);
  };
  check(db.get());
  // A fresh appender (nothing appended yet) does not dereference a reference from another one.
  auto app2 = db->NewAppender();
  storage::SeriesRef stale = first;
  ASSERT_TRUE(app2->AppendWithRef(&stale, Series("cpu", "b"), kBase + 1000, 11).ok());
  ASSERT_TRUE(app2->Commit().ok());
  app.reset();  // appenders end before their DB
  app2.reset();
  ASSERT_TRUE(db->Close().ok());
  db = OpenDB(TestOptions(tmp.path()));  // the WAL replays what the references appended
  auto got = Query(db.get(), {Eq("__name__", "cpu")});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].samples.size(), 3u);
  EXPECT_EQ(got[1].samples.size(), 2u);
}

TEST(DBTest, AppendAndSelect) {
  testutil::TempDir tmp;
  auto db = OpenDB(TestOptions(tmp.path()));
  auto app = db->NewAppender();
  for (int i = 0; i < 10; i++) {
    for (const char* inst : {"b", "a", "c"}) ASSERT_TRUE(app->Append(Series("up", inst), kBase + i * 15000, i).ok());
    ASSERT_TRUE(app->Append(Series("other", "a"), kBase + i * 15000, -i).ok());
  }
  ASSERT_TRUE(app->Commit().ok());
  auto got = Query(db.get(), {Eq("__name__", "up")});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].labels.Get("instance"), "a");  // sorted
  EXPECT_EQ(got[2].labels.Get("instance"), "c");
  ASSERT_EQ(got[1].samples.size(), 10u);
  EXPECT_EQ(got[1].samples[3].t, kBase + 45000);
  EXPECT_EQ(got[1].samples[3].v, 3);
  // Time range and regex matchers.
  got = Query(db.get(), {M(MatchType::kRegexMatch, "instance", "a|c"), Eq("__name__", "up")}, kBase + 30000, kBase + 60000);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].samples.size(), 3u);
  EXPECT_EQ(Query(db.get(), {Eq("__name__", "up")}, kBase + 1000000, kBase + 2000000).size(), 0u);
  // Rollback drops, an empty commit is fine.
  auto app2 = db->NewAppender();
  ASSERT_TRUE(app2->Append(Series("rolled", "a"), kBase, 1).ok());
  app2->Rollback();
  ASSERT_TRUE(app2->Commit().ok());
  EXPECT_EQ(Query(db.get(), {Eq("__name__", "rolled")}).size(), 0u);
  EXPECT_EQ(db->GetStats().samples_ingested_total, 40u);
}

TEST(DBTest, OutOfOrderBackfillAndLastWriteWins) {
  testutil::TempDir tmp;
  auto db = OpenDB(TestOptions(tmp.path()));
  Labels l = Series("m", "a");
  auto write = [&](int64_t t, double v) { ASSERT_TRUE(AppendOne(db.get(), l, kBase + t, v).ok()); };
  auto expect = [&](std::vector<Sample> want) {
    auto got = Query(db.get(), {Eq("__name__", "m")});
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(got[0].samples.size(), want.size());
    for (size_t i = 0; i < want.size(); i++) {
      EXPECT_EQ(got[0].samples[i].t, kBase + want[i].t) << i;
      EXPECT_EQ(got[0].samples[i].v, want[i].v) << i;
    }
  };
  write(100, 1);
  write(200, 2);
  write(300, 3);
  write(150, 4);  // out of order
  write(200, 5);  // same timestamp: last write wins
  write(50, 6);
  expect({{50, 6}, {100, 1}, {150, 4}, {200, 5}, {300, 3}});
  ASSERT_TRUE(db->ForceFlush().ok());
  expect({{50, 6}, {100, 1}, {150, 4}, {200, 5}, {300, 3}});
  write(200, 7);  // rewrites a flushed sample: the head wins
  write(-3 * kHour, 8);  // backfill into an older partition
  expect({{-3 * kHour, 8}, {50, 6}, {100, 1}, {150, 4}, {200, 7}, {300, 3}});
  ASSERT_TRUE(db->ForceFlush().ok());
  write(300, 9);
  ASSERT_TRUE(db->ForceMerge().ok());
  expect({{-3 * kHour, 8}, {50, 6}, {100, 1}, {150, 4}, {200, 7}, {300, 9}});
  EXPECT_EQ(db->GetStats().blocks, 2u);  // two partitions, one block each
  // Many out-of-order samples (several sorted runs) plus a reopen.
  for (int i = 999; i >= 0; i--) write(1000 + i * 10, i);
  db.reset();
  db = OpenDB(TestOptions(tmp.path()));
  auto got = Query(db.get(), {Eq("__name__", "m")}, kBase + 1000, kBase + 100000);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].samples.size(), 1000u);
  EXPECT_EQ(got[0].samples[500].v, 500);
}

TEST(DBTest, FsyncEveryCommit) {
  testutil::TempDir tmp;
  Options o = TestOptions(tmp.path());
  o.fsync_interval_ms = 0;
  o.background = true;
  {
    auto db = OpenDB(o);
    for (int i = 0; i < 5; i++) ASSERT_TRUE(AppendOne(db.get(), Series("s", "a"), kBase + i, i).ok());
  }
  auto db = OpenDB(o);
  auto got = Query(db.get(), {Eq("__name__", "s")});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].samples.size(), 5u);
}

TEST(DBTest, ReopenReplaysWalBitExact) {
  testutil::TempDir tmp;
  std::vector<double> values = {model::StaleNaN(), std::nan(""), INFINITY, -INFINITY, -0.0, 1e-300, 42.5};
  {
    auto db = OpenDB(TestOptions(tmp.path()));
    auto app = db->NewAppender();
    for (size_t i = 0; i < values.size(); i++) ASSERT_TRUE(app->Append(Series("v", "x"), kBase + i * 1000, values[i]).ok());
    ASSERT_TRUE(app->Commit().ok());
    ASSERT_TRUE(db->Close().ok());
  }
  for (int round = 0; round < 2; round++) {
    auto db = OpenDB(TestOptions(tmp.path()));
    EXPECT_EQ(db->GetStats().wal_replayed_samples, round == 0 ? values.size() : 0u);
    auto got = Query(db.get(), {Eq("__name__", "v")});
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(got[0].samples.size(), values.size());
    for (size_t i = 0; i < values.size(); i++) {
      EXPECT_EQ(std::bit_cast<uint64_t>(got[0].samples[i].v), std::bit_cast<uint64_t>(values[i])) << i;
    }
    EXPECT_TRUE(model::IsStaleNaN(got[0].samples[0].v));
    ASSERT_TRUE(db->ForceFlush().ok());  // second round reads the same from a block
  }
}

TEST(DBTest, FlushMergeAndSeek) {
  testutil::TempDir tmp;
  auto db = OpenDB(TestOptions(tmp.path()));
  for (int flush = 0; flush < 4; flush++) {
    auto app = db->NewAppender();
    for (int s = 0; s < 50; s++) {
      for (int i = 0; i < 100; i++) {
        int64_t t = kBase + (flush * 100 + i) * 15000LL;
        ASSERT_TRUE(app->Append(Series("cpu", "host" + std::to_string(s)), t, flush * 100 + i + s * 0.5).ok());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
    ASSERT_TRUE(db->ForceFlush().ok());
  }
  EXPECT_EQ(db->GetStats().blocks, 4u);
  EXPECT_EQ(db->GetStats().samples_in_head, 0u);
  ASSERT_TRUE(db->ForceMerge().ok());
  EXPECT_EQ(db->GetStats().blocks, 1u);
  auto got = Query(db.get(), {Eq("__name__", "cpu")});
  ASSERT_EQ(got.size(), 50u);
  for (const auto& g : got) ASSERT_EQ(g.samples.size(), 400u);
  auto q = db->NewQuerier(storage::kMinTime, storage::kMaxTime);
  auto set = (*q)->Select(true, {}, {Eq("instance", "host7")});
  ASSERT_TRUE(set->Next());
  auto it = set->At().Iterator();
  ASSERT_TRUE(it->Seek(kBase + 250 * 15000LL + 1));
  EXPECT_EQ(it->At().t, kBase + 251 * 15000LL);
  EXPECT_EQ(it->At().v, 251 + 3.5);
  EXPECT_FALSE(set->Next());
  // Files on disk: one block, no leftovers.
  int blk = 0;
  for (auto& e : std::filesystem::directory_iterator(tmp.path() + "/blocks")) blk += e.path().extension() == ".blk";
  EXPECT_EQ(blk, 1);
}

TEST(DBTest, LabelNamesAndValues) {
  testutil::TempDir tmp;
  auto db = OpenDB(TestOptions(tmp.path()));
  ASSERT_TRUE(AppendOne(db.get(), Labels{{"__name__", "a"}, {"x", "1"}}, kBase, 1).ok());
  ASSERT_TRUE(AppendOne(db.get(), Labels{{"__name__", "b"}, {"y", "2"}}, kBase + 10 * kHour, 1).ok());
  ASSERT_TRUE(db->ForceFlush().ok());
  ASSERT_TRUE(AppendOne(db.get(), Labels{{"__name__", "c"}, {"x", "3"}}, kBase + 20 * kHour, 1).ok());
  auto q = db->NewQuerier(storage::kMinTime, storage::kMaxTime);
  EXPECT_EQ(*(*q)->LabelNames({}), (std::vector<std::string>{"__name__", "x", "y"}));
  EXPECT_EQ(*(*q)->LabelValues("x", {}), (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(*(*q)->LabelValues("__name__", {Eq("x", "3")}), (std::vector<std::string>{"c"}));
  auto q2 = db->NewQuerier(kBase + 5 * kHour, kBase + 15 * kHour);
  EXPECT_EQ(*(*q2)->LabelNames({}), (std::vector<std::string>{"__name__", "y"}));
  EXPECT_EQ(*(*q2)->LabelValues("__name__", {}), (std::vector<std::string>{"b"}));
}

// -search.maxTagValues: the `limit` smallest values of the whole, though blocks and the head each
// hold some of them (interleaved), with and without a matcher.
TEST(DBTest, LabelValuesLimitKeepsTheSmallest) {
  testutil::TempDir tmp;
  auto db = OpenDB(TestOptions(tmp.path()));
  std::vector<std::string> all;
  for (int i = 0; i < 30; i++) {
    std::string v = fmt::format("v{:02d}", i);
    all.push_back(v);
    ASSERT_TRUE(AppendOne(db.get(), Labels{{"__name__", "m"}, {"k", v}}, kBase + (i % 3) * 10 * kHour, 1).ok());
    if (i % 3 == 2) ASSERT_TRUE(db->ForceFlush().ok());  // every third value stays in the head
  }
  ASSERT_TRUE(AppendOne(db.get(), Labels{{"__name__", "m"}, {"k", "v00"}}, kBase + 25 * kHour, 1).ok());
  auto q = db->NewQuerier(storage::kMinTime, storage::kMaxTime);
  for (size_t limit : {1, 5, 11, 29, 30, 31}) {
    std::vector<std::string> want(all.begin(), all.begin() + std::min(limit, all.size()));
    EXPECT_EQ(*(*q)->LabelValues("k", {}, limit), want) << limit;
    EXPECT_EQ(*(*q)->LabelValues("k", {Eq("__name__", "m")}, limit), want) << limit;
  }
  EXPECT_EQ(*(*q)->LabelValues("k", {}, 0), all);
}

TEST(DBTest, RetentionDropsOldPartitionsOnly) {
  testutil::TempDir tmp;
  Options o = TestOptions(tmp.path());
  o.partition_ms = kHour;
  o.retention_ms = 3 * kHour;
  g_now = kBase + 5 * kHour;
  auto db = OpenDB(o);
  auto app = db->NewAppender();
  // Samples every minute from 2h to 5h: all within retention when written.
  for (int64_t t = kBase + 2 * kHour; t < kBase + 5 * kHour; t += 60000) ASSERT_TRUE(app->Append(Series("r", "a"), t, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_FALSE(AppendOne(db.get(), Series("r", "a"), kBase + kHour, 1).ok());  // too old: rejected
  EXPECT_EQ(db->GetStats().rejected_samples_total, 1u);
  ASSERT_TRUE(db->ForceMerge().ok());
  EXPECT_EQ(db->GetStats().blocks, 3u);
  g_now = kBase + 6 * kHour + 30 * 60000;  // cutoff 3h30: partition [2h,3h) is past
  ASSERT_TRUE(db->ForceMerge().ok());
  EXPECT_EQ(db->GetStats().blocks, 2u);
  auto got = Query(db.get(), {Eq("__name__", "r")});
  ASSERT_EQ(got.size(), 1u);
  // Samples of [3h, 3h30) are in a kept partition but past retention: hidden.
  EXPECT_EQ(got[0].samples.size(), 90u);
  EXPECT_EQ(got[0].samples.front().t, kBase + 3 * kHour + 30 * 60000);
  EXPECT_EQ(got[0].samples.back().t, kBase + 5 * kHour - 60000);
  g_now = kBase + 24 * kHour;
}

TEST(DBTest, DeleteSeries) {
  testutil::TempDir tmp;
  {
    auto db = OpenDB(TestOptions(tmp.path()));
    ASSERT_TRUE(AppendOne(db.get(), Series("d", "a"), kBase, 1).ok());
    ASSERT_TRUE(AppendOne(db.get(), Series("d", "b"), kBase, 1).ok());
    ASSERT_TRUE(db->ForceFlush().ok());
    ASSERT_TRUE(AppendOne(db.get(), Series("d", "a"), kBase + 1000, 2).ok());
    ASSERT_TRUE(AppendOne(db.get(), Series("d", "c"), kBase + 1000, 2).ok());
    EXPECT_FALSE(db->DeleteSeries({M(MatchType::kRegexMatch, "instance", ".*")}).ok());  // would match everything
    auto n = db->DeleteSeries({Eq("__name__", "d"), M(MatchType::kRegexMatch, "instance", "a|c")});
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 2u);
    auto got = Query(db.get(), {Eq("__name__", "d")});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].labels.Get("instance"), "b");
    // New samples after the delete are kept.
    ASSERT_TRUE(AppendOne(db.get(), Series("d", "c"), kBase + 2000, 3).ok());
    EXPECT_EQ(Query(db.get(), {Eq("__name__", "d")}).size(), 2u);
  }
  auto db = OpenDB(TestOptions(tmp.path()));  // the WAL replays the delete, then the new sample
  auto got = Query(db.get(), {Eq("__name__", "d")});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].labels.Get("instance"), "b");
  ASSERT_EQ(got[1].samples.size(), 1u);
  EXPECT_EQ(got[1].samples[0].v, 3);
}

// Series that stop receiving samples are forgotten by the head after a whole idle flush interval
// (memory stays bounded under churn); their data stays queryable from blocks, and they come back
// when samples arrive again.
TEST(DBTest, IdleSeriesAreCollected) {
  testutil::TempDir tmp;
  auto db = OpenDB(TestOptions(tmp.path()));
  ASSERT_TRUE(AppendOne(db.get(), Series("g", "gone"), kBase, 1).ok());
  ASSERT_TRUE(AppendOne(db.get(), Series("g", "stays"), kBase, 1).ok());
  ASSERT_TRUE(db->ForceFlush().ok());
  EXPECT_EQ(db->GetStats().series, 2u);  // "gone" had samples in this interval
  auto pinned = db->NewAppender();       // holds a pointer to "gone" across the collection
  ASSERT_TRUE(pinned->Append(Series("g", "gone"), kBase + 500, 5).ok());
  ASSERT_TRUE(AppendOne(db.get(), Series("g", "stays"), kBase + 1000, 2).ok());
  ASSERT_TRUE(db->ForceFlush().ok());
  EXPECT_EQ(db->GetStats().series, 1u);
  EXPECT_EQ(db->GetStats().series_collected_total, 1u);
  auto got = Query(db.get(), {Eq("__name__", "g")});
  ASSERT_EQ(got.size(), 2u);  // from the blocks
  ASSERT_TRUE(pinned->Commit().ok());  // re-resolves the collected series
  got = Query(db.get(), {Eq("__name__", "g"), Eq("instance", "gone")});
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].samples.size(), 2u);
  EXPECT_EQ(got[0].samples[1].v, 5);
  EXPECT_EQ(db->GetStats().series, 2u);
}

TEST(DBTest, LimitsRejectAndTruncate) {
  testutil::TempDir tmp;
  Options o = TestOptions(tmp.path());
  o.max_labels_per_series = 3;
  o.max_label_value_len = 5;
  auto db = OpenDB(o);
  Status st = AppendOne(db.get(), Labels{{"__name__", "m"}, {"a", "1"}, {"b", "2"}, {"c", "3"}}, kBase, 1);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("maxLabelsPerTimeseries"), std::string::npos);
  ASSERT_TRUE(AppendOne(db.get(), Labels{{"__name__", "m"}, {"a", "1234567890"}}, kBase, 1).ok());
  EXPECT_FALSE(AppendOne(db.get(), Labels{{"a", "1"}}, kBase, 1).ok());  // no metric name
  auto got = Query(db.get(), {Eq("a", "12345")});
  ASSERT_EQ(got.size(), 1u);
  Stats s = db->GetStats();
  EXPECT_EQ(s.rejected_too_many_labels_total, 1u);
  EXPECT_EQ(s.truncated_label_values_total, 1u);
  EXPECT_EQ(s.rejected_samples_total, 2u);
}

TEST(DBTest, DiskFullRejectsWritesKeepsReads) {
  testutil::TempDir tmp;
  FaultInjectionEnv env(Env::Default());
  Options o = TestOptions(tmp.path());
  o.env = &env;
  {
    auto db = OpenDB(o);
    ASSERT_TRUE(AppendOne(db.get(), Series("f", "a"), kBase, 1).ok());
    ASSERT_TRUE(db->ForceFlush().ok());
    ASSERT_TRUE(AppendOne(db.get(), Series("f", "a"), kBase + 1000, 2).ok());
    env.SetFull(true);
    env.SetPartialBytes(7);
    Status st = AppendOne(db.get(), Series("f", "a"), kBase + 2000, 3);
    EXPECT_EQ(st.code(), Status::Code::kUnavailable);
    EXPECT_NE(st.message().find("No space left on device"), std::string::npos) << st.message();
    EXPECT_FALSE(AppendOne(db.get(), Series("f", "new"), kBase + 2000, 3).ok());
    EXPECT_FALSE(db->ForceFlush().ok());
    auto got = Query(db.get(), {Eq("__name__", "f")});  // reads keep working
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].samples.size(), 2u);
    EXPECT_EQ(db->GetStats().wal_write_errors_total, 2u);
    env.SetFull(false);  // space is back
    ASSERT_TRUE(AppendOne(db.get(), Series("f", "a"), kBase + 3000, 4).ok());
    ASSERT_TRUE(AppendOne(db.get(), Series("f", "new"), kBase + 3000, 4).ok());
    ASSERT_TRUE(db->ForceFlush().ok());
    ASSERT_TRUE(AppendOne(db.get(), Series("f", "a"), kBase + 4000, 5).ok());
  }
  auto db = OpenDB(o);
  auto got = Query(db.get(), {Eq("__name__", "f")});
  ASSERT_EQ(got.size(), 2u);
  ASSERT_EQ(got[0].samples.size(), 4u);  // 1, 2, 4, 5: the rejected sample is absent
  EXPECT_EQ(got[0].samples[2].v, 4);
  EXPECT_EQ(got[0].samples[3].v, 5);
}

// The same on a real full filesystem: a 256 KiB tmpfs (needs root to mount; skipped otherwise).
TEST(DBTest, RealDiskFullOnSmallTmpfs) {
  testutil::TempDir tmp;
  std::string mnt = tmp.File("mnt");
  std::filesystem::create_directory(mnt);
  std::string out;
  if (getuid() != 0 || testutil::RunCommand("mount -t tmpfs -o size=256k tmpfs " + mnt, &out) != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs (needs root): " << out;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { testutil::RunCommand("umount -l " + path); }
  } unmount{mnt};
  Options o = TestOptions(mnt + "/db");
  auto db = OpenDB(o);
  auto fill = [](int s) { return Labels{{"__name__", "fill"}, {"pad", std::string(200, 'x')}, {"s", std::to_string(s)}}; };
  int acked = 0;
  Status last;
  for (int b = 0; b < 100000; b++) {
    auto app = db->NewAppender();
    for (int s = 0; s < 100; s++) ASSERT_TRUE(app->Append(fill(s), kBase + b * 1000LL, b).ok());
    last = app->Commit();
    if (!last.ok()) break;
    acked++;
  }
  ASSERT_EQ(last.code(), Status::Code::kUnavailable) << last.ToString();
  EXPECT_NE(last.message().find("No space left on device"), std::string::npos) << last.message();
  ASSERT_GT(acked, 0);
  auto got = Query(db.get(), {Eq("__name__", "fill")});  // reads keep working
  ASSERT_EQ(got.size(), 100u);
  for (const auto& g : got) ASSERT_EQ(g.samples.size(), size_t(acked));
  ASSERT_EQ(testutil::RunCommand("mount -o remount,size=8m " + mnt), 0);  // space returns
  ASSERT_TRUE(AppendOne(db.get(), fill(0), kBase + acked * 1000LL, acked).ok());
  ASSERT_TRUE(db->ForceFlush().ok());
  db.reset();
  db = OpenDB(o);
  got = Query(db.get(), {Eq("__name__", "fill"), Eq("s", "0")});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].samples.size(), size_t(acked + 1));
  db.reset();
}

TEST(DBTest, CorruptBlockIsSetAside) {
  testutil::TempDir tmp;
  {
    auto db = OpenDB(TestOptions(tmp.path()));
    ASSERT_TRUE(AppendOne(db.get(), Series("c", "a"), kBase, 1).ok());
    ASSERT_TRUE(db->ForceFlush().ok());
    ASSERT_TRUE(AppendOne(db.get(), Series("c", "b"), kBase, 1).ok());
    ASSERT_TRUE(db->ForceFlush().ok());
  }
  std::vector<std::string> blocks;
  for (auto& e : std::filesystem::directory_iterator(tmp.path() + "/blocks")) blocks.push_back(e.path());
  std::sort(blocks.begin(), blocks.end());
  ASSERT_EQ(blocks.size(), 2u);
  std::string data = testutil::ReadFile(blocks[0]);
  data[10] ^= 0x01;  // inside the first frame
  testutil::WriteFile(blocks[0], data);
  auto db = OpenDB(TestOptions(tmp.path()));
  EXPECT_EQ(db->GetStats().corrupt_blocks_total, 1u);
  EXPECT_TRUE(std::filesystem::exists(tmp.path() + "/corrupt/" + std::filesystem::path(blocks[0]).filename().string()));
  auto got = Query(db.get(), {Eq("__name__", "c")});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].labels.Get("instance"), "b");
}

TEST(DBTest, SecondOpenOfSameDirFails) {
  testutil::TempDir tmp;
  auto db = OpenDB(TestOptions(tmp.path()));
  auto db2 = DB::Open(TestOptions(tmp.path()));
  EXPECT_FALSE(db2.ok());
}

TEST(DBTest, ConcurrentAppendAndQuery) {
  testutil::TempDir tmp;
  Options o = TestOptions(tmp.path());
  o.background = true;
  o.max_head_samples = 5000;  // flushes and merges happen during the test
  o.merge_min_blocks = 3;
  o.fsync_interval_ms = 50;
  auto db = OpenDB(o);
  constexpr int kWriters = 4, kBatches = 100, kSeries = 20;
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; w++) {
    threads.emplace_back([&, w] {
      for (int b = 0; b < kBatches; b++) {
        if (b == kBatches / 2) {  // make sure flushes (and series collection) happen mid-write
          for (int i = 0; i < 5000 && db->GetStats().flushes_total < 1; i++) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }
        auto app = db->NewAppender();
        for (int s = 0; s < kSeries; s++) {
          if (!app->Append(Series("cc", std::to_string(w) + "-" + std::to_string(s)), kBase + b * 1000, b).ok()) errors++;
        }
        if (!app->Commit().ok()) errors++;
      }
    });
  }
  std::thread flusher([&] {
    for (int i = 0; !done; i++) {
      if (!(i % 3 == 2 ? db->ForceMerge() : db->ForceFlush()).ok()) errors++;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::thread reader([&] {
    while (!done) {
      auto got = Query(db.get(), {Eq("__name__", "cc")});
      for (const auto& g : got) {
        for (size_t i = 1; i < g.samples.size(); i++) {
          if (g.samples[i].t <= g.samples[i - 1].t) errors++;
        }
      }
    }
  });
  for (auto& t : threads) t.join();
  done = true;
  reader.join();
  flusher.join();
  EXPECT_GT(db->GetStats().flushes_total, 0u);
  EXPECT_EQ(errors, 0);
  auto got = Query(db.get(), {Eq("__name__", "cc")});
  ASSERT_EQ(got.size(), size_t(kWriters * kSeries));
  for (const auto& g : got) EXPECT_EQ(g.samples.size(), size_t(kBatches));
  EXPECT_EQ(db->GetStats().samples_ingested_total, uint64_t(kWriters * kBatches * kSeries));
}

}  // namespace
}  // namespace sremon::tsdb
