// Processes of the stack: pid files, starting a service in the background, telling whether a
// pid is still ours, and stopping it. Linux-only (/proc).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "util/status.h"

namespace sremon::supervisor {

// What a pid file says about its service.
struct ProcessState {
  enum class Kind {
    kNone,     // no pid file
    kRunning,  // the pid is alive and is `sremon SUBCOMMAND` started at the recorded time
    kStale,    // pid file left behind: the process is gone, or the pid now belongs to another program
  };
  Kind kind = Kind::kNone;
  pid_t pid = 0;
  std::string reason;  // for kStale: why, e.g. "process 123 is gone"
};

// Pid file format: the pid on the first line, the process start time (clock ticks since boot,
// /proc/PID/stat field 22) on the second, so a reused pid is told apart from ours.
Status WritePidFile(const std::string& path, pid_t pid);
// binary_name: basename of the sremon executable; subcommand: argv[1] it was started with.
// Never signals anything.
ProcessState InspectPidFile(const std::string& path, const std::string& binary_name, const std::string& subcommand);

// Start time of pid in clock ticks since boot, or -1 when the process is gone or a zombie.
long long ProcessStartTicks(pid_t pid);
// argv of a running process, from /proc/PID/cmdline (empty when gone).
std::vector<std::string> ProcessCmdline(pid_t pid);
// Alive and not a zombie.
bool ProcessAlive(pid_t pid);

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the executable path
  std::vector<std::string> env;   // NAME=VALUE added to (or replacing in) the current environment
  std::string cwd;                // working directory of the child
  std::string log_file;           // stdout and stderr are appended here
};
// Forks a child in its own session (so it survives the terminal and the supervisor), with
// stdin from /dev/null, the shutdown signals unblocked and every other fd closed, and execs.
Result<pid_t> Spawn(const SpawnOptions& options);

// Reaps pid if it is our child and has exited: returns its exit code (128+signal when
// killed), or -1 when it is still running or not our child.
int ReapIfExited(pid_t pid);

// SIGTERM, then waits up to `grace`; SIGKILL when still alive. Returns true when it was killed.
bool Terminate(pid_t pid, std::chrono::milliseconds grace);

// True when something else listens on 127.0.0.1:port (a bind with SO_REUSEADDR fails).
bool PortInUse(int port);

// Last n lines of a file ("" when it does not exist).
std::vector<std::string> TailLines(const std::string& path, size_t n);

}  // namespace sremon::supervisor
