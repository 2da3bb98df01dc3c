#include "services/common.h"

#include <malloc.h>
#include <signal.h>

#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "obs/metrics.h"
#include "util/strings.h"

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

HeapReleaser::HeapReleaser(std::chrono::seconds period) {
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  mallopt(M_ARENA_MAX, 2);
  thread_ = std::thread([this, period] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, period, [this] { return stopping_; })) malloc_trim(0);
  });
}

HeapReleaser::~HeapReleaser() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
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
    server.Route("POST", "/-/reload", handler, /*blocking=*/true);
    server.Route("GET", "/-/reload", handler, /*blocking=*/true);
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

}  // namespace sremon::services
