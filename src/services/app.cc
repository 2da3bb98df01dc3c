// `sremon app`: the instrumented demo app (the reference's Flask app: its routes and app_* metrics).
#include <spdlog/spdlog.h>

#include "app/app.h"
#include "services/common.h"
#include "services/services.h"

namespace sremon::services {
namespace {

// The flags as given, with their defaults (those of app::AppOptions).
struct AppFlags {
  app::AppOptions opts;
  std::string log_level = "info";

  void Register(CLI::App& cli);
  // What the flags' own types cannot check; the error is a usage error's message.
  Status Check() const;
};

void AppFlags::Register(CLI::App& cli) {
  cli.add_option("--httpListenAddr", opts.listen_addr, "TCP address to listen on (default 127.0.0.1:8080)");
  AddNumberFlag<double>(cli, "--chaos.errorRate", &opts.faults.error_rate, 0, 1,
                        "probability in [0,1] that GET / answers 500, at start; change it at run time with POST /chaos "
                        "(default 0)");
  AddNumberFlag<int64_t>(cli, "--chaos.latencyMs", &opts.faults.latency_ms, 0, app::kMaxFaultLatencyMs,
                         "delay added to GET / in milliseconds, at start (max 60000; default 0)");
  cli.add_option("--instrumentation", opts.instrumentation,
                 "record app_requests_total and app_request_latency_seconds; false only to measure the cost of "
                 "instrumentation in benchmarks (default true)");
  AddNumberFlag<int>(cli, "--http.ioThreads", &opts.io_threads, 0, 1024, "I/O threads serving HTTP (default 0 = one per core)");
  cli.add_option("--loggerLevel", log_level, "log level: debug, info, warn, error (default info)");
}

Status AppFlags::Check() const {
  Status st = app::ValidateFaultSettings(opts.faults);
  return st.ok() ? st : Status::InvalidArgument("invalid -chaos.* flag: " + st.message());
}

}  // namespace

int RunApp(int argc, char** argv) {
  CLI::App cli("The instrumented demo app: GET / /health /uptime /metrics, and the /chaos fault switch.", argv[0]);
  AppFlags f;
  if (auto code = ParseServiceFlags(cli, f, argc, argv)) return *code;
  InitLogging("app", f.log_level);
  const app::AppOptions& opts = f.opts;
  WarnIfExposed("app", opts.listen_addr, false, "The app has no authentication (only loopback may use /chaos)");

  app::App app(opts);
  if (Status st = app.Start(); !st.ok()) {
    spdlog::error("{}", st.message());
    return kExitFailure;
  }
  spdlog::info("serving the demo app on http://{} (GET / /health /uptime /metrics, /chaos)", opts.listen_addr);
  WaitForShutdown();
  app.Stop();
  spdlog::info("stopped");
  return kExitOk;
}

}  // namespace sremon::services
