// Our services and the upstream programs Debian ships, mixed in every combination the reference
// allows (issue #8): storage = sremon storage | victoria-metrics, rules = sremon rules | vmalert,
// alertmanager = sremon alertmanager | prometheus-alertmanager; the app and the inbox are ours.
// Each combination runs the AppDown drill through the real HTTP APIs: stop the app → up == 0 →
// AppDown firing in the rules API → in the Alertmanager API → firing in the inbox → start the
// app → resolved in the inbox. (The all-sremon combination is the drills suite; the
// all-upstream one would test nothing of ours.) Skipped when an upstream program is absent.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testutil/probes.h"
#include "testutil/stack_config.h"
#include "testutil/testutil.h"

namespace sremon {
namespace {

using namespace std::chrono_literals;
using testutil::Child;
using testutil::TempDir;

struct Combination {
  bool our_storage, our_rules, our_alertmanager;
  std::string Name() const {
    return std::string(our_storage ? "sremonStorage" : "victoriaMetrics") + "_" +
           (our_rules ? "sremonRules" : "vmalert") + "_" + (our_alertmanager ? "sremonAlertmanager" : "alertmanager");
  }
};

void PrintTo(const Combination& c, std::ostream* os) { *os << c.Name(); }

class InteropMatrixTest : public ::testing::TestWithParam<Combination> {
 protected:
  void SetUp() override {
    const Combination& c = GetParam();
    for (const auto& [ours, program] : {std::pair{c.our_storage, "victoria-metrics"}, {c.our_rules, "vmalert"},
                                        {c.our_alertmanager, "prometheus-alertmanager"}}) {
      if (!ours && !testutil::Installed(program)) GTEST_SKIP() << program << " is not installed";
    }
    app_port_ = testutil::FreePort();
    storage_ = Base(testutil::FreePort());
    rules_ = Base(testutil::FreePort());
    am_ = Base(testutil::FreePort());
    inbox_ = Base(testutil::FreePort());
    testutil::WriteFastStackConfig(dir_.path(), app_port_, Port(storage_), Port(inbox_));

    StartApp();
    Start("inbox", {Sremon(), "inbox", "-httpListenAddr=" + Addr(inbox_), "-storageDataPath=" + dir_.File("inbox")},
          inbox_ + "/health");
    if (c.our_storage) {
      Start("storage", {Sremon(), "storage", "-httpListenAddr=" + Addr(storage_), "-storageDataPath=" + dir_.File("storage"),
                        "-promscrape.config=" + dir_.File("prometheus/prometheus.yml")}, storage_ + "/health");
    } else {
      // latencyOffset 0: VictoriaMetrics otherwise hides the last 30 s from instant queries.
      Start("storage", {"/usr/bin/victoria-metrics", "-httpListenAddr=" + Addr(storage_),
                        "-storageDataPath=" + dir_.File("vm"), "-promscrape.config=" + dir_.File("prometheus/prometheus.yml"),
                        "-search.latencyOffset=0s", "-search.disableCache"}, storage_ + "/health");
    }
    if (c.our_alertmanager) {
      Start("alertmanager", {Sremon(), "alertmanager", "--web.listen-address=" + Addr(am_),
                             "--config.file=" + dir_.File("prometheus/alertmanager.yml"), "--storage.path=" + dir_.File("am")},
            am_ + "/-/healthy");
    } else {
      Start("alertmanager", {"/usr/bin/prometheus-alertmanager", "--web.listen-address=" + Addr(am_),
                             "--config.file=" + dir_.File("prometheus/alertmanager.yml"), "--storage.path=" + dir_.File("am"),
                             "--cluster.listen-address="}, am_ + "/-/healthy");
    }
    std::vector<std::string> rules_flags = {"-httpListenAddr=" + Addr(rules_), "-rule=" + dir_.File("prometheus/alert_rules.yml"),
                                            "-datasource.url=" + storage_, "-remoteRead.url=" + storage_,
                                            "-remoteWrite.url=" + storage_, "-notifier.url=" + am_,
                                            "-evaluationInterval=1s"};
    std::vector<std::string> argv = c.our_rules ? std::vector<std::string>{Sremon(), "rules"}
                                                : std::vector<std::string>{"/usr/bin/vmalert"};
    argv.insert(argv.end(), rules_flags.begin(), rules_flags.end());
    Start("rules", argv, rules_ + "/health");
  }

