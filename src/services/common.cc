#include "services/common.h"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "http/access.h"
#include "obs/metrics.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::services {

std::vector<std::string> NormalizeGoFlags(int argc, char** argv) {
  std::vector<std::string> out;
  bool rest = false;  // after "--" everything is positional
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i > 0 && !rest) {
      if (a == "--") {
        rest = true;
      } else if (a.size() > 2 && a[0] == '-' && a[1] != '-' && a[1] != '=') {
        size_t eq = a.find('=');
        size_t name_len = (eq == std::string::npos ? a.size() : eq) - 1;
        if (name_len > 1) a = "-" + a;
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::optional<int> ParseFlags(CLI::App& app, int argc, char** argv) {
  std::vector<std::string> args = NormalizeGoFlags(argc, argv);
  std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);  // CLI11 wants reverse order, no argv[0]
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    std::cout << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    std::cerr << app.get_name() << ": " << e.what() << "\nRun '" << app.get_name() << " --help' for usage.\n";
    return kExitUsage;
  }
  return std::nullopt;
}

void InitLogging(const std::string& service, const std::string& level) {
  auto logger = spdlog::stderr_color_mt(service);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ " + service + ": %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
}

namespace {
sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void UnblockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void WaitForShutdown(const std::function<void()>& on_reload) {
  sigset_t set = ShutdownSignals();
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP received: reloading configuration");
      if (on_reload) on_reload();
      continue;
    }
    spdlog::info("{} received: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    return;
  }
}

void AddStandardRoutes(http::Server& server, std::function<Status()> reload) {
  server.Route("GET", "/health", [](http::Request&, http::Response& r) { r.SetText(200, "OK"); });
  server.Route("GET", "/-/healthy", [](http::Request&, http::Response& r) { r.SetText(200, "OK"); });
  server.Route("GET", "/-/ready", [](http::Request&, http::Response& r) { r.SetText(200, "OK"); });
  server.Route("GET", "/metrics", [](http::Request&, http::Response& r) {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = obs::RenderMetrics();
  });
  if (reload) {
    auto handler = [reload](http::Request&, http::Response& r) {
      Status st = reload();
      if (st.ok()) {
        r.SetText(200, "OK");
      } else {
        r.SetText(500, "failed to reload config: " + st.message() + "\n");
      }
    };
    // GET as upstream documents it (curl http://host/-/reload); a browser on another site
    // must not trigger it either way.
    server.Route("POST", "/-/reload", http::StateChanging(handler), /*blocking=*/true);
    server.Route("GET", "/-/reload", http::StateChanging(handler), /*blocking=*/true);
  }
}

std::string FlagsText(const CLI::App& app) {
  std::string out;
  for (const CLI::Option* o : app.get_options()) {
    std::string name = o->get_single_name();
    if (name.empty() || name == "help" || name == "help-all" || name == "version") continue;
    std::string value = o->count() > 0 ? o->as<std::string>() : o->get_default_str();
    std::string lower = ToLower(name);
    for (const char* secret : {"password", "authkey", "secret", "token"}) {
      if (lower.find(secret) != std::string::npos && !value.empty()) value = "secret";
    }
    out += "-" + name + "=" + Quote(value) + "\n";
  }
  return out;
}

void AddFlagsRoute(http::Server& server, const CLI::App& app) {
  server.Route("GET", "/flags", [text = FlagsText(app)](http::Request&, http::Response& r) { r.SetText(200, text); });
}

namespace {

std::string FormatBound(double v, bool integer) {
  if (integer && std::fabs(v) < 9e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

}  // namespace

std::string FlagName(const std::string& cli_name) {
  std::string last = cli_name.substr(cli_name.rfind(',') + 1);  // npos + 1 = 0
  size_t start = last.find_first_not_of('-');
  return start == std::string::npos ? last : last.substr(start);
}

Result<double> ParseNumberFlag(std::string_view flag, std::string_view text, double min, double max, bool integer,
                               bool bytes) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format("invalid -{}={}: {}", flag, Quote(text), why));
  };
  std::string_view num = Trim(text);
  double unit = 1;
  if (bytes) {
    // VictoriaMetrics' flagutil.Bytes suffixes.
    static constexpr std::pair<std::string_view, double> kSuffixes[] = {
        {"KiB", 1024.0}, {"MiB", 1024.0 * 1024}, {"GiB", 1024.0 * 1024 * 1024}, {"TiB", 1024.0 * 1024 * 1024 * 1024},
        {"KB", 1e3},     {"MB", 1e6},            {"GB", 1e9},                   {"TB", 1e12}};
    for (const auto& [suffix, mult] : kSuffixes) {
      if (num.ends_with(suffix)) {
        num.remove_suffix(suffix.size());
        unit = mult;
        break;
      }
    }
  }
  auto v = ParseFloat(num);
  std::string range = fmt::format("must be {} between {} and {}", integer ? "an integer" : "a number",
                                  FormatBound(min, integer), FormatBound(max, integer));
  if (!v.ok() || !std::isfinite(*v)) return bad(range);
  double value = *v * unit;
  if (!(value >= min && value <= max)) return bad(range);
  if (integer && value != std::floor(value)) return bad(range);
  return value;
}

