// `sremon dashboards`: the Grafana stand-in on port 3000 (flags and wiring only; the service
// lives in src/dashboards/).

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <spdlog/spdlog.h>

#include "dashboards/app.h"
#include "services/common.h"
#include "services/services.h"
#include "util/heap.h"
#include "util/strings.h"
#include "version.h"

namespace sremon::services {

namespace {
std::string Env(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : def;
}

// The flags as given, with their defaults (Grafana's own settings come from GF_* variables).
struct DashboardsFlags {
  std::string listen_addr = "127.0.0.1:3000";
  std::string data_dir = "data/dashboards";
  std::string rules_url = "http://127.0.0.1:8880";
  std::string alertmanager_url = "http://127.0.0.1:9093";
  std::string log_level = "info";

  void Register(CLI::App& cli);
};

void DashboardsFlags::Register(CLI::App& cli) {
  cli.add_option("--httpListenAddr", listen_addr, "address to listen on (default 127.0.0.1:3000)");
  cli.add_option("--data", data_dir, "directory of the SQLite database grafana.db (default data/dashboards)");
  cli.add_option("--rules.url", rules_url,
                 "rules service (vmalert) for the alert list panel (default http://127.0.0.1:8880)");
  cli.add_option("--alertmanager.url", alertmanager_url,
                 "Alertmanager for the alert list panel (default http://127.0.0.1:9093)");
  cli.add_option("--loggerLevel", log_level, "debug, info, warn or error (default info)");
}

}  // namespace

int RunDashboards(int argc, char** argv) {
  CLI::App app{"sremon dashboards: Grafana-compatible dashboards (provisioning, login, data source proxy, web app)"};
  DashboardsFlags f;
  if (auto code = ParseServiceFlags(app, f, argc, argv)) return *code;
  InitLogging("dashboards", f.log_level);
  // Big proxied query answers go back to the kernel when idle.
  util::HeapReleaser heap(std::chrono::seconds(5));

  dashboards::AppOptions opts;
  opts.admin_user = Env("GF_SECURITY_ADMIN_USER", "admin");
  opts.admin_password = Env("GF_SECURITY_ADMIN_PASSWORD", "admin");
  opts.provisioning_dir = Env("GF_PATHS_PROVISIONING", "grafana/provisioning");
  // Grafana's [security] cookie_secure (a Go bool) and cookie_samesite.
  std::string secure = Env("GF_SECURITY_COOKIE_SECURE", "false");
  opts.cookie_secure = secure == "true" || secure == "1" || secure == "t" || secure == "T" || secure == "TRUE" || secure == "True";
  std::string samesite = Env("GF_SECURITY_COOKIE_SAMESITE", "lax");
  opts.cookie_samesite = dashboards::ParseSameSite(samesite);
  if (samesite != "lax" && opts.cookie_samesite == dashboards::SameSite::kLax) {
    spdlog::warn("GF_SECURITY_COOKIE_SAMESITE={} is not lax, strict, none or disabled: using lax", Quote(samesite));
  }
  opts.rules_url = f.rules_url;
  opts.alertmanager_url = f.alertmanager_url;
  opts.version = kVersion;
  std::error_code ec;
  std::filesystem::create_directories(f.data_dir, ec);
  if (ec) {
    spdlog::error("cannot create data directory {}: {}", f.data_dir, ec.message());
    return kExitFailure;
  }
  opts.database_path = (std::filesystem::path(f.data_dir) / "grafana.db").string();
  auto dash = dashboards::App::Create(opts);
  if (!dash.ok()) {
    spdlog::error("cannot start: {}", dash.status().message());
    return kExitFailure;
  }
  http::ServerOptions so;
  so.name = "dashboards";
  so.listen_addr = f.listen_addr;
  so.io_threads = 1;     // the app is light; fewer threads keep idle memory small
  so.worker_threads = 4;  // SQLite, password hashing and the data source proxy block
  http::Server server(so);
  AddStandardRoutes(server);
  (*dash)->RegisterRoutes(&server);
  Status st = server.Start();
  if (!st.ok()) {
    spdlog::error("{}", st.message());
    return kExitFailure;
  }
  (*dash)->Start();
  spdlog::info("listening on http://{} (provisioning {}, database {})", f.listen_addr, opts.provisioning_dir,
               opts.database_path);
  WaitForShutdown();
  spdlog::info("shutting down");
  server.Stop();
  (*dash)->Stop();
  return kExitOk;
}

}  // namespace sremon::services
