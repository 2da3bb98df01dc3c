// sremon-nodegen: writes the node_exporter-like workload (nodegen.h) as Prometheus text with
// millisecond timestamps, one scrape round of every host after the other, to stdout or files.
//   sremon-nodegen -hosts=20 -hours=24 -interval=15s [-start=1700000000000] [-seed=1]
//                  [-out=DIR -steps-per-file=240]   (DIR/part-00000.prom, ...)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "gen/nodegen.h"

namespace {

bool Flag(const char* arg, const char* name, std::string* value) {
  std::string a = arg;
  while (!a.empty() && a[0] == '-') a.erase(0, 1);
  std::string prefix = std::string(name) + "=";
  if (a.compare(0, prefix.size(), prefix) != 0) return false;
  *value = a.substr(prefix.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  sremon::bench::NodeWorkloadOptions o;
  std::string out_dir;
  int64_t steps_per_file = 240;
  double hours = 24;
  for (int i = 1; i < argc; i++) {
    std::string v;
    if (Flag(argv[i], "hosts", &v)) o.hosts = std::atoi(v.c_str());
    else if (Flag(argv[i], "hours", &v)) hours = std::atof(v.c_str());
    else if (Flag(argv[i], "interval", &v)) o.interval_ms = static_cast<int64_t>(std::atof(v.c_str()) * 1000);
    else if (Flag(argv[i], "start", &v)) o.start_ms = std::atoll(v.c_str());
    else if (Flag(argv[i], "seed", &v)) o.seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (Flag(argv[i], "out", &v)) out_dir = v;
    else if (Flag(argv[i], "steps-per-file", &v)) steps_per_file = std::atoll(v.c_str());
    else {
      fmt::print(stderr,
                 "usage: {} [-hosts=20] [-hours=24] [-interval=15 (seconds)] [-start=ms] [-seed=1] [-out=DIR "
                 "-steps-per-file=240]\n",
                 argv[0]);
      return 2;
    }
  }
  o.duration_ms = static_cast<int64_t>(hours * 3600 * 1000);
  if (o.hosts <= 0 || o.interval_ms <= 0 || o.duration_ms <= 0 || steps_per_file <= 0) {
    fmt::print(stderr, "hosts, hours, interval and steps-per-file must be positive\n");
    return 2;
  }
  sremon::bench::NodeWorkload w(o);
  fmt::print(stderr, "{} series ({} per host), {} steps, {} samples\n", w.total_series(), w.series_per_host(),
             w.steps(), w.total_series() * w.steps());
  std::string buf;
  FILE* f = out_dir.empty() ? stdout : nullptr;
  for (int64_t s = 0; s < w.steps(); s++) {
    if (!out_dir.empty() && s % steps_per_file == 0) {
      if (f) std::fclose(f);
      std::string path = fmt::format("{}/part-{:05d}.prom", out_dir, s / steps_per_file);
      f = std::fopen(path.c_str(), "w");
      if (!f) {
        fmt::print(stderr, "cannot create {}: {}\n", path, std::strerror(errno));
        return 1;
      }
    }
    w.NextStep();
    buf.clear();
    w.AppendText(&buf);
    if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) {
      fmt::print(stderr, "write failed: {}\n", std::strerror(errno));
      return 1;
    }
  }
  if (f && f != stdout) std::fclose(f);
  return 0;
}
