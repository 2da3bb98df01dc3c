// `sremon load`: HTTP load against a URL, with a live progress line on stderr and a summary
// on stdout. The engine is src/loadgen/.
#include <unistd.h>

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "loadgen/loadgen.h"
#include "services/common.h"
#include "util/time.h"

namespace sremon::services {

namespace {

std::string StatusCounts(const loadgen::LoadStats& s) {
  std::string out;
  for (const auto& [code, n] : s.by_status) out += fmt::format("{}{}: {}", out.empty() ? "" : ", ", code, n);
  return out.empty() ? "none" : out;
}

void PrintSummary(const loadgen::LoadStats& s, const loadgen::LoadOptions& o) {
  using loadgen::FormatLatency;
  std::cout << fmt::format("target      {} ({} connections{}, {})\n", o.url, o.concurrency,
                           o.keep_alive ? ", keep-alive" : ", a new connection per request",
                           o.rate > 0 ? fmt::format("{:g} req/s wanted", o.rate) : "as fast as possible");
  std::cout << fmt::format("requests    {} answered in {:.1f}s = {:.1f} req/s\n", s.responses, s.elapsed_seconds, s.Rate());
  std::cout << fmt::format("status      {}\n", StatusCounts(s));
  int64_t bad_answers = 0;
  for (const auto& [code, n] : s.by_status) bad_answers += (code < 200 || code >= 400) ? n : 0;
  std::cout << fmt::format("errors      {} ({} non-2xx/3xx answers, {} connect errors, {} timeouts, {} other)\n",
                           s.errors, bad_answers, s.connect_errors, s.timeouts,
                           s.errors - bad_answers - s.connect_errors - s.timeouts);
  std::cout << fmt::format("latency     p50 {}  p90 {}  p99 {}  max {}\n", FormatLatency(s.latency.Quantile(0.5)),
                           FormatLatency(s.latency.Quantile(0.9)), FormatLatency(s.latency.Quantile(0.99)),
                           FormatLatency(s.latency.max()));
  std::string paths;
  for (const auto& [p, n] : s.by_path) paths += fmt::format("{}{} {}", paths.empty() ? "" : ", ", p, n);
  std::cout << fmt::format("paths       {}\n", paths.empty() ? "none" : paths);
}

std::string SummaryJson(const loadgen::LoadStats& s) {
  nlohmann::json j;
  j["elapsed_seconds"] = s.elapsed_seconds;
  j["sent"] = s.sent;
  j["responses"] = s.responses;
  j["rate"] = s.Rate();
  j["errors"] = s.errors;
  j["connect_errors"] = s.connect_errors;
  j["timeouts"] = s.timeouts;
  j["connections"] = s.connections;
  for (const auto& [code, n] : s.by_status) j["status"][std::to_string(code)] = n;
  for (const auto& [p, n] : s.by_path) j["paths"][p] = n;
  j["latency_seconds"] = {{"p50", s.latency.Quantile(0.5)},
                          {"p90", s.latency.Quantile(0.9)},
                          {"p99", s.latency.Quantile(0.99)},
                          {"max", s.latency.max()}};
  return j.dump(2);
}

}  // namespace

int RunLoad(int argc, char** argv) {
  UnblockShutdownSignals();  // a foreground tool: Ctrl-C stops it
  CLI::App cli(
      "Generate HTTP load against a URL: a target rate (or as fast as possible) over keep-alive connections, "
      "a weighted mix of paths, bounded by --duration and/or --requests. A progress line on stderr every "
      "second (achieved rate, p50/p99 latency, errors), a summary on stdout at the end.\n\n"
      "Example (fires HighRequestRate: > 5 req/s for more than a minute):\n"
      "  sremon load http://127.0.0.1:8080 --rate 10 --duration 150s --path /=8 --path /health=2",
      argv[0]);
  loadgen::LoadOptions o;
  std::vector<std::string> paths;
  std::string duration = "10s", timeout = "10s";
  bool no_keep_alive = false, quiet = false, json = false;
  cli.add_option("URL", o.url, "target base URL; its path is used when no --path is given (default http://127.0.0.1:8080)");
  AddNumberFlag<double>(cli, "-r,--rate", &o.rate, 0, 1e7, "requests per second in total, 0 = as fast as possible (default 0)");
  cli.add_option("-d,--duration", duration, "how long to run, e.g. 90s or 2m; 0 = until --requests (default 10s)");
  AddNumberFlag<int64_t>(cli, "-n,--requests", &o.max_requests, 0, int64_t{1} << 50,
                         "stop after this many requests, 0 = no limit (default 0)");
  AddNumberFlag<int>(cli, "-c,--concurrency", &o.concurrency, 1, 10000, "connections in parallel (default 4)");
  cli.add_option("-p,--path", paths,
                 "a path and its weight, PATH[=WEIGHT], repeatable: --path /=8 --path /health=2 sends 80% to / and "
                 "20% to /health (default: the URL's path)");
  cli.add_option("-m,--method", o.method, "HTTP method (default GET)");
  cli.add_flag("--no-keep-alive", no_keep_alive, "open a new connection for every request");
  cli.add_option("--timeout", timeout, "per request: connect, send and receive (default 10s)");
  cli.add_flag("-q,--quiet", quiet, "no progress line");
  cli.add_flag("--json", json, "print the summary as JSON");
  if (auto code = ParseFlags(cli, argc, argv)) return *code;

  auto usage_error = [&](const std::string& msg) {
    std::cerr << argv[0] << ": " << msg << "\nRun '" << argv[0] << " --help' for usage.\n";
    return kExitUsage;
  };
  auto d = ParseDurationMs(duration);
  if (!d.ok()) return usage_error("--duration: " + d.status().message());
  auto t = ParseDurationMs(timeout);
  if (!t.ok()) return usage_error("--timeout: " + t.status().message());
  o.duration = std::chrono::milliseconds(*d);
  o.timeout = std::chrono::milliseconds(*t);
  o.keep_alive = !no_keep_alive;
  for (const auto& p : paths) {
    auto wp = loadgen::ParseWeightedPath(p);
    if (!wp.ok()) return usage_error("--path: " + wp.status().message());
    o.paths.push_back(*wp);
  }
  if (Status st = loadgen::ValidateLoadOptions(o); !st.ok()) return usage_error(st.message());

  bool tty = isatty(STDERR_FILENO);
  auto progress = [&](const loadgen::LoadStats& s) {
    if (quiet) return;
    std::string bound = o.duration.count() > 0 ? fmt::format("/{:.0f}s", o.duration.count() / 1000.0) : "";
    std::string line = fmt::format("[{:5.1f}s{}] {} answered  {:.1f} req/s  p50 {}  p99 {}  errors {}",
                                   s.elapsed_seconds, bound, s.responses, s.interval_rate,
                                   loadgen::FormatLatency(s.interval_latency.Quantile(0.5)),
                                   loadgen::FormatLatency(s.interval_latency.Quantile(0.99)), s.errors);
    // On a terminal the line rewrites itself; in a log it is one line per report.
    std::cerr << (tty ? "\r\033[K" : "") << line << (tty ? "" : "\n") << std::flush;
  };
  auto stats = loadgen::RunLoad(o, progress);
  if (tty && !quiet) std::cerr << "\n";
  if (!stats.ok()) {
    std::cerr << argv[0] << ": " << stats.status().message() << "\n";
    return kExitFailure;
  }
  if (json) {
    std::cout << SummaryJson(*stats) << "\n";
  } else {
    PrintSummary(*stats, o);
  }
  // Nothing answered at all (target down): say so in the exit code. Error answers are a
  // result, not a failure (the error-budget drill makes them on purpose).
  return stats->responses > 0 ? kExitOk : kExitFailure;
}

}  // namespace sremon::services
