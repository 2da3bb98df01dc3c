// `sremon rules`: the vmalert stand-in (port 8880). Flags keep vmalert's names so the
// reference command line works unchanged. Wiring only: the logic lives in src/rules.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>

#include <spdlog/spdlog.h>

#include "http/http.h"
#include "promql/ast.h"
#include "rules/api.h"
#include "rules/datasource.h"
#include "rules/manager.h"
#include "rules/notifier.h"
#include "rules/remote_write.h"
#include "services/common.h"
#include "services/services.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::services {

namespace {

// Accepts "a,b" as well as repeated flags (vmalert does both).
std::vector<std::string> SplitCommas(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& v : in) {
    for (auto part : Split(v, ',')) {
      if (!Trim(part).empty()) out.emplace_back(Trim(part));
    }
  }
  return out;
}

// Every duration flag here: Go syntax (vmalert's flags are time.Duration), 0s to a year.
Result<int64_t> Duration(const std::string& flag, const std::string& v) {
  return ParseDurationFlag(flag, v, 0, 365LL * 24 * 3600 * 1000);
}

// The flags as given (vmalert's names).
struct RulesFlags {
  std::vector<std::string> rule_files, notifier_urls, external_labels;
  std::string datasource_url, remote_write_url, remote_read_url, listen_addr = "127.0.0.1:8880", external_url;
  std::string eval_interval = "1m", resend_delay = "0s", lookback = "0s", restore_lookback = "1h", flush_interval = "1s";
  std::string log_level = "info";
  HttpAuthFlags auth;
  bool dry_run = false, validate_expressions = true, validate_templates = true;

  RulesFlags() { auth.keys = {{"reloadAuthKey", {"/-/reload"}, ""}}; }
  void Register(CLI::App& cli);
};

void RulesFlags::Register(CLI::App& cli) {
  cli.add_option("--rule", rule_files, "Path or glob of rule files; repeatable (required)");
  cli.add_option("--datasource.url", datasource_url, "Prometheus-compatible query API the rules are evaluated against, e.g. http://127.0.0.1:8428 (required)");
  cli.add_option("--notifier.url", notifier_urls, "Alertmanager base URL; repeatable or comma-separated");
  cli.add_option("--remoteWrite.url", remote_write_url, "remote_write URL for recording results, ALERTS and ALERTS_FOR_STATE (default none)");
  cli.add_option("--remoteRead.url", remote_read_url, "Query API to restore alert state from on start (default -datasource.url)");
  cli.add_option("--remoteRead.lookback", restore_lookback, "How far back ALERTS_FOR_STATE is looked up on restore (default 1h)");
  cli.add_option("--evaluationInterval", eval_interval, "Default group evaluation interval (default 1m)");
  cli.add_option("--httpListenAddr", listen_addr, "Address to listen on (default 127.0.0.1:8880)");
  cli.add_option("--external.url", external_url, "URL of this service in notifications' generatorURL (default http://<listen address>)");
  cli.add_option("--external.label", external_labels, "name=value label added to every sent alert and written series; repeatable");
  cli.add_option("--rule.resendDelay", resend_delay, "Minimum time before re-sending a firing alert (default 0s: every evaluation)");
  cli.add_option("--datasource.lookback", lookback, "Evaluate queries at time minus this lookback (default 0s)");
  cli.add_option("--remoteWrite.flushInterval", flush_interval, "How often queued samples are written (default 1s)");
  cli.add_flag("--dryRun", dry_run, "Only check the rule files and exit");
  cli.add_option("--rule.validateExpressions", validate_expressions, "Check rule expressions with the PromQL parser (default true)");
  cli.add_option("--rule.validateTemplates", validate_templates, "Check annotation and label templates (default true)");
  cli.add_option("--loggerLevel", log_level, "Log level: debug, info, warn, error (default info)");
  AddHttpAuthFlags(cli, &auth);
}

// The flags checked and turned into the modules' options. With -dryRun only `manager`'s rule
// files and parse options are set (nothing else is needed, or checked).
struct RulesConfig {
  rules::ManagerOptions manager;  // without its query, notify and write functions
  rules::DatasourceOptions datasource, remote_read;
  rules::NotifierOptions notifier;
  std::optional<rules::RemoteWriteOptions> remote_write;
};

