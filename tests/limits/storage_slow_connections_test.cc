// Slow clients must not lock out a normal one (issue 12, section 7): storage raises its soft
// open-file limit to the hard one at start, caps its connections (evicting the connection that
// has waited longest for a request), and cuts slow headers after 5 s.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "testutil/raw_conn.h"

namespace sremon::storage_e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

size_t OpenFds(pid_t pid) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

std::string LimitsLine(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("Max open files")) return line;
  }
  return "";
}

// Starts storage with the soft open-file limit at 1024 (a common default), as a child inherits it.
Proc StartWithSoftLimit1024(const std::string& dir, std::vector<std::string> flags) {
  rlimit saved{};
  getrlimit(RLIMIT_NOFILE, &saved);
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(1024, saved.rlim_max);
  setrlimit(RLIMIT_NOFILE, &low);
  Proc p = StartStorage(dir, std::move(flags));
  setrlimit(RLIMIT_NOFILE, &saved);
  return p;
}

// Opens n connections that send half a request header and then nothing.
std::vector<std::unique_ptr<testutil::RawConn>> SlowClients(int port, int n) {
  std::vector<std::unique_ptr<testutil::RawConn>> conns;
  for (int i = 0; i < n; ++i) {
    auto c = std::make_unique<testutil::RawConn>(port);
    if (c->ok()) c->Send("GET /api/v1/query?query=1 HTTP/1.1\r\nHost: x\r\n");
    conns.push_back(std::move(c));
  }
  return conns;
}

void ExpectNormalClientAnsweredWithin1s(const Proc& p, const char* what) {
  auto t0 = Clock::now();
  auto r = http::Get(p.base + "/api/v1/query?query=1", 1000ms);
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::printf("%s: normal client answered %s in %.1f ms\n", what,
              r.ok() ? std::to_string(r->status).c_str() : "never", ms);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_LT(ms, 1000);
}

TEST(StorageConnections, ElevenHundredSlowClientsDoNotLockOutANormalOne) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_max < 2048)
    GTEST_SKIP() << "the hard open-file limit is " << rl.rlim_max << ": too low for the test";
  testutil::TempDir dir;
  Proc p = StartWithSoftLimit1024(dir.path(), {});
  ASSERT_TRUE(p.child);
  std::string limits = LimitsLine(p.child->pid());
  std::printf("storage: %s\n", limits.c_str());
  auto slow = SlowClients(p.port, 1100);
  ExpectNormalClientAnsweredWithin1s(p, "1,100 slow clients, default cap (512)");
  size_t fds = OpenFds(p.child->pid());
  std::printf("storage holds %zu descriptors\n", fds);
  EXPECT_LT(fds, 512u + 200u);  // the cap, plus data files and the process's own
}

TEST(StorageConnections, CapHoldsWithAHighLimitAndSlowHeadersAreCut) {
  testutil::TempDir dir;
  Proc p = StartWithSoftLimit1024(dir.path(), {"-http.maxConnections=100"});
  ASSERT_TRUE(p.child);
  size_t base_fds = OpenFds(p.child->pid());
  auto slow = SlowClients(p.port, 300);
  ExpectNormalClientAnsweredWithin1s(p, "300 slow clients, -http.maxConnections=100");
  size_t fds = OpenFds(p.child->pid());
  std::printf("descriptors: %zu before, %zu with 300 slow clients\n", base_fds, fds);
  EXPECT_LE(fds, base_fds + 100 + 5);
  // The newest slow client is cut by the 5 s header timeout.
  auto t0 = Clock::now();
  EXPECT_EQ(slow.back()->ReadStatus(8000ms), 0);
  double cut = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("a slow header was cut after %.1f s more\n", cut);
  EXPECT_LT(cut, 7.0);
}

}  // namespace
}  // namespace sremon::storage_e2e
