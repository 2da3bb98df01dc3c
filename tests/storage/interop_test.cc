// Interop with Debian's victoria-metrics (the oracle): export from one, import into the other,
// both directions, same series and samples; and -remoteWrite.url forwarding to it through an
// outage of the receiver. Skipped when victoria-metrics is not installed.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "common.h"
#include "testutil/victoria_metrics.h"
#include "util/time.h"

namespace sremon::storage_e2e {
namespace {

using namespace std::chrono_literals;

#define REQUIRE_VM()                                                          \
  if (testutil::VictoriaMetrics::Binary().empty()) GTEST_SKIP() << "victoria-metrics is not installed"

// A small node_exporter-like page with counters, gauges, a histogram and awkward label values.
std::string Workload(int64_t t0, int points) {
  std::string out;
  for (int p = 0; p < points; ++p) {
    int64_t t = t0 + p * 15000;
    for (int host = 0; host < 3; ++host) {
      std::string h = "host=\"h" + std::to_string(host) + "\"";
      out += "io_cpu_seconds_total{" + h + ",mode=\"idle\"} " + std::to_string(1000.25 + p * 14.5 + host) + " " +
             std::to_string(t) + "\n";
      out += "io_memory_bytes{" + h + "} " + std::to_string(1e9 + p * 4096.0 - host * 3) + " " + std::to_string(t) + "\n";
      for (const char* le : {"0.1", "1", "+Inf"}) {
        out += "io_latency_seconds_bucket{" + h + ",le=\"" + le + "\"} " + std::to_string(p * 3 + host) + " " +
               std::to_string(t) + "\n";
      }
      out += "io_weird{" + h + ",path=\"/a \\\"q\\\" \\\\ b\"} -" + std::to_string(p) + ".5e-3 " + std::to_string(t) + "\n";
    }
  }
  return out;
}

size_t CountSamples(const SampleMap& m) {
  size_t n = 0;
  for (const auto& [k, v] : m) n += v.size();
  return n;
}

TEST(StorageInteropTest, VictoriaMetricsToOursAndBack) {
  REQUIRE_VM();
  testutil::TempDir dir;
  testutil::VictoriaMetrics vm(dir.path());
  ASSERT_TRUE(vm.ok()) << testutil::ReadFile(vm.log());
  Proc ours = StartStorage(dir.path());
  ASSERT_TRUE(ours.child);
  int64_t t0 = (NowMs() - 3600 * 1000) / 1000 * 1000;
  std::string page = Workload(t0, 20);

  // Into VM, out of VM, into ours.
  ASSERT_EQ(PostStatus(vm.url() + "/api/v1/import/prometheus", page), 204);
  vm.Flush();
  std::string from_vm = http::Get(vm.url() + "/api/v1/export?match[]={__name__=~\"io_.*\"}")->body;
  SampleMap vm_map = ParseExport(from_vm);
  ASSERT_EQ(CountSamples(vm_map), 20u * 3 * 6);
  std::string body;
  ASSERT_EQ(PostStatus(ours.base + "/api/v1/import", from_vm, &body), 204) << body;
  EXPECT_EQ(Export(ours.base, "{__name__=~\"io_.*\"}"), vm_map);

  // The same page straight into ours gives what VM stored.
  testutil::TempDir dir2;
  Proc ours2 = StartStorage(dir2.path());
  ASSERT_TRUE(ours2.child);
  ASSERT_EQ(PostStatus(ours2.base + "/api/v1/import/prometheus", page), 204);
  SampleMap ours_map = Export(ours2.base, "{__name__=~\"io_.*\"}");
  EXPECT_EQ(ours_map, vm_map);

  // Out of ours, into a fresh VM.
  testutil::TempDir dir3;
  testutil::VictoriaMetrics vm2(dir3.path());
  ASSERT_TRUE(vm2.ok());
  std::string from_ours = http::Get(ours2.base + "/api/v1/export?match[]={__name__=~\"io_.*\"}")->body;
  ASSERT_EQ(PostStatus(vm2.url() + "/api/v1/import", from_ours), 204);
  vm2.Flush();
  EXPECT_EQ(Export(vm2.url(), "{__name__=~\"io_.*\"}"), ours_map);
}

TEST(StorageInteropTest, RemoteWriteToVictoriaMetricsSurvivesOutage) {
  REQUIRE_VM();
  testutil::TempDir dir;
  testutil::VictoriaMetrics vm(dir.path());
  ASSERT_TRUE(vm.ok());
  Proc ours = StartStorage(dir.path(), {"-remoteWrite.url=" + vm.url() + "/api/v1/write"});
  ASSERT_TRUE(ours.child);
  int64_t t0 = (NowMs() - 1800 * 1000) / 1000 * 1000;
  std::string first = Workload(t0, 10);
  std::string second = Workload(t0 + 10 * 15000, 10);
  ASSERT_EQ(PostStatus(ours.base + "/api/v1/import/prometheus", first), 204);

  auto wait_vm = [&](testutil::VictoriaMetrics& p, size_t want) {
    SampleMap m;
    for (int i = 0; i < 150; ++i) {
      p.Flush();
      m = Export(p.url(), "{__name__=~\"io_.*\"}");
      if (CountSamples(m) >= want) break;
      std::this_thread::sleep_for(100ms);
    }
    return m;
  };
  EXPECT_EQ(CountSamples(wait_vm(vm, 180)), 180u);

  // Receiver outage: graceful stop (VictoriaMetrics loses its last seconds on kill -9).
  vm.Stop();
  ASSERT_EQ(PostStatus(ours.base + "/api/v1/import/prometheus", second), 204);
  std::this_thread::sleep_for(1500ms);  // the forwarder fails and queues to disk meanwhile
  testutil::VictoriaMetrics vm_again(dir.path(), vm.port());
  ASSERT_TRUE(vm_again.ok()) << testutil::ReadFile(vm_again.log());
  SampleMap got = wait_vm(vm_again, 360);
  EXPECT_EQ(CountSamples(got), 360u);
  EXPECT_EQ(got, Export(ours.base, "{__name__=~\"io_.*\"}"));
}

}  // namespace
}  // namespace sremon::storage_e2e
