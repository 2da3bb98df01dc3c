// Helpers for tests that start real processes and talk HTTP: free ports, temporary
// directories, and a child process killed when the test ends. Link sremon_testutil.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace sremon::testutil {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read, close).
int FreePort();

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

// The sremon binary under test ($SREMON_BIN, set by ctest) and the source tree.
std::string SremonBin();
std::string SourceDir();

// A child process (argv[0] is the program path). stdout/stderr go to log_path when given.
// The destructor sends SIGKILL if it is still running.
class Child {
 public:
  Child(std::vector<std::string> argv, std::string log_path = "");
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  bool Running();
  // Sends sig and waits up to timeout for the exit; returns the exit status (or -1).
  int Stop(int sig, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Waits for exit; returns the exit code, 128+signal when killed, -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

// Polls url until it answers 200 or timeout passes.
bool WaitHttpOk(const std::string& url, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

// Runs a command line through /bin/sh, returns its exit code and captures stdout+stderr.
int RunCommand(const std::string& cmd, std::string* output = nullptr);

// True when program is on $PATH: suites that drive an upstream program skip without it.
bool Installed(const std::string& program);

}  // namespace sremon::testutil
