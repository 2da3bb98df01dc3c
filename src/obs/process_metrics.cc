#include "obs/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "util/strings.h"

namespace sremon::obs {

namespace {

void AppendGauge(std::string* out, const char* name, const char* type, const char* help, double v) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out->append(name).append(" ");
  AppendFloatG(out, v);
  out->append("\n");
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
  }
  return 0;
}

}  // namespace

void AppendProcessMetrics(std::string* out) {
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  static const double boot = BootTimeSeconds();
  std::string stat;
  {
    // Closed before the fds are counted below, so it is not counted as one of ours.
    std::ifstream in("/proc/self/stat");
    stat.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // Fields after the command name (which may contain spaces) start after the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return;
  std::istringstream fields(stat.substr(close + 2));
  std::vector<std::string> f;
  std::string tok;
  while (fields >> tok) f.push_back(tok);
  // f[0] is field 3 (state); utime=14, stime=15, starttime=22, vsize=23, rss=24 (1-based).
  if (f.size() < 22) return;
  double utime = std::stod(f[14 - 3]), stime = std::stod(f[15 - 3]);
  double start = std::stod(f[22 - 3]), vsize = std::stod(f[23 - 3]), rss = std::stod(f[24 - 3]);
  int fds = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++fds;
    }
    closedir(d);
    --fds;  // the directory stream itself
  }
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  AppendGauge(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
              (utime + stime) / ticks);
  AppendGauge(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
              static_cast<double>(rl.rlim_cur));
  AppendGauge(out, "process_open_fds", "gauge", "Number of open file descriptors.", fds);
  AppendGauge(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", rss * page);
  AppendGauge(out, "process_start_time_seconds", "gauge",
              "Start time of the process since unix epoch in seconds.", boot + start / ticks);
  AppendGauge(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", vsize);
}

}  // namespace sremon::obs
