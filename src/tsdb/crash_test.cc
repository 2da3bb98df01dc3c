// The durability promise of db.h, tested the hard way: a child process writes batches and
// records each Commit() that returned ok, gets SIGKILLed at a random moment (possibly during a
// flush or a merge), and every acknowledged sample must be there after reopening.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "testutil/testutil.h"
#include "tsdb/db.h"

namespace sremon::tsdb {
namespace {

constexpr int kSeries = 50;
constexpr int64_t kBase = 1'700'000'000'000LL;

int64_t FixedNow() { return kBase + 3600 * 1000; }

Options CrashOptions(const std::string& dir) {
  Options o;
  o.dir = dir;
  o.now_ms = &FixedNow;
  o.max_head_samples = 20000;  // background flushes and merges while writing
  o.merge_min_blocks = 3;
  return o;
}

model::Labels SeriesLabels(int s) {
  return model::Labels{{"__name__", "crash"}, {"series", std::to_string(s)}};
}

[[noreturn]] void RunChild(const std::string& dir, const std::string& acks) {
  auto db = DB::Open(CrashOptions(dir));
  if (!db.ok()) _exit(3);
  int fd = ::open(acks.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  for (int32_t b = 0;; b++) {
    auto app = (*db)->NewAppender();
    for (int s = 0; s < kSeries; s++) {
      // Every batch also rewrites an older timestamp (out of order) to exercise that path. A
      // rejected sample is caught by the parent, which looks for both samples of every
      // acknowledged batch.
      (void)app->Append(SeriesLabels(s), kBase + b * 1000LL, b);
      if (b > 10) (void)app->Append(SeriesLabels(s), kBase + (b - 10) * 1000LL + 500, -b);
    }
    if (app->Commit().ok()) {
      if (::write(fd, &b, sizeof(b)) != sizeof(b)) _exit(4);
    }
    if (b % 97 == 0) (void)(*db)->ForceFlush();  // flushes under the kill; the data check is the parent's
  }
}

TEST(CrashTest, AcknowledgedSamplesSurviveKill9) {
  std::random_device rd;
  for (int round = 0; round < 3; round++) {
    testutil::TempDir tmp;
    std::string dir = tmp.File("db"), acks = tmp.File("acks");
    int delay_ms = 200 + static_cast<int>(rd() % 600);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) RunChild(dir, acks);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(pid, SIGKILL);
    int status;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    std::string ack_data = testutil::ReadFile(acks);
    size_t n = ack_data.size() / sizeof(int32_t);
    ASSERT_GT(n, 10u) << "the child acknowledged too little to test anything";
    std::vector<int32_t> acked(n);
    std::memcpy(acked.data(), ack_data.data(), n * sizeof(int32_t));

    auto db = DB::Open(CrashOptions(dir));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto q = (*db)->NewQuerier(storage::kMinTime, storage::kMaxTime);
    auto set = (*q)->Select(true, {}, {*model::Matcher::Make(model::MatchType::kEqual, "__name__", "crash")});
    int series = 0;
    while (set->Next()) {
      series++;
      std::map<int64_t, double> got;
      auto it = set->At().Iterator();
      while (it->Next()) got[it->At().t] = it->At().v;
      for (int32_t b : acked) {
        auto f = got.find(kBase + b * 1000LL);
        ASSERT_NE(f, got.end()) << "round " << round << ": acknowledged batch " << b << " lost in "
                                << set->At().labels().ToString() << " (" << n << " acknowledged)";
        ASSERT_EQ(f->second, b);
        if (b > 10) {
          auto o = got.find(kBase + (b - 10) * 1000LL + 500);
          ASSERT_NE(o, got.end()) << "out-of-order sample of batch " << b << " lost";
          ASSERT_EQ(o->second, -b);
        }
      }
    }
    EXPECT_EQ(series, kSeries);
    std::cerr << "round " << round << ": killed after " << delay_ms << " ms, " << n
              << " acknowledged batches all present; replayed " << (*db)->GetStats().wal_replayed_samples
              << " samples, " << (*db)->GetStats().blocks << " blocks\n";
  }
}

}  // namespace
}  // namespace sremon::tsdb
