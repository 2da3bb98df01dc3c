#include <cstdlib>

#include <gtest/gtest.h>

#include "supervisor/stack.h"

namespace sremon::supervisor {
namespace {

TEST(StackTest, TableHasEveryServiceOnceWithItsDefaults) {
  std::map<std::string, int> want = {{"app", 8080},   {"storage", 8428}, {"inbox", 5001},
                                     {"alertmanager", 9093}, {"rules", 8880}, {"dashboards", 3000}};
  ASSERT_EQ(Services().size(), want.size());
  for (const auto& s : Services()) {
    ASSERT_TRUE(want.count(s.name)) << s.name;
    EXPECT_EQ(s.default_port, want[s.name]) << s.name;
    EXPECT_FALSE(s.health_path.empty());
    EXPECT_FALSE(s.endpoints.empty());
  }
  // Dependencies start first: storage before rules, inbox before alertmanager before rules.
  auto index = [](std::string_view n) { return FindService(n) - Services().data(); };
  EXPECT_LT(index("storage"), index("rules"));
  EXPECT_LT(index("inbox"), index("alertmanager"));
  EXPECT_LT(index("alertmanager"), index("rules"));
}

TEST(StackTest, ParsePorts) {
  std::map<std::string, int, std::less<>> ports = {{"app", 8080}};
  ASSERT_TRUE(ParsePorts("app=18080, storage=18428", &ports).ok());
  EXPECT_EQ(ports["app"], 18080);
  EXPECT_EQ(ports["storage"], 18428);
  ASSERT_TRUE(ParsePorts("", &ports).ok());
  auto bad = [&](std::string_view spec, std::string_view want) {
    Status st = ParsePorts(spec, &ports);
    ASSERT_FALSE(st.ok()) << spec;
    EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
  };
  bad("app", "want SERVICE=PORT");
  bad("web=80", "unknown service \"web\"");
  bad("app=0", "port must be 1..65535");
  bad("app=70000", "port must be 1..65535");
  bad("app=http", "port must be 1..65535");
  bad("\xf1\xf5=1", "not printable ASCII");
}

TEST(StackTest, SelectServicesKeepsTableOrder) {
  auto all = SelectServices("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), Services().size());
  auto some = SelectServices("rules,app storage");
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->size(), 3u);
  EXPECT_EQ((*some)[0]->name, "app");
  EXPECT_EQ((*some)[1]->name, "storage");
  EXPECT_EQ((*some)[2]->name, "rules");
  EXPECT_FALSE(SelectServices("app,grafana").ok());
}

TEST(StackTest, CommandLinesUseTheConfiguredPortsAndDirs) {
  StackConfig c;
  c.binary = "/bin/sremon";
  c.state_dir = "/s";
  c.data_dir = "/d";
  c.config_dir = "/c";
  for (const auto& s : Services()) c.ports[s.name] = s.default_port + 10000;
  auto line = [&](std::string_view name) {
    std::string out;
    for (const auto& a : CommandLine(*FindService(name), c)) out += a + " ";
    return out;
  };
  EXPECT_EQ(line("app"), "/bin/sremon app -httpListenAddr=127.0.0.1:18080 ");
  EXPECT_EQ(line("storage"),
            "/bin/sremon storage -promscrape.config=/c/prometheus/prometheus.yml -storageDataPath=/d/storage "
            "-retentionPeriod=30d -httpListenAddr=127.0.0.1:18428 -vmalert.proxyURL=http://127.0.0.1:18880 ");
  EXPECT_EQ(line("alertmanager"),
            "/bin/sremon alertmanager --config.file=/c/prometheus/alertmanager.yml --storage.path=/d/alertmanager "
            "--web.listen-address=127.0.0.1:19093 ");
  EXPECT_EQ(line("rules"),
            "/bin/sremon rules -rule=/c/prometheus/alert_rules.yml -datasource.url=http://127.0.0.1:18428 "
            "-remoteWrite.url=http://127.0.0.1:18428 -remoteRead.url=http://127.0.0.1:18428 "
            "-notifier.url=http://127.0.0.1:19093 -evaluationInterval=15s -httpListenAddr=127.0.0.1:18880 ");
  EXPECT_EQ(line("inbox"), "/bin/sremon inbox -httpListenAddr=127.0.0.1:15001 -storageDataPath=/d/inbox ");
  EXPECT_EQ(line("dashboards"),
            "/bin/sremon dashboards -httpListenAddr=127.0.0.1:13000 --data=/d/dashboards "
            "--rules.url=http://127.0.0.1:18880 --alertmanager.url=http://127.0.0.1:19093 ");
  EXPECT_EQ(FindService("dashboards")->env(c), std::vector<std::string>{"GF_PATHS_PROVISIONING=/c/grafana/provisioning"});
  EXPECT_EQ(c.PidFile("app"), "/s/app.pid");
  EXPECT_EQ(c.LogFile("app"), "/s/logs/app.log");
}

TEST(StackTest, ExtraFlagsFromEnvironment) {
  setenv("SREMON_STORAGE_FLAGS", " -httpAuth.username=u  -httpAuth.password=p ", 1);
  setenv("SREMON_ALERTMANAGER_FLAGS", "--web.config.file=/c/web.yml", 1);
  auto c = ResolveStackConfig(StackFlags{});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto argv = CommandLine(*FindService("storage"), *c);
  ASSERT_GE(argv.size(), 2u);
  EXPECT_EQ(argv[argv.size() - 2], "-httpAuth.username=u");
  EXPECT_EQ(argv.back(), "-httpAuth.password=p");
  EXPECT_EQ(CommandLine(*FindService("alertmanager"), *c).back(), "--web.config.file=/c/web.yml");
  EXPECT_EQ(CommandLine(*FindService("app"), *c).back().rfind("-httpListenAddr=", 0), 0u);
  setenv("SREMON_STORAGE_FLAGS", "notaflag", 1);
  EXPECT_FALSE(ResolveStackConfig(StackFlags{}).ok());
  unsetenv("SREMON_STORAGE_FLAGS");
  unsetenv("SREMON_ALERTMANAGER_FLAGS");
}

TEST(StackTest, ResolveRejectsDuplicatePorts) {
  unsetenv("SREMON_PORTS");  // the defaults below are the table's
  unsetenv("SREMON_STATE_DIR");
  StackFlags f;
  f.ports = "app=18080,storage=18080";
  auto c = ResolveStackConfig(f);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("both have port 18080"), std::string::npos);
  f.ports = "app=18080";
  f.state_dir = "rel/state";
  c = ResolveStackConfig(f);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state_dir.front(), '/');
  EXPECT_EQ(c->Port("app"), 18080);
  EXPECT_EQ(c->Port("storage"), 8428);
}

}  // namespace
}  // namespace sremon::supervisor
