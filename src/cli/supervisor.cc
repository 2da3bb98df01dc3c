// `sremon up|down|status|logs|start|stop|restart`: flags of the supervisor commands. The work is
// in src/supervisor/ (the service table is supervisor/stack.cc).
#include <iostream>

#include "cli/commands.h"
#include "services/common.h"
#include "supervisor/supervisor.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::services {

namespace {

using supervisor::Supervisor;

enum class Cmd { kUp, kDown, kStatus, kLogs, kStart, kStop, kRestart };

struct Flags {
  supervisor::StackFlags stack;
  std::string only;
  std::vector<std::string> names;
  std::string timeout = "10s";
  std::string grace = "10s";
  bool json = false;
  bool follow = false;
  size_t tail = 100;
};

void AddStackFlags(CLI::App& cli, Flags& f) {
  cli.add_option("--state-dir", f.stack.state_dir, "pid files and logs/ (env SREMON_STATE_DIR; default ./.sremon)");
  cli.add_option("--data-dir", f.stack.data_dir,
                 "data of every service, one subdirectory each, kept across down/up (env SREMON_DATA_DIR; default ./data)");
  cli.add_option("--config-dir", f.stack.config_dir,
                 "directory holding prometheus/ and grafana/; services run with it as working directory "
                 "(env SREMON_CONFIG_DIR; default .)");
  cli.add_option("--ports", f.stack.ports,
                 "ports by service, e.g. app=18080,storage=18428 (env SREMON_PORTS; defaults app=8080 storage=8428 "
                 "inbox=5001 alertmanager=9093 rules=8880 dashboards=3000)");
}

int Run(Cmd cmd, int argc, char** argv) {
  // The supervisor commands are ordinary foreground programs: Ctrl-C must stop them (main()
  // blocked these signals for the services' sigwait).
  UnblockShutdownSignals();
  Flags f;
  std::string what;
  switch (cmd) {
    case Cmd::kUp: what = "Start the stack (or the services named) in the background and print its endpoints."; break;
    case Cmd::kDown: what = "Stop every service of the stack (SIGTERM, then SIGKILL after --grace)."; break;
    case Cmd::kStatus: what = "Show each service's process and health; exit 1 if any is not healthy."; break;
    case Cmd::kLogs: what = "Show service logs (all services interleaved when none is named)."; break;
    case Cmd::kStart: what = "Start services of the stack."; break;
    case Cmd::kStop: what = "Stop services of the stack (e.g. `sremon stop app`, the app-down drill)."; break;
    case Cmd::kRestart: what = "Restart services of the stack."; break;
  }
  CLI::App cli(what, argv[0]);
  AddStackFlags(cli, f);
  bool takes_names = cmd != Cmd::kDown;
  if (takes_names) {
    auto* names = cli.add_option("SERVICE", f.names, "services: app, storage, inbox, alertmanager, rules, dashboards");
    if (cmd == Cmd::kStart || cmd == Cmd::kStop || cmd == Cmd::kRestart) names->required();
  }
  if (cmd == Cmd::kUp || cmd == Cmd::kStatus) {
    cli.add_option("--only", f.only, "comma-separated subset of services, e.g. --only app,storage (same as naming them)");
  }
  if (cmd == Cmd::kUp || cmd == Cmd::kStart || cmd == Cmd::kRestart) {
    cli.add_option("--timeout", f.timeout, "how long to wait for each service to answer its health URL (default 10s)");
  }
  if (cmd == Cmd::kDown || cmd == Cmd::kStop || cmd == Cmd::kRestart) {
    cli.add_option("--grace", f.grace, "how long to wait after SIGTERM before SIGKILL (default 10s)");
  }
  if (cmd == Cmd::kStatus) cli.add_flag("--json", f.json, "print JSON instead of the table");
  if (cmd == Cmd::kLogs) {
    cli.add_flag("-f,--follow", f.follow, "keep printing new lines until interrupted");
    AddNumberFlag<size_t>(cli, "-n,--tail", &f.tail, 0, 1000000, "lines of history to print (default 100)");
  }
  if (auto code = ParseFlags(cli, argc, argv)) return *code;

  auto usage_error = [&](const std::string& msg) {
    std::cerr << argv[0] << ": " << msg << "\nRun '" << argv[0] << " --help' for usage.\n";
    return kExitUsage;
  };
  auto cfg = supervisor::ResolveStackConfig(f.stack);
  if (!cfg.ok()) return usage_error(cfg.status().message());
  auto timeout = ParseDurationMs(f.timeout);
  if (!timeout.ok()) return usage_error("--timeout: " + timeout.status().message());
  auto grace = ParseDurationMs(f.grace);
  if (!grace.ok()) return usage_error("--grace: " + grace.status().message());
  std::string names = f.only;
  for (const auto& n : f.names) names += "," + n;
  auto selected = supervisor::SelectServices(names);
  if (!selected.ok()) return usage_error(selected.status().message());

  Supervisor sup(*cfg, std::cout, std::cerr);
  bool named = !Trim(names).empty();
  std::chrono::milliseconds t(*timeout), g(*grace);
  switch (cmd) {
    case Cmd::kUp: return sup.Up(*selected, t, /*print_endpoints=*/true);
    case Cmd::kDown: return sup.Down(g);
    case Cmd::kStatus: return sup.Status(named ? *selected : sup.DefaultSelection(), f.json);
    case Cmd::kLogs: return sup.Logs(named ? *selected : sup.DefaultSelection(), f.follow, f.tail);
    case Cmd::kStart: return sup.Up(*selected, t, /*print_endpoints=*/false);
    case Cmd::kStop: return sup.Stop(*selected, g);
    case Cmd::kRestart: return sup.Restart(*selected, g, t);
  }
  return kExitFailure;
}

}  // namespace

int RunUp(int argc, char** argv) { return Run(Cmd::kUp, argc, argv); }
int RunDown(int argc, char** argv) { return Run(Cmd::kDown, argc, argv); }
int RunStatus(int argc, char** argv) { return Run(Cmd::kStatus, argc, argv); }
int RunLogs(int argc, char** argv) { return Run(Cmd::kLogs, argc, argv); }
int RunStart(int argc, char** argv) { return Run(Cmd::kStart, argc, argv); }
int RunStop(int argc, char** argv) { return Run(Cmd::kStop, argc, argv); }
int RunRestart(int argc, char** argv) { return Run(Cmd::kRestart, argc, argv); }

}  // namespace sremon::services
