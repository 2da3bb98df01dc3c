// sremon-tsdb-bench: the TSDB engine on the node_exporter-like workload (gen/nodegen.h), in
// process (no HTTP, no text parsing: those are measured by the storage service benchmark).
//   sremon-tsdb-bench [-hosts=20] [-hours=24] [-dir=/tmp/tsdb-bench] [-batch=host]
// Prints: ingest rate, RSS after ingest, WAL replay rate at reopen, bytes per sample after
// flush + merge, and the latency of a few typical selects.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "gen/nodegen.h"
#include "tsdb/db.h"

namespace {

using Clock = std::chrono::steady_clock;
double Secs(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

// CPU seconds of the whole process: on a shared machine wall time says more about the neighbours.
double CpuSecs() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

uint64_t StatusKb(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) return std::strtoull(line.c_str() + std::strlen(key) + 1, nullptr, 10);
  }
  return 0;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

void Die(const sremon::Status& st, const char* what) {
  if (st.ok()) return;
  fmt::print(stderr, "{}: {}\n", what, st.ToString());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  sremon::bench::NodeWorkloadOptions wo;
  double hours = 24;
  std::string dir = "/tmp/sremon-tsdb-bench";
  int64_t fsync_ms = 1000;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    while (!a.empty() && a[0] == '-') a.erase(0, 1);
    auto eq = a.find('=');
    std::string k = a.substr(0, eq), v = eq == std::string::npos ? "" : a.substr(eq + 1);
    if (k == "hosts") wo.hosts = std::atoi(v.c_str());
    else if (k == "hours") hours = std::atof(v.c_str());
    else if (k == "dir") dir = v;
    else if (k == "fsync_ms") fsync_ms = std::atoll(v.c_str());
    else {
      fmt::print(stderr, "usage: {} [-hosts=20] [-hours=24] [-dir=DIR]\n", argv[0]);
      return 2;
    }
  }
  wo.duration_ms = static_cast<int64_t>(hours * 3600 * 1000);
  spdlog::set_level(spdlog::level::warn);
  std::filesystem::remove_all(dir);
  sremon::bench::NodeWorkload w(wo);
  uint64_t total = w.total_series() * w.steps();
  fmt::print("workload: {} hosts x {} series = {} series, {} steps of {} s, {} samples\n", wo.hosts,
             w.series_per_host(), w.total_series(), w.steps(), wo.interval_ms / 1000, total);

