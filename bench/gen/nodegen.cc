#include "gen/nodegen.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace sremon::bench {
namespace {

enum Kind {
  kConst,        // a: value
  kCounterDec2,  // CPU-seconds style: a = mean increment per step, 2 decimals
  kCounterInt,   // bytes/packets: a = mean increment per step, integer
  kCounterRare,  // errors, drops: +1 now and then (a = probability)
  kGaugePages,   // memory style: random walk in 4 KiB steps around a
  kGaugeSlow,    // filesystem free: changes rarely, 4 KiB steps
  kGaugeDec1,    // temperatures: a +- b, 1 decimal
  kGaugeDec2,    // load average: 0..a, 2 decimals
  kHistBucket,   // cumulative bucket counter: a = share of requests
  kHistSum,      // sum of durations, 3 decimals
};

uint64_t SplitMix(uint64_t* x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
double Uniform(uint64_t* x) { return (SplitMix(x) >> 11) * 0x1.0p-53; }

void Add(std::vector<GenSeries>* out, std::string name, std::vector<std::pair<std::string, std::string>> labels,
         int kind, double a, double b = 0) {
  std::sort(labels.begin(), labels.end());
  out->push_back({std::move(name), std::move(labels), kind, a, b});
}

std::vector<GenSeries> HostSeries() {
  std::vector<GenSeries> s;
  const char* modes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  const double mode_rate[] = {13.2, 0.05, 0.0, 0.01, 0.08, 0.0, 0.45, 1.1};
  for (int cpu = 0; cpu < 8; cpu++) {
    for (int m = 0; m < 8; m++) {
      Add(&s, "node_cpu_seconds_total", {{"cpu", std::to_string(cpu)}, {"mode", modes[m]}},
          mode_rate[m] == 0 ? kConst : kCounterDec2, mode_rate[m]);
    }
  }
  const char* mem[] = {"Active", "Active_anon", "Active_file", "AnonHugePages", "AnonPages", "Bounce", "Buffers",
                       "Cached", "CommitLimit", "Committed_AS", "DirectMap1G", "DirectMap2M", "DirectMap4k",
                       "Dirty", "HugePages_Free", "HugePages_Rsvd", "HugePages_Total", "Hugepagesize",
                       "Inactive", "Inactive_anon", "Inactive_file", "KernelStack", "Mapped", "MemAvailable",
                       "MemFree", "MemTotal", "Mlocked", "NFS_Unstable", "PageTables", "SReclaimable",
                       "SUnreclaim", "Shmem", "Slab", "SwapCached", "SwapFree", "SwapTotal", "Unevictable",
                       "VmallocChunk", "VmallocTotal", "VmallocUsed"};
  int i = 0;
  for (const char* m : mem) {
    bool constant = i % 3 == 2;
    Add(&s, fmt::format("node_memory_{}_bytes", m), {}, constant ? kConst : kGaugePages,
        4096.0 * (100000 + 7919 * i), 0);
    i++;
  }
  const char* devs[] = {"eth0", "eth1", "lo", "docker0"};
  const char* net[] = {"receive_bytes_total", "transmit_bytes_total", "receive_packets_total",
                       "transmit_packets_total", "receive_errs_total", "transmit_errs_total",
                       "receive_drop_total", "transmit_drop_total"};
  for (int d = 0; d < 4; d++) {
    for (int n = 0; n < 8; n++) {
      int kind = n < 2 ? kCounterInt : n < 4 ? kCounterInt : kCounterRare;
      double rate = n < 2 ? 150000.0 / (d + 1) : n < 4 ? 300.0 / (d + 1) : 0.02;
      Add(&s, fmt::format("node_network_{}", net[n]), {{"device", devs[d]}}, kind, rate);
    }
  }
  const char* disks[] = {"sda", "sdb", "nvme0n1", "dm-0"};
  const char* disk[] = {"reads_completed_total", "writes_completed_total", "read_bytes_total", "written_bytes_total",
                        "io_time_seconds_total", "read_time_seconds_total", "write_time_seconds_total",
                        "io_now", "reads_merged_total", "writes_merged_total"};
  for (int d = 0; d < 4; d++) {
    for (int k = 0; k < 10; k++) {
      int kind = k == 7 ? kGaugeDec2 : (k >= 4 && k <= 6) ? kCounterDec2 : kCounterInt;
      double rate = k == 7 ? 3 : (k >= 4 && k <= 6) ? 0.3 : (k == 2 || k == 3) ? 40000.0 : 20.0;
      Add(&s, fmt::format("node_disk_{}", disk[k]), {{"device", disks[d]}}, kind, rate);
    }
  }
  const char* mounts[] = {"/", "/boot", "/home", "/var", "/var/lib/docker", "/tmp"};
  const char* fsm[] = {"avail_bytes", "free_bytes", "size_bytes", "files", "files_free", "readonly"};
  for (int m = 0; m < 6; m++) {
    for (int k = 0; k < 6; k++) {
      bool constant = k == 2 || k == 3 || k == 5;
      Add(&s, fmt::format("node_filesystem_{}", fsm[k]),
          {{"device", fmt::format("/dev/sda{}", m + 1)}, {"fstype", m == 1 ? "vfat" : "ext4"}, {"mountpoint", mounts[m]}},
          constant ? kConst : kGaugeSlow, k == 5 ? 0 : 4096.0 * (2000000 + 104729 * m));
    }
  }
  Add(&s, "node_load1", {}, kGaugeDec2, 4);
  Add(&s, "node_load5", {}, kGaugeDec2, 3);
  Add(&s, "node_load15", {}, kGaugeDec2, 2);
  Add(&s, "node_boot_time_seconds", {}, kConst, 1699000000);
  Add(&s, "node_time_seconds", {}, kCounterDec2, 15.0);
  for (int t = 0; t < 16; t++) {
    Add(&s, "node_hwmon_temp_celsius", {{"chip", "platform_coretemp_0"}, {"sensor", fmt::format("temp{}", t + 1)}},
        kGaugeDec1, 45 + t % 5, 3);
  }
  const char* handlers[] = {"/", "/api/items", "/api/orders", "/health", "/metrics"};
  const char* les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"};
  const double share[] = {0.1, 0.25, 0.45, 0.62, 0.78, 0.9, 0.95, 0.98, 0.995, 0.999, 1.0, 1.0};
  for (int h = 0; h < 5; h++) {
    double rps = 40.0 / (h + 1);
    for (int b = 0; b < 12; b++) {
      Add(&s, "http_request_duration_seconds_bucket", {{"handler", handlers[h]}, {"le", les[b]}}, kHistBucket,
          rps * 15 * share[b]);
    }
    Add(&s, "http_request_duration_seconds_sum", {{"handler", handlers[h]}}, kHistSum, rps * 15 * 0.04);
    Add(&s, "http_request_duration_seconds_count", {{"handler", handlers[h]}}, kHistBucket, rps * 15);
  }
  const char* go[] = {"go_goroutines", "go_threads", "go_memstats_alloc_bytes", "go_memstats_heap_inuse_bytes",
                      "go_memstats_heap_idle_bytes", "go_memstats_stack_inuse_bytes", "go_memstats_sys_bytes",
                      "go_memstats_mallocs_total", "go_memstats_frees_total", "go_gc_duration_seconds_count",
                      "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds",
                      "process_cpu_seconds_total", "process_start_time_seconds"};
  for (int g = 0; g < 15; g++) {
    int kind = g == 14 ? kConst : (g == 7 || g == 8) ? kCounterInt : g == 9 ? kCounterRare : g == 13 ? kCounterDec2 : kGaugePages;
    double a = kind == kCounterInt ? 5000 : kind == kCounterRare ? 0.3 : kind == kCounterDec2 ? 0.12 : 4096.0 * (3000 + 97 * g);
    Add(&s, go[g], {}, kind, a);
  }
  for (int k = 0; k < 100; k++) {
    Add(&s, fmt::format("node_netstat_{}", k), {}, k % 4 == 0 ? kConst : k % 4 == 1 ? kCounterRare : kCounterInt,
        k % 4 == 1 ? 0.05 : 3.0 + k, 0);
  }
  for (int k = 0; k < 70; k++) {
    Add(&s, fmt::format("node_vmstat_{}", k), {}, k % 5 == 0 ? kConst : kCounterInt, 50.0 * (k + 1));
  }
  return s;
}

}  // namespace

NodeWorkload::NodeWorkload(const NodeWorkloadOptions& o) : o_(o), per_host_(HostSeries()), rng_(o.seed) {
  for (int h = 0; h < o_.hosts; h++) {
    for (const auto& s : per_host_) {
      GenSeries g = s;
      g.labels.push_back({"instance", fmt::format("host-{:02d}:9100", h)});
      g.labels.push_back({"job", "node"});
      std::sort(g.labels.begin(), g.labels.end());
      all_.push_back(std::move(g));
    }
  }
  values_.assign(all_.size(), 0);
  state_.assign(all_.size(), 0);
}

int64_t NodeWorkload::Timestamp(int host, int64_t step) const {
  uint64_t x = o_.seed * 1000003 + host * 7919 + step;
  int64_t jitter = static_cast<int64_t>(SplitMix(&x) % 4);  // real scrapes drift by a few ms
  return o_.start_ms + step * o_.interval_ms + host * 731 % o_.interval_ms + jitter;
}

void NodeWorkload::NextStep() {
  step_++;
  for (size_t i = 0; i < all_.size(); i++) {
    const GenSeries& g = all_[i];
    double& st = state_[i];
    double u = Uniform(&rng_);
    double v = 0;
    switch (g.kind) {
      case kConst:
        v = g.a;
        break;
      case kCounterDec2:
        if (step_ == 0) st = std::floor(g.a * 100000 * (1 + u)) / 100;
        st += std::nearbyint(g.a * (0.5 + u) * 100) / 100;
        v = std::nearbyint(st * 100) / 100;
        break;
      case kCounterInt:
        if (step_ == 0) st = std::floor(g.a * 10000 * (1 + u));
        st += std::floor(g.a * (0.5 + u));
        v = st;
        break;
      case kCounterRare:
        if (u < g.a) st += 1;
        v = st;
        break;
      case kGaugePages:
        if (step_ == 0) st = g.a;
        st += 4096.0 * std::floor((u - 0.5) * 64);
        v = std::max(st, 0.0);
        break;
      case kGaugeSlow:
        if (step_ == 0) st = g.a;
        if (u < 0.05) st -= 4096.0 * std::floor(u * 200);
        v = st;
        break;
      case kGaugeDec1:
        v = std::nearbyint((g.a + (u - 0.5) * 2 * g.b) * 10) / 10;
        break;
      case kGaugeDec2:
        st = 0.9 * st + 0.1 * u * g.a;
        v = std::nearbyint(st * 100) / 100;
        break;
      case kHistBucket:
        st += std::floor(g.a * (0.8 + 0.4 * u));
        v = st;
        break;
      case kHistSum:
        st += std::nearbyint(g.a * (0.8 + 0.4 * u) * 1000) / 1000;
        v = std::nearbyint(st * 1000) / 1000;
        break;
    }
    values_[i] = v;
  }
}

void NodeWorkload::AppendText(std::string* out) const {
  size_t per = per_host_.size();
  for (int h = 0; h < o_.hosts; h++) {
    int64_t ts = Timestamp(h, step_);
    for (size_t i = 0; i < per; i++) {
      const GenSeries& g = all_[h * per + i];
      out->append(g.name);
      out->push_back('{');
      for (size_t l = 0; l < g.labels.size(); l++) {
        if (l) out->push_back(',');
        out->append(g.labels[l].first);
        out->append("=\"");
        out->append(g.labels[l].second);
        out->push_back('"');
      }
      fmt::format_to(std::back_inserter(*out), "}} {} {}\n", values_[h * per + i], ts);
    }
  }
}

}  // namespace sremon::bench
