// `sremon up|status|stop|start|restart|logs|down` on free ports with temporary state and data
// dirs: real processes, real HTTP, beside whatever else runs on this machine.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "supervisor/process.h"
#include "supervisor/stack.h"
#include "testutil/testutil.h"
#include "util/time.h"

namespace sremon {
namespace {

using testutil::RunCommand;

class StackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string ports;
    for (const auto& s : supervisor::Services()) {
      int p = testutil::FreePort();
      ports_[s.name] = p;
      ports += (ports.empty() ? "" : ",") + s.name + "=" + std::to_string(p);
    }
    flags_ = " --state-dir " + dir_.File("state") + " --data-dir " + dir_.File("data") + " --config-dir " +
             testutil::SourceDir() + " --ports " + ports;
  }
  void TearDown() override { Run("down --grace 2s"); }

  int Run(const std::string& cmd, std::string* out = nullptr) {
    std::string o;
    int rc = RunCommand(testutil::SremonBin() + " " + cmd + flags_, &o);
    if (out) *out = o;
    return rc;
  }
  pid_t PidOf(const std::string& service) {
    std::string text = testutil::ReadFile(dir_.File("state/" + service + ".pid"));
    return text.empty() ? 0 : std::stoi(text);
  }
  std::string Url(const std::string& service, const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(ports_[service]) + path;
  }

  testutil::TempDir dir_;
  std::map<std::string, int> ports_;
  std::string flags_;
};

TEST_F(StackTest, UpStatusStopStartRestartDown) {
  std::string out;
  double t0 = MonotonicSeconds();
  ASSERT_EQ(Run("up --only app", &out), 0) << out;
  double took = MonotonicSeconds() - t0;
  EXPECT_LT(took, 3.0) << "up took " << took << " s";
  EXPECT_NE(out.find("[OK]   app"), std::string::npos) << out;
  EXPECT_NE(out.find(Url("app", "/metrics")), std::string::npos) << "endpoints table: " << out;
  pid_t pid = PidOf("app");
  ASSERT_GT(pid, 0);
  auto r = http::Get(Url("app", "/"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, R"({"message":"ok"})");

  // Already running: says so, starts nothing.
  ASSERT_EQ(Run("up app", &out), 0) << out;
  EXPECT_NE(out.find("already running (pid " + std::to_string(pid) + ")"), std::string::npos) << out;
  EXPECT_EQ(PidOf("app"), pid);

  // status defaults to what `up` was asked for.
  ASSERT_EQ(Run("status", &out), 0) << out;
  EXPECT_NE(out.find("[OK]"), std::string::npos);
  EXPECT_NE(out.find("running (pid " + std::to_string(pid) + ")"), std::string::npos) << out;
  EXPECT_EQ(out.find("storage"), std::string::npos) << "only the app was started: " << out;
  ASSERT_EQ(Run("status --json 2>/dev/null", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["healthy"], true);
  EXPECT_EQ(j["services"][0]["service"], "app");
  EXPECT_EQ(j["services"][0]["http_status"], 200);

  // The app-down drill: stop app, status shows it down and fails.
  ASSERT_EQ(Run("stop app", &out), 0) << out;
  EXPECT_NE(out.find("stopped (pid " + std::to_string(pid) + ")"), std::string::npos) << out;
  EXPECT_EQ(out.find("killed"), std::string::npos) << "SIGTERM must be enough (signals unblocked): " << out;
  EXPECT_FALSE(supervisor::ProcessAlive(pid));
  EXPECT_NE(Run("status", &out), 0) << out;
  EXPECT_NE(out.find("[FAIL] app"), std::string::npos) << out;
  EXPECT_NE(out.find("not running"), std::string::npos) << out;

  ASSERT_EQ(Run("start app", &out), 0) << out;
  pid_t pid2 = PidOf("app");
  EXPECT_NE(pid2, pid);
  ASSERT_EQ(Run("status app", &out), 0) << out;
  ASSERT_EQ(Run("restart app", &out), 0) << out;
  pid_t pid3 = PidOf("app");
  EXPECT_NE(pid3, pid2);
  EXPECT_FALSE(supervisor::ProcessAlive(pid2));

  ASSERT_EQ(Run("logs app --tail 50", &out), 0);
  EXPECT_NE(out.find("serving the demo app"), std::string::npos) << out;
  EXPECT_NE(out.find("SIGTERM received"), std::string::npos) << out;

  ASSERT_EQ(Run("down", &out), 0) << out;
  EXPECT_FALSE(supervisor::ProcessAlive(pid3));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("state/app.pid")));
  EXPECT_TRUE(std::filesystem::exists(dir_.File("state/logs/app.log")));
}