  sremon::tsdb::Options o;
  o.dir = dir;
  o.fsync_interval_ms = fsync_ms;
  o.retention_ms = 100LL * 365 * 24 * 3600 * 1000;  // the workload starts in 2023
  // A scraper builds each series' Labels once and reuses them; so does this driver.
  std::vector<sremon::model::Labels> labels;
  for (int h = 0; h < wo.hosts; h++) {
    for (size_t i = 0; i < w.series_per_host(); i++) {
      const auto& g = w.series(h, i);
      std::vector<sremon::model::Label> ls{{"__name__", g.name}};
      for (const auto& [n, v] : g.labels) ls.push_back({n, v});
      labels.emplace_back(std::move(ls));
    }
  }
  uint64_t rss_before = StatusKb("VmRSS:");
  double gen_secs = 0;
  auto start = Clock::now();
  double cpu_start = CpuSecs();
  {
    auto db = sremon::tsdb::DB::Open(o);
    Die(db.status(), "open");
    for (int64_t s = 0; s < w.steps(); s++) {
      auto g0 = Clock::now();
      w.NextStep();
      gen_secs += Secs(g0);
      for (int h = 0; h < wo.hosts; h++) {  // one commit per scrape, like a scrape loop
        auto app = (*db)->NewAppender();
        int64_t ts = w.Timestamp(h, s);
        size_t base = h * w.series_per_host();
        for (size_t i = 0; i < w.series_per_host(); i++) Die(app->Append(labels[base + i], ts, w.Value(h, i)), "append");
        Die(app->Commit(), "commit");
      }
    }
    double secs = Secs(start) - gen_secs;
    double cpu = CpuSecs() - cpu_start - gen_secs;
    auto st = (*db)->GetStats();
    fmt::print("ingest: {:.2f} s wall (+{:.2f} s generating), {:.0f} samples/s wall, {:.0f} samples per CPU second "
               "(all threads, flushes and merges included), {} blocks, {} samples in head\n",
               secs, gen_secs, total / secs, total / cpu, st.blocks, st.samples_in_head);
    fmt::print("rss after ingest: {:.1f} MB (peak {:.1f} MB, labels of the driver {:.1f} MB)\n",
               StatusKb("VmRSS:") / 1024.0, StatusKb("VmHWM:") / 1024.0, rss_before / 1024.0);
    auto c0 = Clock::now();
    Die((*db)->Close(), "close");
    fmt::print("close: {:.2f} s, WAL {:.1f} MB\n", Secs(c0), st.wal_bytes / 1e6);
  }
  auto r0 = Clock::now();
  double rcpu = CpuSecs();
  auto db = sremon::tsdb::DB::Open(o);
  Die(db.status(), "reopen");
  auto st = (*db)->GetStats();
  fmt::print("reopen: {:.2f} s ({:.2f} CPU s), WAL replay {} samples in {:.2f} s = {:.0f} samples/s\n", Secs(r0),
             CpuSecs() - rcpu, st.wal_replayed_samples, st.wal_replay_seconds,
             st.wal_replayed_samples / std::max(st.wal_replay_seconds, 1e-9));
  auto m0 = Clock::now();
  Die((*db)->ForceMerge(), "force merge");
  st = (*db)->GetStats();
  uint64_t disk = DirBytes(dir);
  fmt::print("flush+merge: {:.2f} s, {} blocks, {:.2f} MB on disk = {:.3f} bytes/sample (blocks only {:.3f})\n",
             Secs(m0), st.blocks, disk / 1e6, double(disk) / total, double(st.disk_bytes - st.wal_bytes) / total);

  auto matcher = [](const char* n, const char* v, sremon::model::MatchType t = sremon::model::MatchType::kEqual) {
    return *sremon::model::Matcher::Make(t, n, v);
  };
  auto run = [&](const char* what, std::vector<sremon::model::Matcher> ms, int64_t mint, int64_t maxt, int64_t step) {
    auto q0 = Clock::now();
    auto q = (*db)->NewQuerier(mint, maxt);
    auto set = (*q)->Select(true, {}, ms);
    uint64_t series = 0, samples = 0;
    while (set->Next()) {
      series++;
      auto it = set->At().Iterator();
      if (step > 0) {
        for (int64_t t = mint; t <= maxt; t += step) samples += it->Seek(t);
      } else {
        while (it->Next()) samples++;
      }
    }
    fmt::print("query {}: {} series, {} samples in {:.2f} ms\n", what, series, samples, Secs(q0) * 1000);
  };
  int64_t end = wo.start_ms + wo.duration_ms;
  run("node_load1 1h", {matcher("__name__", "node_load1")}, end - 3600 * 1000, end, 0);
  run("node_cpu_seconds_total{mode=\"idle\"} 24h step 60s",
      {matcher("__name__", "node_cpu_seconds_total"), matcher("mode", "idle")}, wo.start_ms, end, 60000);
  run("{instance=~\"host-0.*\"} 1h", {matcher("instance", "host-0.*", sremon::model::MatchType::kRegexMatch)},
      end - 3600 * 1000, end, 0);
  {
    auto l0 = Clock::now();
    auto q = (*db)->NewQuerier(wo.start_ms, end);
    auto names = (*q)->LabelNames({});
    auto values = (*q)->LabelValues("__name__", {});
    auto inst = (*q)->LabelValues("instance", {matcher("__name__", "node_load1")});
    fmt::print("label names ({}) + metric names ({}) + instances of node_load1 ({}), whole range: {:.2f} ms\n",
               names.ok() ? names->size() : 0, values.ok() ? values->size() : 0, inst.ok() ? inst->size() : 0,
               Secs(l0) * 1000);
  }
  fmt::print("rss at the end: {:.1f} MB\n", StatusKb("VmRSS:") / 1024.0);
  return 0;
}
