// What every service entry point shares: Go-style flags on CLI11, logging, signals, and the
// standard routes (/health, /-/healthy, /-/ready, /metrics, /-/reload).
#pragma once

#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
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

// The one way a service reads its flags: a struct of the flags as given, with their defaults, a
// Register(CLI::App&) and, when its types do not say everything, a Status Check() (which may also
// fill derived values). Registers, parses (ParseFlags) and checks; returns an exit code when the
// program should exit now (a failed Check: its message on stderr and kExitUsage).
template <typename Flags>
std::optional<int> ParseServiceFlags(CLI::App& app, Flags& flags, int argc, char** argv) {
  flags.Register(app);
  if (auto code = ParseFlags(app, argc, argv)) return code;
  if constexpr (requires { flags.Check(); }) {
    if (Status st = flags.Check(); !st.ok()) {
      std::cerr << argv[0] << ": " << st.message() << "\n";
      return kExitUsage;
    }
  }
  return std::nullopt;
}

// spdlog to stderr with the service name; level: debug, info, warn, error.
void InitLogging(const std::string& service, const std::string& level = "info");

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

// /health (VictoriaMetrics: "OK"), /-/healthy, /-/ready, /metrics (obs::RenderMetrics), and
// POST|GET /-/reload calling reload (when set) → 200 or 500 with the error; a cross-site
// request to it is refused (http::StateChanging).
void AddStandardRoutes(http::Server& server, std::function<Status()> reload = nullptr);

// ---- numeric flags ----
// Every numeric flag is registered through these, so that a value out of range or not a number
// is a usage error (exit 2) naming the flag, the value and the range, e.g.
//   invalid -maxInsertRequestSize=-1: must be between 1 and 1073741824
// instead of reaching a cast that is undefined for it.

// Parses a flag value: a number as Go's strconv.ParseFloat reads it (1e9, 0x10); with
// `bytes`, also VictoriaMetrics' size suffixes (KB MB GB TB, KiB MiB GiB TiB). Integral when
// `integer`. The error is the whole message above.
Result<double> ParseNumberFlag(std::string_view flag, std::string_view text, double min, double max, bool integer,
                               bool bytes = false);
// A duration flag (1h30m, 15s; a bare 0 is zero) within [min_ms, max_ms].
Result<int64_t> ParseDurationFlag(std::string_view flag, std::string_view text, int64_t min_ms, int64_t max_ms);

// "-n,--tail" → "tail": the name the error messages use.
std::string FlagName(const std::string& cli_name);

// Registers --name for *value (an integer type or double), range-checked by ParseNumberFlag when
// CLI11 reads it. The default is whatever *value holds.
template <typename T>
CLI::Option* AddNumberFlag(CLI::App& app, const std::string& name, T* value, T min, T max, const std::string& help,
                           bool bytes = false) {
  std::string flag = FlagName(name);
  return app
      .add_option_function<std::string>(
          name,
          [=](const std::string& text) {
            auto v = ParseNumberFlag(flag, text, static_cast<double>(min), static_cast<double>(max),
                                     std::is_integral_v<T>, bytes);
            if (!v.ok()) throw CLI::ValidationError(v.status().message());
            *value = static_cast<T>(*v);
          },
          help)
      ->type_name(bytes ? "BYTES" : "NUMBER");
}
// Registers --name as a duration held in *ms.
CLI::Option* AddDurationFlag(CLI::App& app, const std::string& name, int64_t* ms, int64_t min_ms, int64_t max_ms,
                             const std::string& help);

// ---- authentication ----

// VictoriaMetrics' HTTP auth flags (lib/httpserver): -httpAuth.username/-httpAuth.password ask
// for Basic auth on every path but /health and the probes; each admin action may instead have
// its own key (-deleteAuthKey...), passed as the authKey query or form argument.
struct HttpAuthFlags {
  struct Key {
    std::string flag;                // e.g. "reloadAuthKey"
    std::vector<std::string> paths;  // the paths it guards
    std::string value;               // "" = not set: those paths fall back to Basic auth
  };
  std::string username, password;
  std::vector<Key> keys;

  bool enabled() const;  // any credential set
};
// Registers -httpAuth.username, -httpAuth.password and one flag per key.
void AddHttpAuthFlags(CLI::App& app, HttpAuthFlags* auth);
// Installs the checks on server as its gate (nothing when no flag is set).
void InstallHttpAuth(http::Server& server, const HttpAuthFlags& auth);

// Logs one warning when listen_addr accepts connections from other machines and the service
// has no authentication configured (`how_to_protect` says what to set).
void WarnIfExposed(std::string_view service, std::string_view listen_addr, bool has_auth,
                   std::string_view how_to_protect);

}  // namespace sremon::services
