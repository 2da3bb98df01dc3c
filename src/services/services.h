// Entry points of the `sremon` subcommands that run a service or a service's tool (the
// supervisor and the load generator are cli/commands.h). Each takes the arguments after the subcommand name
// (argv[0] is "sremon SUBCOMMAND") and returns the process exit code.
#pragma once

namespace sremon::services {

// Services (long-running).
int RunApp(int argc, char** argv);           // services/app.cc         — the demo app (8080)
int RunStorage(int argc, char** argv);       // services/storage.cc     — VictoriaMetrics stand-in (8428)
int RunRules(int argc, char** argv);         // services/rules.cc       — vmalert stand-in (8880)
int RunAlertmanager(int argc, char** argv);  // services/alertmanager.cc — Alertmanager stand-in (9093)
int RunDashboards(int argc, char** argv);    // services/dashboards.cc  — Grafana stand-in (3000)
int RunInbox(int argc, char** argv);         // services/inbox.cc       — webhook receiver (5001)

// Tools.
int RunPromqlTest(int argc, char** argv);    // services/promqltest.cc — PromQL script tests
int RunCheck(int argc, char** argv);         // services/rules_tools.cc — check rules FILE...
int RunTest(int argc, char** argv);          // services/rules_tools.cc — test rules FILE...

}  // namespace sremon::services