// Later commands use what `up` was given: `up --ports ...` then restart/status/stop/down with
// only the same --state-dir act on the recorded ports and dirs, not on the defaults.
TEST_F(StackTest, LaterCommandsUseTheSettingsUpRecorded) {
  std::string out;
  ASSERT_EQ(Run("up --only app", &out), 0) << out;
  std::string state_only = testutil::SremonBin() + " {} --state-dir " + dir_.File("state");
  auto run_state_only = [&](const std::string& cmd, std::string* o) {
    std::string line = state_only;
    line.replace(line.find("{}"), 2, cmd);
    return RunCommand(line, o);
  };
  pid_t pid = PidOf("app");
  ASSERT_EQ(run_state_only("restart app", &out), 0) << out;
  pid_t pid2 = PidOf("app");
  EXPECT_NE(pid2, pid);
  auto r = http::Get(Url("app", "/"));
  ASSERT_TRUE(r.ok()) << "the restarted app is not on the port `up` was given: " << out;
  ASSERT_EQ(run_state_only("status app", &out), 0) << out;
  EXPECT_NE(out.find(std::to_string(ports_["app"])), std::string::npos) << out;
  // The data dir was recorded too: logs and data stay where `up` put them.
  EXPECT_NE(testutil::ReadFile(dir_.File("state/settings")).find("data_dir=" + dir_.File("data")), std::string::npos);
  ASSERT_EQ(run_state_only("stop app", &out), 0) << out;
  EXPECT_FALSE(supervisor::ProcessAlive(pid2));
  ASSERT_EQ(run_state_only("start app", &out), 0) << out;
  ASSERT_TRUE(http::Get(Url("app", "/")).ok()) << out;
  ASSERT_EQ(run_state_only("down", &out), 0) << out;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("state/settings"))) << "down forgets the settings";
  EXPECT_FALSE(http::Get(Url("app", "/")).ok());
}

TEST_F(StackTest, PortTakenByAnotherProgramStartsNothing) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(ports_["inbox"]));
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  std::string out;
  EXPECT_NE(Run("up --only app,inbox", &out), 0) << out;
  close(fd);
  EXPECT_NE(out.find("port " + std::to_string(ports_["inbox"]) + " of service inbox is already in use"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("nothing was started"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("state/app.pid")));
  EXPECT_FALSE(http::Get(Url("app", "/health"), std::chrono::milliseconds(300)).ok());
}

TEST_F(StackTest, StalePidFilesAreDetectedNeverKilled) {
  // A pid that now belongs to another program.
  testutil::Child other({"/bin/sleep", "30"});
  std::filesystem::create_directories(dir_.File("state"));
  testutil::WriteFile(dir_.File("state/app.pid"), std::to_string(other.pid()) + "\n");
  std::string out;
  EXPECT_NE(Run("status app", &out), 0);
  EXPECT_NE(out.find("stale"), std::string::npos) << out;
  ASSERT_EQ(Run("stop app", &out), 0) << out;
  EXPECT_NE(out.find("belongs to another program"), std::string::npos) << out;
  EXPECT_TRUE(other.Running()) << "the supervisor killed a process that was not its own";
  EXPECT_FALSE(std::filesystem::exists(dir_.File("state/app.pid")));

  // A pid that is gone: `up` removes the file and starts the service.
  testutil::WriteFile(dir_.File("state/app.pid"), "999999999\n");
  ASSERT_EQ(Run("up app", &out), 0) << out;
  EXPECT_NE(out.find("removing stale pid file"), std::string::npos) << out;
  EXPECT_TRUE(testutil::WaitHttpOk(Url("app", "/health"), std::chrono::milliseconds(2000)));
  EXPECT_TRUE(other.Running());
}

TEST_F(StackTest, ServicesThatFailAtStartAreReportedAndTheRestRuns) {
  // An alertmanager.yml it cannot load: the alertmanager exits at start, is reported with its
  // exit code, leaves no pid file, and the app comes up all the same.
  std::filesystem::create_directories(dir_.File("config/prometheus"));
  testutil::WriteFile(dir_.File("config/prometheus/prometheus.yml"), "scrape_configs: []\n");
  testutil::WriteFile(dir_.File("config/prometheus/alertmanager.yml"), "route: [this is not a route\n");
  flags_.replace(flags_.find(testutil::SourceDir()), testutil::SourceDir().size(), dir_.File("config"));
  std::string out;
  int rc = Run("up --only app,alertmanager --timeout 5s", &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("[OK]   app"), std::string::npos) << out;
  EXPECT_NE(out.find("[FAIL] alertmanager"), std::string::npos) << out;
  EXPECT_NE(out.find("exited at start with code"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("state/alertmanager.pid")));
  EXPECT_TRUE(testutil::WaitHttpOk(Url("app", "/health"), std::chrono::milliseconds(2000)));
}