  void TearDown() override {
    if (HasFailure()) {
      for (const char* s : {"storage", "rules", "alertmanager", "inbox"}) {
        std::string log = testutil::ReadFile(dir_.File(std::string(s) + ".log"));
        std::cerr << "---- " << s << " log (tail)\n" << (log.size() > 2500 ? log.substr(log.size() - 2500) : log);
      }
    }
  }

  static std::string Sremon() { return testutil::SremonBin(); }
  static std::string Base(int port) { return "http://127.0.0.1:" + std::to_string(port); }
  static std::string Addr(const std::string& base) { return base.substr(7); }
  static int Port(const std::string& base) { return std::stoi(base.substr(base.rfind(':') + 1)); }

  void Start(const std::string& name, std::vector<std::string> argv, const std::string& health) {
    children_.push_back(std::make_unique<Child>(std::move(argv), dir_.File(name + ".log")));
    ASSERT_TRUE(testutil::WaitHttpOk(health, 15s)) << name << " did not become healthy:\n"
                                                   << testutil::ReadFile(dir_.File(name + ".log"));
  }

  void StartApp() {
    app_ = std::make_unique<Child>(std::vector<std::string>{Sremon(), "app", "-httpListenAddr=127.0.0.1:" +
                                                                                std::to_string(app_port_)},
                                   dir_.File("app.log"));
    ASSERT_TRUE(testutil::WaitHttpOk(Base(app_port_) + "/health", 10s));
  }

  bool Eventually(const std::string& what, std::chrono::seconds timeout, const std::function<bool()>& pred) {
    if (testutil::Poll(timeout, pred)) return true;
    ADD_FAILURE() << GetParam().Name() << ": timed out after " << timeout.count() << "s waiting for " << what;
    return false;
  }

  TempDir dir_;
  int app_port_ = 0;
  std::string storage_, rules_, am_, inbox_;
  std::unique_ptr<Child> app_;
  std::vector<std::unique_ptr<Child>> children_;
};

TEST_P(InteropMatrixTest, AppDownDrill) {
  ASSERT_TRUE(Eventually("up == 1", 20s, [&] { return testutil::QueryValue(storage_, "up{job=\"sre_app\"}") == 1; }));
  app_->Stop(SIGTERM);  // `sremon stop app`, as the reference's `docker stop sre_app`
  EXPECT_TRUE(Eventually("up == 0", 15s, [&] { return testutil::QueryValue(storage_, "up{job=\"sre_app\"}") == 0; }));
  EXPECT_TRUE(Eventually("AppDown firing in the rules API", 30s,
                         [&] { return testutil::RuleAlertState(rules_, "AppDown") == "firing"; }));
  EXPECT_TRUE(Eventually("AppDown in the Alertmanager API", 15s, [&] { return testutil::AlertmanagerHas(am_, "AppDown"); }));
  EXPECT_TRUE(Eventually("firing AppDown in the inbox", 20s,
                         [&] { return testutil::InboxHas(inbox_, "AppDown", "firing"); }));
  StartApp();
  EXPECT_TRUE(Eventually("resolved AppDown in the inbox", 45s,
                         [&] { return testutil::InboxHas(inbox_, "AppDown", "resolved"); }));
}

INSTANTIATE_TEST_SUITE_P(Mixed, InteropMatrixTest,
                         ::testing::Values(Combination{true, false, true}, Combination{true, false, false},
                                           Combination{false, true, false}, Combination{false, true, true},
                                           Combination{true, true, false}, Combination{false, false, true}),
                         [](const ::testing::TestParamInfo<Combination>& info) { return info.param.Name(); });

}  // namespace
}  // namespace sremon
