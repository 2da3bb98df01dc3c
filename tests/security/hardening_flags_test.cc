// Issue 12 §7: numeric flags out of range used to reach undefined casts and start anyway. Each
// service must now exit 2 before doing anything, naming the flag, the value and the range.
#include "hardening_common.h"

namespace sremon::hardening {
namespace {

struct Case {
  std::string args;  // after `sremon`
  std::string want;  // in the output
};

TEST(HardeningFlags, OutOfRangeNumbersExitTwo) {
  testutil::TempDir dir;
  std::string port = std::to_string(testutil::FreePort());
  std::string vm = "storage -storageDataPath=" + dir.File("vm") + " -httpListenAddr=127.0.0.1:" + port + " ";
  std::string rules = "rules -rule=" + dir.File("none.yml") + " -datasource.url=http://127.0.0.1:1 -httpListenAddr=127.0.0.1:" +
                      port + " ";
  std::string am = "alertmanager --storage.path=" + dir.File("am") + " --web.listen-address=127.0.0.1:" + port + " ";
  const Case cases[] = {
      // The three of the issue.
      {vm + "-retentionPeriod=1000000000000y", "invalid -retentionPeriod=\"1000000000000y\": must be between 1d and 100y"},
      {vm + "-search.maxUniqueTimeseries=-5",
       "invalid -search.maxUniqueTimeseries=\"-5\": must be an integer between 1 and 1099511627776"},
      {vm + "-maxInsertRequestSize=-1", "invalid -maxInsertRequestSize=\"-1\": must be an integer between 1 and 1073741824"},
      // Around them.
      {vm + "-retentionPeriod=1h", "must be between 1d and 100y"},
      {vm + "-maxInsertRequestSize=1e300", "invalid -maxInsertRequestSize"},
      {vm + "-maxInsertRequestSize=NaN", "invalid -maxInsertRequestSize"},
      {vm + "-maxInsertRequestSize=2GiB", "invalid -maxInsertRequestSize=\"2GiB\""},
      {vm + "-maxInsertRequestSize=lots", "invalid -maxInsertRequestSize"},
      {vm + "-maxLabelsPerTimeseries=0", "invalid -maxLabelsPerTimeseries"},
      {vm + "-maxLabelValueLen=-4096", "invalid -maxLabelValueLen"},
      {vm + "-search.maxSamplesPerQuery=1.5", "must be an integer"},
      {vm + "-search.maxPointsPerTimeseries=18446744073709551616", "invalid -search.maxPointsPerTimeseries"},
      {vm + "-remoteWrite.maxDiskUsagePerURL=-1GiB", "invalid -remoteWrite.maxDiskUsagePerURL"},
      {vm + "-search.maxQueryDuration=-5s", "invalid -search.maxQueryDuration"},
      {vm + "-search.maxQueryDuration=100000000y", "invalid -search.maxQueryDuration"},
      {rules + "-rule.resendDelay=-5", "invalid -rule.resendDelay"},
      {rules + "-evaluationInterval=1000y", "invalid -evaluationInterval"},
      {am + "--data.retention=-1h", "invalid -data.retention"},
      {"inbox -storageDataPath=" + dir.File("inbox") + " -maxNotifications=0", "invalid -maxNotifications=\"0\""},
      {"inbox -storageDataPath=" + dir.File("inbox") + " -maxNotifications=99999999999999999999", "invalid -maxNotifications"},
      {"app -chaos.errorRate=2", "invalid -chaos.errorRate=\"2\": must be a number between 0 and 1"},
      {"app -chaos.latencyMs=-1", "invalid -chaos.latencyMs"},
      {"app -http.ioThreads=-1", "invalid -http.ioThreads"},
      {"load -c 0 http://127.0.0.1:1", "invalid -concurrency=\"0\""},
      {"load --rate=-3 http://127.0.0.1:1", "invalid -rate"},
      {"logs --tail=-1", "invalid -tail"},
  };
  for (const auto& c : cases) {
    std::string out;
    // `timeout`: a service that accepts the value starts serving instead of exiting (the bug).
    int rc = testutil::RunCommand("timeout 5 " + testutil::SremonBin() + " " + c.args + " 2>&1", &out);
    EXPECT_EQ(rc, 2) << c.args << "\n" << out;
    EXPECT_NE(out.find(c.want), std::string::npos) << c.args << "\n" << out;
  }
}

TEST(HardeningFlags, InRangeValuesAndSizeSuffixesWork) {
  testutil::TempDir dir;
  // VictoriaMetrics' size suffixes: a 1KiB limit refuses a 2 KB body.
  Service vm = Start(dir, "storage", "-httpListenAddr",
                     {"-storageDataPath=" + dir.File("vm"), "-maxInsertRequestSize=1KiB", "-retentionPeriod=100y",
                      "-search.maxUniqueTimeseries=1e6", "-remoteWrite.maxDiskUsagePerURL=4GiB"});
  ASSERT_TRUE(vm.child) << testutil::ReadFile(vm.log);
  EXPECT_EQ(Send("POST", vm.base + "/api/v1/import/prometheus", "small 1\n").status, 204);
  EXPECT_EQ(Send("POST", vm.base + "/api/v1/import/prometheus", std::string(2048, '#') + "\n").status, 413);
}

}  // namespace
}  // namespace sremon::hardening
