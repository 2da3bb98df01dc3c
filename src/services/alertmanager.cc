// `sremon alertmanager`: the Alertmanager stand-in (port 9093), with Alertmanager's flag names.
// Also `--check-config` (like amtool check-config) and `test-receiver NAME`.
#include <iostream>

#include <spdlog/spdlog.h>

#include "alertmanager/alertmanager.h"
#include "alertmanager/templates.h"
#include "alertmanager/web_config.h"
#include "services/common.h"
#include "services/services.h"
#include "util/time.h"

namespace sremon::services {
namespace {

// The flags as given (Alertmanager's names), with their defaults (those of alertmanager::Options).
struct AlertmanagerFlags {
  alertmanager::Options opts;
  std::string listen = "127.0.0.1:9093", log_level = "info", web_config_file;
  bool check_config = false;
  std::string test_receiver;
  CLI::App* test = nullptr;  // the test-receiver subcommand

  void Register(CLI::App& app);
};

void AlertmanagerFlags::Register(CLI::App& app) {
  app.add_option("--config.file", opts.config_file, "Alertmanager configuration file (default alertmanager.yml)");
  app.add_option("--storage.path", opts.storage_path, "Directory for silences, notification log, alerts, history (default data/)");
  app.add_option("--web.listen-address", listen, "Address to listen on (default 127.0.0.1:9093)");
  app.add_option("--web.external-url", opts.external_url, "URL under which the alertmanager is reachable (default http://<listen address>)");
  AddDurationFlag(app, "--data.retention", &opts.retention_ms, 60 * 1000, 10LL * 365 * 24 * 3600 * 1000,
                  "How long to keep silences, notification log and history (default 120h)");
  app.add_option("--web.config.file", web_config_file,
                 "Exporter-toolkit web configuration: basic_auth_users with bcrypt hashes, tls_server_config for "
                 "HTTPS (docs/security.md); read at start; default none: plain HTTP, no authentication");
  app.add_option("--log.level", log_level, "debug, info, warn, error (default info)");
  app.add_option("--silences.max-silence-size-bytes", opts.max_silence_bytes,
                 "Largest silence accepted (matchers, comment, creator), 0 = no limit (default 65536)");
  AddNumberFlag<int64_t>(app, "--silences.max-silences", &opts.max_silences, INT32_MIN, INT32_MAX,
                         "Maximum number of silences, expired ones (kept for --data.retention) included; a new one "
                         "beyond it is refused. Zero or negative = no limit (default 0)");
  app.add_flag("--check-config", check_config, "Check the configuration file and exit (0 valid, 1 invalid)");
  app.footer("Cluster flags (--cluster.*) are accepted and ignored: sremon runs a single node.");
  test = app.add_subcommand("test-receiver", "Send a synthetic alert to one receiver and print what was sent and the answer");
  test->fallthrough();  // --config.file etc. may come after the subcommand
  test->add_option("receiver", test_receiver, "Receiver name")->required();
}

}  // namespace

int RunAlertmanager(int argc, char** argv) {
  CLI::App app("Alertmanager stand-in: routes, groups, silences and inhibits alerts; API v2 on --web.listen-address",
               "sremon alertmanager");
  AlertmanagerFlags f;
  alertmanager::Options& opts = f.opts;
  const std::string& listen = f.listen;
  // Drop --cluster.* flags (and a separate value) before CLI11 sees them: upstream harnesses pass
  // them, often with an empty value ("--cluster.listen-address=") that CLI11 would refuse.
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i > 0 && (a.rfind("--cluster.", 0) == 0 || a.rfind("-cluster.", 0) == 0)) {
      if (a.find('=') == std::string_view::npos && i + 1 < argc && argv[i + 1][0] != '-') ++i;
      continue;
    }
    args.push_back(argv[i]);
  }
  if (auto rc = ParseServiceFlags(app, f, static_cast<int>(args.size()), args.data())) return *rc;

  if (f.check_config) {
    auto c = alertmanager::LoadConfigFile(opts.config_file);
    if (c.ok()) {
      if (auto t = alertmanager::BuildTemplates(**c); !t.ok()) c = t.status();
    }
    if (!c.ok()) {
      std::cout << "Checking '" << opts.config_file << "'  FAILED: " << c.status().message() << "\n";
      return kExitFailure;
    }
    std::cout << "Checking '" << opts.config_file << "'  SUCCESS\nFound:\n - global config\n - route\n - "
              << (*c)->inhibit_rules.size() << " inhibit rules\n - " << (*c)->receivers.size() << " receivers\n - "
              << (*c)->templates.size() << " templates\n";
    return kExitOk;
  }

  InitLogging("alertmanager", f.log_level);
  alertmanager::WebConfig web_config;
  if (!f.web_config_file.empty()) {
    auto w = alertmanager::LoadWebConfigFile(f.web_config_file);
    if (!w.ok()) {
      spdlog::error("cannot load --web.config.file: {}", w.status().message());
      return kExitFailure;
    }
    web_config = std::move(*w);
  }
  if (opts.external_url.empty()) opts.external_url = (web_config.tls.enabled() ? "https://" : "http://") + listen;
  while (!opts.external_url.empty() && opts.external_url.back() == '/') opts.external_url.pop_back();

  if (f.test->parsed()) {
    opts.storage_path = "";  // the running service owns the storage; a test leaves no state
    alertmanager::Alertmanager am(opts);
    if (Status st = am.Init(); !st.ok()) {
      std::cerr << st.message() << "\n";
      return kExitFailure;
    }
    auto res = am.TestReceiver(f.test_receiver);
    if (!res.ok()) {
      std::cerr << res.status().message() << "\n";
      return kExitFailure;
    }
    bool all_ok = !res->results.empty();
    std::cout << "receiver: " << f.test_receiver << "\ngroup key: " << res->data.group_key << "\n";
    if (res->results.empty()) std::cout << "the receiver has no integrations: nothing was sent\n";
    for (const auto& r : res->results) {
      std::cout << "\n--> " << r.target << "\n" << r.payload << "\n<-- "
                << (r.status.ok() ? "OK" : "FAILED: " + r.status.message());
      if (r.http_status) std::cout << " (status " << r.http_status << ")";
      std::cout << "\n" << r.response << "\n";
      all_ok = all_ok && r.status.ok();
    }
    am.Stop();
    return all_ok ? kExitOk : kExitFailure;
  }

  http::ServerOptions so;
  so.name = "alertmanager";
  so.listen_addr = listen;
  so.tls = web_config.tls;
  alertmanager::BasicAuthChecker auth(std::move(web_config));
  WarnIfExposed("alertmanager", listen, auth.enabled(), "Set basic_auth_users in a --web.config.file");

  alertmanager::Alertmanager am(opts);
  http::Server server(so);
  // Ready only once the state is loaded; until then the API is not served at all (Init runs
  // before Start), so nothing can be notified or acknowledged early.
  if (Status st = am.Init(); !st.ok()) {
    spdlog::error("{}", st.message());
    return kExitFailure;
  }
  if (auth.enabled()) server.SetGate(auth.Gate());
  AddStandardRoutes(server, [&am] { return am.Reload(); });
  AddFlagsRoute(server, app);
  am.RegisterRoutes(server);
  if (Status st = server.Start(); !st.ok()) {
    spdlog::error("{}", st.message());
    am.Stop();
    return kExitFailure;
  }
  spdlog::info("Listening on address={}:{} config={} storage={} tls={}", listen.substr(0, listen.rfind(':')),
               server.port(), opts.config_file, opts.storage_path, so.tls.enabled());
  // SIGHUP: Reload() logs and counts a failure itself and keeps the running config.
  WaitForShutdown([&am] { (void)am.Reload(); });
  server.Stop();
  am.Stop();
  return kExitOk;
}

}  // namespace sremon::services