Result<int64_t> ParseDurationFlag(std::string_view flag, std::string_view text, int64_t min_ms, int64_t max_ms) {
  std::string range = fmt::format("must be a duration between {} and {}", FormatDurationMs(min_ms), FormatDurationMs(max_ms));
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format("invalid -{}={}: {}", flag, Quote(text), why));
  };
  if (Trim(text) == "0") {
    if (min_ms > 0) return bad(range);
    return int64_t{0};
  }
  auto d = ParseDurationMs(Trim(text));
  if (!d.ok()) return bad(d.status().message() + "; " + range + " such as 15s or 1h30m");
  if (*d < min_ms || *d > max_ms) return bad(range);
  return d;
}

CLI::Option* AddDurationFlag(CLI::App& app, const std::string& name, int64_t* ms, int64_t min_ms, int64_t max_ms,
                             const std::string& help) {
  std::string flag = FlagName(name);
  return app
      .add_option_function<std::string>(
          name,
          [=](const std::string& text) {
            auto v = ParseDurationFlag(flag, text, min_ms, max_ms);
            if (!v.ok()) throw CLI::ValidationError(v.status().message());
            *ms = *v;
          },
          help)
      ->type_name("DURATION");
}

bool HttpAuthFlags::enabled() const {
  if (!username.empty()) return true;
  for (const auto& k : keys) {
    if (!k.value.empty()) return true;
  }
  return false;
}

void AddHttpAuthFlags(CLI::App& app, HttpAuthFlags* auth) {
  app.add_option("--httpAuth.username", auth->username,
                 "username for HTTP Basic auth on every endpoint but /health and the probes; empty disables it "
                 "(default empty)");
  app.add_option("--httpAuth.password", auth->password, "password for -httpAuth.username (default empty)");
  for (auto& k : auth->keys) {
    app.add_option("--" + k.flag, k.value,
                   fmt::format("auth key for {}, passed as the authKey query arg; it overrides -httpAuth.* there "
                               "(default empty: -httpAuth.* applies)",
                               Join(k.paths, " and ")));
  }
}

void InstallHttpAuth(http::Server& server, const HttpAuthFlags& auth) {
  if (!auth.enabled()) return;
  server.SetGate([auth](const http::Request& req, http::Response* resp) {
    // Probes stay open, as in VictoriaMetrics, so that health checks need no secret.
    for (std::string_view open : {"/health", "/-/healthy", "/-/ready", "/ping", "/robots.txt", "/favicon.ico"}) {
      if (req.path == open) return true;
    }
    for (const auto& k : auth.keys) {
      if (k.value.empty() || std::find(k.paths.begin(), k.paths.end(), req.path) == k.paths.end()) continue;
      std::string_view given = req.Param("authKey");
      if (given.empty()) {
        resp->SetText(401, fmt::format("Expected to receive non-empty authKey when -{} is set\n", k.flag));
        return false;
      }
      if (!http::SecretEquals(given, k.value)) {
        resp->SetText(401, fmt::format("The provided authKey doesn't match -{}\n", k.flag));
        return false;
      }
      return true;
    }
    if (auth.username.empty()) return true;
    std::string user, password;
    if (http::ParseBasicAuth(req.headers.Get("Authorization"), &user, &password) &&
        http::SecretEquals(user, auth.username) && http::SecretEquals(password, auth.password)) {
      return true;
    }
    http::SetUnauthorized(resp, "VictoriaMetrics", "Unauthorized");
    return false;
  });
}

void WarnIfExposed(std::string_view service, std::string_view listen_addr, bool has_auth,
                   std::string_view how_to_protect) {
  if (has_auth || http::IsLoopbackListenAddr(listen_addr)) return;
  spdlog::warn(
      "{} listens on {}, which other machines can reach, without authentication: anyone who can connect can read "
      "and change its data. {}, or put an authenticating proxy in front (docs/security.md)",
      service, listen_addr, how_to_protect);
}

}  // namespace sremon::services
