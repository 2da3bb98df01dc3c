#include "supervisor/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "util/strings.h"

extern char** environ;

namespace sremon::supervisor {

namespace {

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Fields of /proc/PID/stat after the command name: [0] is field 3 (state).
std::vector<std::string> StatFields(pid_t pid) {
  std::string stat = ReadSmallFile(fmt::format("/proc/{}/stat", pid));
  size_t close = stat.rfind(')');
  std::vector<std::string> out;
  if (close == std::string::npos || close + 2 > stat.size()) return out;
  std::istringstream fields(stat.substr(close + 2));
  std::string tok;
  while (fields >> tok) out.push_back(tok);
  return out;
}

}  // namespace

long long ProcessStartTicks(pid_t pid) {
  std::vector<std::string> f = StatFields(pid);
  if (f.size() < 20 || f[0] == "Z" || f[0] == "X") return -1;
  return std::atoll(f[22 - 3].c_str());
}

bool ProcessAlive(pid_t pid) { return pid > 0 && ProcessStartTicks(pid) >= 0; }

std::vector<std::string> ProcessCmdline(pid_t pid) {
  std::string raw = ReadSmallFile(fmt::format("/proc/{}/cmdline", pid));
  std::vector<std::string> argv;
  size_t start = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\0') {
      argv.push_back(raw.substr(start, i - start));
      start = i + 1;
    }
  }
  return argv;
}

Status WritePidFile(const std::string& path, pid_t pid) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << pid << "\n" << ProcessStartTicks(pid) << "\n";
    if (!out) return Status::IOError(fmt::format("cannot write pid file {}: {}", tmp, std::strerror(errno)));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError(fmt::format("cannot write pid file {}: {}", path, ec.message()));
  return Status::Ok();
}

ProcessState InspectPidFile(const std::string& path, const std::string& binary_name, const std::string& subcommand) {
  ProcessState st;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return st;
  std::istringstream in(ReadSmallFile(path));
  long long pid = 0, ticks = -1;
  in >> pid >> ticks;
  st.pid = static_cast<pid_t>(pid);
  st.kind = ProcessState::Kind::kStale;
  if (pid <= 0) {
    st.reason = "the pid file holds no pid";
    return st;
  }
  long long now_ticks = ProcessStartTicks(st.pid);
  if (now_ticks < 0) {
    st.reason = fmt::format("process {} is gone", pid);
    return st;
  }
  std::vector<std::string> argv = ProcessCmdline(st.pid);
  bool ours = argv.size() >= 2 && std::filesystem::path(argv[0]).filename() == binary_name && argv[1] == subcommand;
  if (!ours || (ticks >= 0 && ticks != now_ticks)) {
    st.reason = fmt::format("pid {} now belongs to another program ({})", pid,
                            argv.empty() ? std::string("?") : Join(argv, " ").substr(0, 80));
    return st;
  }
  st.kind = ProcessState::Kind::kRunning;
  return st;
}

Result<pid_t> Spawn(const SpawnOptions& o) {
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string_view kv = *e;
    bool replaced = false;
    for (const auto& add : o.env) {
      size_t eq = add.find('=');
      if (kv.substr(0, kv.find('=')) == std::string_view(add).substr(0, eq)) replaced = true;
    }
    if (!replaced) env_strings.emplace_back(kv);
  }
  env_strings.insert(env_strings.end(), o.env.begin(), o.env.end());
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = o.argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  int log_fd = open(o.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IOError(fmt::format("cannot open log file {}: {}", o.log_file, std::strerror(errno)));
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(log_fd);
    close(null_fd);
    return Status::Unavailable(fmt::format("cannot fork: {}", std::strerror(err)));
  }
  if (pid == 0) {
    setsid();
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    // main() blocks the shutdown signals for sigwait; the mask survives exec, so undo it here or
    // the service would never see SIGTERM. SIGPIPE back to default for the same reason.
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, nullptr);
    signal(SIGPIPE, SIG_DFL);
    close_range(3, ~0U, 0);
    if (!o.cwd.empty() && chdir(o.cwd.c_str()) != 0) {
      const char msg[] = "sremon supervisor: cannot chdir to the config dir\n";
      (void)!write(2, msg, sizeof(msg) - 1);
      _exit(127);
    }
    execve(argv[0], argv.data(), envp.data());
    const char msg[] = "sremon supervisor: exec failed\n";
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(127);
  }
  close(log_fd);
  close(null_fd);
  return pid;
}

int ReapIfExited(pid_t pid) {
  int status = 0;
  pid_t r = waitpid(pid, &status, WNOHANG);
  if (r != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool Terminate(pid_t pid, std::chrono::milliseconds grace) {
  if (!ProcessAlive(pid)) return false;
  kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    ReapIfExited(pid);  // when it is our child; otherwise its parent (init) reaps it
    if (!ProcessAlive(pid)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  for (int i = 0; i < 200 && ProcessAlive(pid); ++i) {
    ReapIfExited(pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

bool PortInUse(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool in_use = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 && errno == EADDRINUSE;
  close(fd);
  return in_use;
}

std::vector<std::string> TailLines(const std::string& path, size_t n) {
  std::vector<std::string> lines;
  if (n == 0) return lines;
  std::ifstream in(path, std::ios::binary);
  if (!in) return lines;
  // Read at most the last 1 MiB: enough for any sensible tail, bounded for huge logs.
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff from = std::max<std::streamoff>(0, size - (1 << 20));
  in.seekg(from);
  std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string_view> all = Split(chunk, '\n');
  if (!all.empty() && all.back().empty()) all.pop_back();
  if (from > 0 && !all.empty()) all.erase(all.begin());  // partial first line
  size_t start = all.size() > n ? all.size() - n : 0;
  for (size_t i = start; i < all.size(); ++i) lines.emplace_back(all[i]);
  return lines;
}

}  // namespace sremon::supervisor