TEST_F(StackTest, BadFlagsAreUsageErrors) {
  std::string out;
  EXPECT_EQ(RunCommand(testutil::SremonBin() + " up --ports web=1 --state-dir " + dir_.File("state"), &out), 2) << out;
  EXPECT_NE(out.find("unknown service \"web\""), std::string::npos) << out;
  EXPECT_EQ(Run("stop", &out), 2) << out;
  EXPECT_EQ(Run("up grafana", &out), 2) << out;
  EXPECT_EQ(Run("status --bogus", &out), 2) << out;
  EXPECT_EQ(RunCommand(testutil::SremonBin() + " nosuchcommand", &out), 2) << out;
}

TEST_F(StackTest, MissingConfigIsReportedBeforeStarting) {
  // A config dir without prometheus/.
  flags_.replace(flags_.find(testutil::SourceDir()), testutil::SourceDir().size(), dir_.path());
  std::string out;
  EXPECT_NE(Run("up --only app,storage", &out), 0);
  EXPECT_NE(out.find("needs " + dir_.path() + "/prometheus/prometheus.yml"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("state/app.pid")));
}

}  // namespace
}  // namespace sremon

namespace sremon {
namespace {

// The config tree of the repository, copied with the reference ports replaced by this test's.
void WriteConfigDir(const std::string& dir, const std::map<std::string, int>& ports) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::string>> subst = {
      {"localhost:8080", "localhost:" + std::to_string(ports.at("app"))},
      {"localhost:8428", "localhost:" + std::to_string(ports.at("storage"))},
      {"localhost:5001", "localhost:" + std::to_string(ports.at("inbox"))},
  };
  for (const char* top : {"prometheus", "grafana"}) {
    fs::path from = fs::path(testutil::SourceDir()) / top;
    for (const auto& e : fs::recursive_directory_iterator(from)) {
      fs::path to = fs::path(dir) / top / fs::relative(e.path(), from);
      if (e.is_directory()) {
        fs::create_directories(to);
        continue;
      }
      fs::create_directories(to.parent_path());
      std::string text = testutil::ReadFile(e.path());
      for (const auto& [a, b] : subst) {
        for (size_t p = text.find(a); p != std::string::npos; p = text.find(a, p + b.size())) text.replace(p, a.size(), b);
      }
      testutil::WriteFile(to, text);
    }
  }
}

// Every service of the table, on free ports: each must come up healthy with the command line the
// supervisor builds.
TEST_F(StackTest, WholeStackOnFreePorts) {
  WriteConfigDir(dir_.File("config"), ports_);
  flags_.replace(flags_.find(testutil::SourceDir()), testutil::SourceDir().size(), dir_.File("config"));
  std::string out;
  int rc = Run("up --timeout 20s", &out);
  std::vector<std::string> up;
  // One line per service: "  [OK]   app           started (pid N), healthy after M ms".
  std::map<std::string, std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string mark, name;
    words >> mark >> name;
    if (mark == "[OK]" || mark == "[FAIL]") lines[name] = line;
  }
  for (const auto& s : supervisor::Services()) {
    ASSERT_TRUE(lines.count(s.name)) << s.name << " missing from:\n" << out;
    const std::string& text = lines[s.name];
    if (text.find("[OK]") != std::string::npos) {
      up.push_back(s.name);
    } else {
      ADD_FAILURE() << s.name << " failed to start with the supervisor's command line:\n" << out
                    << testutil::ReadFile(dir_.File("state/logs/" + s.name + ".log"));
    }
  }
  EXPECT_EQ(rc, 0) << out;
  ASSERT_FALSE(up.empty());
  EXPECT_EQ(up[0], "app");
  std::string names;
  for (const auto& n : up) names += " " + n;
  ASSERT_EQ(Run("status" + names, &out), 0) << out;
  // The pages share one header naming the service and linking the other pages of the stack
  // (the supervisor passes their URLs in SREMON_STACK_URLS), not the service's own.
  const std::vector<std::string> pages = {"storage", "rules", "inbox", "alertmanager"};
  for (const auto& service : pages) {
    auto r = http::Get(Url(service, "/"));
    ASSERT_TRUE(r.ok() && r->status == 200) << service;
    EXPECT_NE(r->body.find("<b>sremon " + service + "</b>"), std::string::npos)
        << service << ":\n" << r->body;
    for (const auto& other : pages) {
      size_t link = r->body.find("<a href=\"" + Url(other, "") + "\">" + other + "</a>");
      if (other == service) {
        EXPECT_EQ(link, std::string::npos) << service << " links itself as a stack page";
      } else {
        EXPECT_NE(link, std::string::npos) << service << " has no link to " << other << ":\n" << r->body;
      }
    }
  }
  ASSERT_EQ(Run("down", &out), 0) << out;
  for (const auto& n : up) {
    EXPECT_FALSE(std::filesystem::exists(dir_.File("state/" + n + ".pid"))) << n;
    EXPECT_NE(out.find(n + " "), std::string::npos);
  }
  EXPECT_EQ(out.find("killed"), std::string::npos) << "every service stops on SIGTERM: " << out;
}

}  // namespace
}  // namespace sremon
