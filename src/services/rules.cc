// `sremon rules`: the vmalert stand-in (port 8880). Flags keep vmalert's names so the
// reference command line works unchanged. Wiring only: the logic lives in src/rules.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>

#include <spdlog/spdlog.h>

#include "api/errors.h"
#include "http/http.h"
#include "promql/ast.h"
#include "rules/api.h"
#include "rules/backtest.h"
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

}  // namespace

int RunRulesBacktest(int argc, char** argv);  // services/rules_tools.cc

int RunRules(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "backtest") return RunRulesBacktest(argc - 1, argv + 1);
  CLI::App cli{"Evaluates Prometheus alerting and recording rules against a query API, sends alerts to "
               "Alertmanagers and writes results back (vmalert-compatible flags).\n"
               "Also: 'sremon rules backtest --rule FILE --from T --to T --datasource.url URL'.",
               argv[0]};
  std::vector<std::string> rule_files, notifier_urls, external_labels;
  std::string datasource_url, remote_write_url, remote_read_url, listen_addr = "127.0.0.1:8880", external_url;
  std::string eval_interval = "1m", resend_delay = "0s", lookback = "0s", restore_lookback = "1h", flush_interval = "1s";
  std::string log_level = "info";
  HttpAuthFlags auth;
  auth.keys = {{"reloadAuthKey", {"/-/reload"}, ""}};
  bool dry_run = false, validate_expressions = true, validate_templates = true;
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
  if (auto code = ParseFlags(cli, argc, argv)) return *code;
  InitLogging("rules", ToLower(log_level) == "warn" ? "warn" : ToLower(log_level));

  auto usage = [&](const std::string& msg) {
    std::cerr << argv[0] << ": " << msg << "\n";
    return kExitUsage;
  };
  if (rule_files.empty()) return usage("at least one -rule is required");
  rules::ManagerOptions mo;
  mo.rule_patterns = SplitCommas(rule_files);
  mo.parse.validate_templates = validate_templates;
  if (validate_expressions) {
    mo.parse.validate_expr = [](std::string_view e) -> Status {
      auto r = promql::ParseExpr(e);
      return r.ok() ? Status::Ok() : r.status();
    };
  }
  if (dry_run) {
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
  if (datasource_url.empty()) return usage("-datasource.url is required");

  auto interval = Duration("evaluationInterval", eval_interval);
  auto resend = Duration("rule.resendDelay", resend_delay);
  auto lb = Duration("datasource.lookback", lookback);
  auto rlb = Duration("remoteRead.lookback", restore_lookback);
  auto flush = Duration("remoteWrite.flushInterval", flush_interval);
  for (const auto* r : {&interval, &resend, &lb, &rlb, &flush}) {
    if (!r->ok()) return usage(r->status().message());
  }
  if (*interval <= 0) return usage("-evaluationInterval must be positive");
  std::vector<model::Label> ext;
  for (const auto& l : external_labels) {
    size_t eq = l.find('=');
    if (eq == std::string::npos || !model::IsValidLabelName(l.substr(0, eq))) {
      return usage(fmt::format("invalid -external.label={}: want name=value", l));
    }
    ext.push_back({l.substr(0, eq), l.substr(eq + 1)});
  }
  if (external_url.empty()) {
    std::string host;
    int port = 0;
    if (http::ParseListenAddr(listen_addr, &host, &port).ok()) {
      if (host.empty() || host == "0.0.0.0") {
        char name[256] = {0};
        gethostname(name, sizeof(name) - 1);
        host = name;
      }
      external_url = fmt::format("http://{}:{}", host, port);
    }
  }

  rules::DatasourceOptions ds;
  ds.url = datasource_url;
  ds.lookback_ms = *lb;
  mo.group.query = rules::MakeHttpQueryFn(ds);
  rules::DatasourceOptions rs;
  rs.url = remote_read_url.empty() ? datasource_url : remote_read_url;
  mo.group.restore_query = rules::MakeHttpQueryFn(rs);
  mo.group.restore_lookback_ms = *rlb;
  mo.group.default_interval_ms = *interval;
  mo.group.resend_delay_ms = *resend;
  mo.group.external_labels = model::Labels(ext);
  mo.group.label_written_series = true;
  mo.group.external_url = external_url;

  rules::NotifierOptions no;
  no.urls = SplitCommas(notifier_urls);
  rules::Notifier notifier(no);
  notifier.Start();
  if (!no.urls.empty()) mo.group.notify = [&notifier](std::vector<rules::AlertMessage> m) { notifier.Send(std::move(m)); };
  std::unique_ptr<rules::RemoteWriter> writer;
  if (!remote_write_url.empty()) {
    rules::RemoteWriteOptions wo;
    wo.url = remote_write_url;
    wo.flush_interval = std::chrono::milliseconds(std::max<int64_t>(*flush, 10));
    writer = std::make_unique<rules::RemoteWriter>(wo);
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
  so.listen_addr = listen_addr;
  http::Server server(so);
  InstallHttpAuth(server, auth);
  WarnIfExposed("rules", listen_addr, auth.enabled(), "Set -httpAuth.username and -httpAuth.password");
  AddStandardRoutes(server, [&manager] { return manager.Load(); });
  AddFlagsRoute(server, cli);
  auto rules_handler = [&manager](http::Request& req, http::Response& resp) {
    rules::RulesFilter f;
    f.type = std::string(req.Param("type"));
    if (!f.type.empty() && f.type != "alert" && f.type != "record") {
      return api::WriteError(resp, api::BadData("invalid type parameter: want alert or record"));
    }
    f.rule_names = req.Params("rule_name[]");
    f.group_names = req.Params("rule_group[]");
    f.files = req.Params("file[]");
    resp.SetJson(200, rules::RulesJson(manager.Groups(), f));
  };
  auto alerts_handler = [&manager](http::Request&, http::Response& resp) {
    resp.SetJson(200, rules::AlertsJson(manager.Groups()));
  };
  for (const char* prefix : {"", "/vmalert"}) {
    for (const char* verb : http::kReadMethods) {
      server.Route(verb, std::string(prefix) + "/api/v1/rules", rules_handler);
      server.Route(verb, std::string(prefix) + "/api/v1/alerts", alerts_handler);
    }
  }
  // Pages and logs show URLs without their passwords.
  std::vector<std::string> shown_notifiers;
  for (const auto& u : no.urls) shown_notifiers.push_back(http::RedactUrl(u));
  const std::string shown_datasource = http::RedactUrl(datasource_url);
  auto page = [&](http::Request&, http::Response& resp) {
    rules::StatusPageInfo info{manager.last_reload_ok(), manager.last_reload_error(), shown_notifiers, shown_datasource};
    resp.SetHtml(200, rules::StatusPageHtml(manager.Groups(), info));
  };
  server.Route("GET", "/", page);
  server.Route("GET", "/vmalert", page);
  server.Route("GET", "/vmalert/", page);
  // Backtest over the service's own datasource: /api/v1/backtest?rule=NAME&from=T&to=T[&step=D]
  server.Route("GET", "/api/v1/backtest", [&manager, ds](http::Request& req, http::Response& resp) {
    auto bad = [&](std::string msg) { api::WriteError(resp, api::BadData(std::move(msg))); };
    std::string name(req.Param("rule"));
    // A copy: a reload may replace the group while the backtest runs.
    std::optional<rules::RuleSpec> spec;
    int64_t step = 0;
    for (const auto& g : manager.Groups()) {
      for (const auto& r : g->rules()) {
        if (r->spec().is_alert() && r->name() == name && !spec) {
          spec = r->spec();
          step = g->interval_ms();
        }
      }
    }
    if (!spec) return bad(fmt::format("no alerting rule named \"{}\"", name));
    auto from = ParseTimeParam(req.Param("from"));
    auto to = req.HasParam("to") ? ParseTimeParam(req.Param("to")) : Result<int64_t>(NowMs());
    if (!from.ok()) return bad("invalid from: " + from.status().message());
    if (!to.ok()) return bad("invalid to: " + to.status().message());
    if (req.HasParam("step")) {
      auto s = ParseDurationMs(req.Param("step"), true);
      if (!s.ok()) return bad("invalid step: " + s.status().message());
      step = *s;
    }
    auto res = rules::Backtest(*spec, [&ds](const std::string& e, int64_t s, int64_t en, int64_t st) {
      return rules::HttpQueryRange(ds, e, s, en, st);
    }, *from, *to, step);
    if (!res.ok()) {
      if (res.status().code() == Status::Code::kInvalidArgument) return bad(res.status().message());
      return api::WriteError(resp, api::ApiError{api::kUnavailable, res.status().message()});
    }
    resp.SetJson(200, rules::FormatBacktestJson(*res));
  }, /*blocking=*/true);
  if (Status st = server.Start(); !st.ok()) {
    std::cerr << argv[0] << ": " << st.message() << "\n";
    return kExitFailure;
  }
  spdlog::info("rules: listening on {} (datasource {}, {} notifier(s))", listen_addr, shown_datasource, no.urls.size());
  // SIGHUP: Load() logs a failure itself and keeps the previous rules.
  WaitForShutdown([&manager] { (void)manager.Load(); });
  server.Stop();
  manager.Stop();
  notifier.Stop();
  if (writer) writer->Stop();
  return kExitOk;
}

}  // namespace sremon::services