// Every check of the flags, in one place; the error is a usage error's message.
Result<RulesConfig> ParseRulesFlags(RulesFlags& f) {
  if (f.rule_files.empty()) return Status::InvalidArgument("at least one -rule is required");
  RulesConfig c;
  rules::ManagerOptions& mo = c.manager;
  mo.rule_patterns = SplitCommas(f.rule_files);
  mo.parse.validate_templates = f.validate_templates;
  if (f.validate_expressions) {
    mo.parse.validate_expr = [](std::string_view e) -> Status {
      auto r = promql::ParseExpr(e);
      return r.ok() ? Status::Ok() : r.status();
    };
  }
  if (f.dry_run) return c;
  if (f.datasource_url.empty()) return Status::InvalidArgument("-datasource.url is required");

  auto interval = Duration("evaluationInterval", f.eval_interval);
  auto resend = Duration("rule.resendDelay", f.resend_delay);
  auto lb = Duration("datasource.lookback", f.lookback);
  auto rlb = Duration("remoteRead.lookback", f.restore_lookback);
  auto flush = Duration("remoteWrite.flushInterval", f.flush_interval);
  for (const auto* r : {&interval, &resend, &lb, &rlb, &flush}) {
    if (!r->ok()) return r->status();
  }
  if (*interval <= 0) return Status::InvalidArgument("-evaluationInterval must be positive");
  std::vector<model::Label> ext;
  for (const auto& l : f.external_labels) {
    size_t eq = l.find('=');
    if (eq == std::string::npos || !model::IsValidLabelName(l.substr(0, eq))) {
      return Status::InvalidArgument(fmt::format("invalid -external.label={}: want name=value", l));
    }
    ext.push_back({l.substr(0, eq), l.substr(eq + 1)});
  }
  if (f.external_url.empty()) {
    std::string host;
    int port = 0;
    if (http::ParseListenAddr(f.listen_addr, &host, &port).ok()) {
      if (host.empty() || host == "0.0.0.0") {
        char name[256] = {0};
        gethostname(name, sizeof(name) - 1);
        host = name;
      }
      f.external_url = fmt::format("http://{}:{}", host, port);
    }
  }

  c.datasource.url = f.datasource_url;
  c.datasource.lookback_ms = *lb;
  c.remote_read.url = f.remote_read_url.empty() ? f.datasource_url : f.remote_read_url;
  mo.group.restore_lookback_ms = *rlb;
  mo.group.default_interval_ms = *interval;
  mo.group.resend_delay_ms = *resend;
  mo.group.external_labels = model::Labels(ext);
  mo.group.label_written_series = true;
  mo.group.external_url = f.external_url;
  c.notifier.urls = SplitCommas(f.notifier_urls);
  if (!f.remote_write_url.empty()) {
    c.remote_write.emplace();
    c.remote_write->url = f.remote_write_url;
    c.remote_write->flush_interval = std::chrono::milliseconds(std::max<int64_t>(*flush, 10));
  }
  return c;
}

}  // namespace

int RunRulesBacktest(int argc, char** argv);  // services/rules_tools.cc

int RunRules(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "backtest") return RunRulesBacktest(argc - 1, argv + 1);
  CLI::App cli{"Evaluates Prometheus alerting and recording rules against a query API, sends alerts to "
               "Alertmanagers and writes results back (vmalert-compatible flags).\n"
               "Also: 'sremon rules backtest --rule FILE --from T --to T --datasource.url URL'.",
               argv[0]};
  RulesFlags flags;
  if (auto code = ParseServiceFlags(cli, flags, argc, argv)) return *code;
  InitLogging("rules", ToLower(flags.log_level) == "warn" ? "warn" : ToLower(flags.log_level));
  auto config = ParseRulesFlags(flags);
  if (!config.ok()) {
    std::cerr << argv[0] << ": " << config.status().message() << "\n";
    return kExitUsage;
  }
  rules::ManagerOptions& mo = config->manager;
  if (flags.dry_run) {
    mo.start_groups = false;
    rules::Manager m(mo);
    Status st = m.Load();
    if (!st.ok()) {
      std::cerr << st.message() << "\n";
      return kExitFailure;
    }
    std::cout << "rules are valid: " << m.Groups().size() << " group(s)\n";
    return kExitOk;
  }

  mo.group.query = rules::MakeHttpQueryFn(config->datasource);
  mo.group.restore_query = rules::MakeHttpQueryFn(config->remote_read);
  rules::Notifier notifier(config->notifier);
  notifier.Start();
  if (!config->notifier.urls.empty()) {
    mo.group.notify = [&notifier](std::vector<rules::AlertMessage> m) { notifier.Send(std::move(m)); };
  }
  std::unique_ptr<rules::RemoteWriteClient> writer;
  if (config->remote_write) {
    writer = std::make_unique<rules::RemoteWriteClient>(*config->remote_write);
    writer->Start();
    mo.group.write = [w = writer.get()](std::vector<rules::OutSample> s) { w->Push(std::move(s)); };
  } else {
    spdlog::warn("rules: no -remoteWrite.url: recording results and ALERTS_FOR_STATE are not persisted");
  }

  rules::Manager manager(mo);
  if (Status st = manager.Load(); !st.ok()) {
    std::cerr << argv[0] << ": " << st.message() << "\n";
    return kExitFailure;
  }

  http::ServerOptions so;
  so.name = "rules";
  so.listen_addr = flags.listen_addr;
  http::Server server(so);
  InstallHttpAuth(server, flags.auth);
  WarnIfExposed("rules", flags.listen_addr, flags.auth.enabled(), "Set -httpAuth.username and -httpAuth.password");
  AddStandardRoutes(server, [&manager] { return manager.Load(); });
  AddFlagsRoute(server, cli);
  // Pages and logs show URLs without their passwords.
  rules::RoutesOptions ro;
  ro.datasource = config->datasource;
  for (const auto& u : config->notifier.urls) ro.shown_notifiers.push_back(http::RedactUrl(u));
  ro.shown_datasource = http::RedactUrl(flags.datasource_url);
  rules::RegisterRoutes(server, manager, ro);
  if (Status st = server.Start(); !st.ok()) {
    std::cerr << argv[0] << ": " << st.message() << "\n";
    return kExitFailure;
  }
  spdlog::info("rules: listening on {} (datasource {}, {} notifier(s))", flags.listen_addr, ro.shown_datasource,
               config->notifier.urls.size());
  // SIGHUP: Load() logs a failure itself and keeps the previous rules.
  WaitForShutdown([&manager] { (void)manager.Load(); });
  server.Stop();
  manager.Stop();
  notifier.Stop();
  if (writer) writer->Stop();
  return kExitOk;
}

}  // namespace sremon::services
