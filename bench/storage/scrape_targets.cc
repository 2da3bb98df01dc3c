// Serves N scrape targets from one process for the scrape benchmark: GET /metrics/<i> answers a
// node_exporter-like page of `series` samples whose values move on every request.
// Usage: scrape-targets PORT [targets=200] [series=1000]
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "http/http.h"
#include "util/strings.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [targets=200] [series=1000]\n", argv[0]);
    return 2;
  }
  int port = std::atoi(argv[1]);
  int targets = argc > 2 ? std::atoi(argv[2]) : 200;
  int series = argc > 3 ? std::atoi(argv[3]) : 1000;
  sremon::http::ServerOptions so;
  so.name = "scrape-targets";
  so.listen_addr = "127.0.0.1:" + std::to_string(port);
  so.io_threads = 1;
  sremon::http::Server server(so);
  auto counter = std::make_shared<std::atomic<uint64_t>>(0);
  server.RoutePrefix("GET", "/metrics/", [targets, series, counter](sremon::http::Request& req,
                                                                    sremon::http::Response& resp) {
    int t = std::atoi(req.path_suffix.c_str());
    if (t < 0 || t >= targets) return resp.SetText(404, "no such target\n");
    uint64_t n = counter->fetch_add(1);
    std::string out;
    out.reserve(series * 80);
    const char* modes[] = {"idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"};
    for (int i = 0; i < series; ++i) {
      int fam = i / 50;
      out += "bench_family_";
      out += std::to_string(fam);
      out += fam % 2 ? "_total{cpu=\"" : "{cpu=\"";
      out += std::to_string(i % 16);
      out += "\",mode=\"";
      out += modes[i % 8];
      out += "\",idx=\"";
      out += std::to_string(i);
      out += "\"} ";
      sremon::AppendFloatG(&out, fam % 2 ? static_cast<double>(n * (i + 1)) : 1000.0 + (n + i) % 97 * 0.25);
      out += '\n';
    }
    resp.status = 200;
    resp.content_type = "text/plain; version=0.0.4";
    resp.body = std::move(out);
  });
  if (auto st = server.Start(); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig;
  sigwait(&set, &sig);
  server.Stop();
  return 0;
}
