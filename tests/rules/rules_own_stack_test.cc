// `sremon rules` against sremon's own query API (api::RegisterPrometheusApi over MemStorage and
// our PromQL engine, in-process) and a real HTTP receiver: the shipped AppDown rule fires.
#include <atomic>

#include "api/prom_api.h"
#include "harness.h"
#include "promql/engine.h"
#include "storage/mem_storage.h"

namespace sremon::rules::e2e {
namespace {

TEST(RulesOwnStack, ShippedAppDownFiresAgainstOurQueryApi) {
  storage::MemStorage db;
  promql::Engine engine;
  http::ServerOptions so;
  so.name = "storage";
  so.listen_addr = "127.0.0.1:0";
  so.io_threads = 1;
  http::Server api(so);
  api::RegisterPrometheusApi(api, db, engine, {});
  ASSERT_TRUE(api.Start().ok());
  std::string api_url = "http://127.0.0.1:" + std::to_string(api.port());
  // The app is down: up == 0, scraped every 200 ms.
  std::atomic<bool> stop{false};
  std::thread scraper([&] {
    while (!stop) {
      auto app = db.NewAppender();
      (void)app->Append(model::Labels{{"__name__", "up"}, {"job", "sre_app"}, {"instance", "localhost:8080"}}, NowMs(), 0);
      (void)app->Commit();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  testutil::TempDir dir;
  // The shipped rules with a 1s interval and a 2s `for`, so the test is quick.
  std::string rules = testutil::ReadFile(testutil::SourceDir() + "/prometheus/alert_rules.yml");
  for (auto [from, to] : {std::pair<std::string, std::string>{"interval: 15s", "interval: 1s"}, {"for: 30s", "for: 2s"}}) {
    rules.replace(rules.find(from), from.size(), to);
  }
  testutil::WriteFile(dir.File("alert_rules.yml"), rules);
  Receiver am("/api/v2/alerts");
  RulesService rs(dir, {"-rule=" + dir.File("alert_rules.yml"), "-datasource.url=" + api_url, "-notifier.url=" + am.url()});
  ASSERT_TRUE(rs.ok());
  bool fired = testutil::Poll(std::chrono::seconds(15), [&] { return !am.Alerts().empty(); });
  stop = true;
  scraper.join();
  ASSERT_TRUE(fired) << testutil::ReadFile(dir.File("rules.log"));
  auto a = am.Alerts()[0];
  EXPECT_EQ(a["labels"], nlohmann::json({{"alertname", "AppDown"}, {"instance", "localhost:8080"}, {"job", "sre_app"}, {"severity", "critical"}}));
  EXPECT_EQ(a["annotations"]["description"], "A aplicação sre_app está fora do ar há mais de 30 segundos.");
  auto rules_json = rs.GetJson("/api/v1/rules");
  EXPECT_EQ(rules_json["data"]["groups"][0]["rules"][1]["name"], "HighRequestRate");
  EXPECT_EQ(rules_json["data"]["groups"][0]["rules"][1]["health"], "ok");
  api.Stop();
}

}  // namespace
}  // namespace sremon::rules::e2e
