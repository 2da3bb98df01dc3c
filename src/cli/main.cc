// The `sremon` entry point: one binary, one subcommand per service or tool.
#include <cstring>
#include <iostream>
#include <string_view>

#include "cli/commands.h"
#include "http/http.h"
#include "services/common.h"
#include "services/services.h"
#include "version.h"

namespace {

using sremon::services::kExitOk;
using sremon::services::kExitUsage;

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* summary;
};

// The one table of subcommands. Services are listed in the order the supervisor starts them.
constexpr Command kCommands[] = {
    {"up", sremon::services::RunUp, "start the whole stack in the background and print its endpoints"},
    {"down", sremon::services::RunDown, "stop every service of the stack"},
    {"status", sremon::services::RunStatus, "show each service's process and health"},
    {"logs", sremon::services::RunLogs, "show service logs ([SERVICE] [-f] [--tail N])"},
    {"start", sremon::services::RunStart, "start one service of the stack"},
    {"stop", sremon::services::RunStop, "stop one service of the stack (e.g. the app-down drill)"},
    {"restart", sremon::services::RunRestart, "restart one service of the stack"},
    {"app", sremon::services::RunApp, "run the instrumented demo app (port 8080)"},
    {"storage", sremon::services::RunStorage, "run the metrics store: scrape, TSDB, query API (port 8428)"},
    {"rules", sremon::services::RunRules, "run the alerting and recording rules evaluator (port 8880)"},
    {"alertmanager", sremon::services::RunAlertmanager, "run the Alertmanager (port 9093)"},
    {"dashboards", sremon::services::RunDashboards, "run the dashboards web app (port 3000)"},
    {"inbox", sremon::services::RunInbox, "run the notification inbox webhook receiver (port 5001)"},
    {"load", sremon::services::RunLoad, "generate HTTP load against a URL"},
    {"check", sremon::services::RunCheck, "check rule files (check rules FILE...)"},
    {"test", sremon::services::RunTest, "run rule unit tests (test rules FILE...)"},
    {"promqltest", sremon::services::RunPromqlTest, "run PromQL script tests (.test files)"},
};

void PrintHelp() {
  std::cout << "sremon " << sremon::kVersion
            << " — a local SRE monitoring stack: demo app, metrics store, rules, Alertmanager, dashboards.\n\n"
               "Usage: sremon COMMAND [FLAGS]\n\nCommands:\n";
  for (const auto& c : kCommands) std::cout << "  " << c.name << std::string(14 - std::strlen(c.name), ' ') << c.summary << "\n";
  std::cout << "\nRun 'sremon COMMAND --help' for the flags of a command.\n";
}

}  // namespace

int main(int argc, char** argv) {
  sremon::services::BlockShutdownSignals();
  // Every service (and the supervisor, whose children inherit it) may hold as many descriptors
  // as the hard limit allows: a thousand idle clients must not exhaust the common soft 1024.
  sremon::http::RaiseOpenFileLimit();
  if (argc < 2) {
    PrintHelp();
    return kExitUsage;
  }
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    PrintHelp();
    return kExitOk;
  }
  if (cmd == "--version" || cmd == "-version" || cmd == "version") {
    std::cout << "sremon " << sremon::kVersion << " (revision " << sremon::kRevision << ")\n";
    return kExitOk;
  }
  for (const auto& c : kCommands) {
    if (cmd == c.name) {
      // argv[0] becomes "sremon CMD" so help and errors name the subcommand.
      std::string name = std::string("sremon ") + c.name;
      argv[1] = name.data();
      return c.run(argc - 1, argv + 1);
    }
  }
  std::cerr << "sremon: unknown command '" << cmd << "'\nRun 'sremon --help' for the list of commands.\n";
  return kExitUsage;
}
