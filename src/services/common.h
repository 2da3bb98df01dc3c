// What every service entry point shares: Go-style flags on CLI11, logging, signals, and the
// standard routes (/health, /-/healthy, /-/ready, /metrics, /-/reload).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "http/http.h"
#include "util/status.h"

namespace sremon::services {

// Exit codes: 0 ok, 1 runtime failure, 2 usage error (unknown flag or subcommand).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Go's flag package accepts -name=value and --name=value; CLI11 wants --name for long names.
// Rewrites "-httpListenAddr=x" to "--httpListenAddr=x"; one-letter flags (-f) are left alone.
std::vector<std::string> NormalizeGoFlags(int argc, char** argv);

// Parses argv with app (after NormalizeGoFlags). Returns an exit code when the program should
// exit now (--help printed: 0; bad flags: message on stderr and kExitUsage).
std::optional<int> ParseFlags(CLI::App& app, int argc, char** argv);

// spdlog to stderr with the service name; level: debug, info, warn, error.
void InitLogging(const std::string& service, const std::string& level = "info");

// glibc malloc for a service whose big, short-lived buffers (import bodies, proxied query
// answers) must not stay resident: two arenas instead of one per thread; a fixed 1 MB mmap
// threshold (glibc otherwise raises it to the largest block freed, after which big blocks come
// from the heap and stay as fragments); and, while the object lives, a thread that hands freed
// heap back to the kernel every `period`. Create it once, early in the service's main.
class HeapReleaser {
 public:
  explicit HeapReleaser(std::chrono::seconds period);
  ~HeapReleaser();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

// Called first thing in main(), before any thread starts, so that every thread inherits the
// mask and WaitForShutdown() alone receives SIGTERM/SIGINT/SIGHUP. Also ignores SIGPIPE.
void BlockShutdownSignals();
// For a forked child before exec (the mask survives exec).
void UnblockShutdownSignals();

// Blocks until SIGTERM or SIGINT. SIGHUP calls on_reload (if set) and keeps waiting.
void WaitForShutdown(const std::function<void()>& on_reload = nullptr);

// The flags a service runs with, one `-name=value` line each (VictoriaMetrics' /flags): every flag
// the service knows, with its default when not given. Values of flags whose name holds
// "password", "authkey", "secret" or "token" (any case) are shown as "secret".
std::string FlagsText(const CLI::App& app);
// GET /flags answering FlagsText(app) as taken at this call (after ParseFlags).
void AddFlagsRoute(http::Server& server, const CLI::App& app);
// GET / of the storage service: an index of its pages and APIs (services/storage_index.cc).
void AddStorageIndex(http::Server& server);

// /health (VictoriaMetrics: "OK"), /-/healthy, /-/ready, /metrics (obs::RenderMetrics), and
// POST|GET /-/reload calling reload (when set) → 200 or 500 with the error.
void AddStandardRoutes(http::Server& server, std::function<Status()> reload = nullptr);

}  // namespace sremon::services
