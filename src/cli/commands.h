// Entry points of the `sremon` subcommands defined in cli/: the supervisor and the load
// generator. Each takes the arguments after the subcommand name and returns the exit code.
#pragma once

namespace sremon::services {

int RunLoad(int argc, char** argv);  // cli/load.cc — HTTP load generator

// Supervisor (cli/supervisor.cc).
int RunUp(int argc, char** argv);
int RunDown(int argc, char** argv);
int RunStatus(int argc, char** argv);
int RunLogs(int argc, char** argv);
int RunStart(int argc, char** argv);
int RunStop(int argc, char** argv);
int RunRestart(int argc, char** argv);

}  // namespace sremon::services
