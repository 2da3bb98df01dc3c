#include "supervisor/supervisor.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "http/page.h"
#include "supervisor/process.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::supervisor {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

HealthAnswer CheckHealth(const std::string& url, milliseconds timeout) {
  HealthAnswer h;
  auto r = http::Get(url, timeout);
  if (!r.ok()) {
    // "GET http://...: connect failed: Connection refused" → "connect failed: Connection refused"
    std::string msg = r.status().message();
    std::string prefix = "GET " + url + ": ";
    h.answer = msg.starts_with(prefix) ? msg.substr(prefix.size()) : msg;
    return h;
  }
  h.http_status = r->status;
  h.ok = r->status == 200;
  std::string_view body = Trim(r->body);
  body = body.substr(0, std::min(body.find('\n'), size_t{80}));
  h.answer = fmt::format("{} {}", r->status, body);
  return h;
}

Supervisor::Supervisor(StackConfig cfg, std::ostream& out, std::ostream& err)
    : cfg_(std::move(cfg)), binary_name_(fs::path(cfg_.binary).filename().string()), out_(out), err_(err) {}

std::string Supervisor::RecordFile() const { return cfg_.state_dir + "/services"; }

void Supervisor::Record(const Selection& services) const {
  std::set<std::string> names;
  std::ifstream in(RecordFile());
  for (std::string line; std::getline(in, line);) names.insert(std::string(Trim(line)));
  for (const auto* s : services) names.insert(s->name);
  std::ofstream out(RecordFile(), std::ios::trunc);
  for (const auto& n : names) {
    if (!n.empty()) out << n << "\n";
  }
}

Supervisor::Selection Supervisor::DefaultSelection() const {
  std::set<std::string> names;
  std::ifstream in(RecordFile());
  bool recorded = static_cast<bool>(in);
  for (std::string line; std::getline(in, line);) names.insert(std::string(Trim(line)));
  for (const auto& s : Services()) {
    if (fs::exists(cfg_.PidFile(s.name))) names.insert(s.name);
  }
  Selection out;
  for (const auto& s : Services()) {
    if (!recorded && names.empty()) {
      out.push_back(&s);
    } else if (names.count(s.name)) {
      out.push_back(&s);
    }
  }
  return out;
}

namespace {

// What became of one service during Up.
struct Launch {
  const ServiceSpec* spec;
  pid_t pid = 0;
  bool started_now = false;
  bool healthy = false;
  bool done = false;
  std::string outcome;
};

bool LogSaysPortInUse(const std::vector<std::string>& tail) {
  for (const auto& l : tail) {
    if (l.find("address already in use") != std::string::npos ||
        l.find("Address already in use") != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string LastLine(const std::vector<std::string>& lines) {
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!Trim(*it).empty()) return std::string(Trim(*it));
  }
  return "";
}

}  // namespace

int Supervisor::Up(const Selection& services, milliseconds timeout, bool print_endpoints) {
  auto t0 = Clock::now();
  // 1. What runs already, what is stale, what is missing.
  std::vector<Launch> launches;
  for (const auto* s : services) {
    Launch l;
    l.spec = s;
    ProcessState ps = InspectPidFile(cfg_.PidFile(s->name), binary_name_, s->subcommand);
    if (ps.kind == ProcessState::Kind::kRunning) {
      l.pid = ps.pid;
      l.done = true;
      l.healthy = CheckHealth(cfg_.BaseUrl(s->name) + s->health_path, milliseconds(1000)).ok;
      l.outcome = fmt::format("already running (pid {}){}", ps.pid, l.healthy ? "" : ", but not healthy");
    } else if (ps.kind == ProcessState::Kind::kStale) {
      out_ << fmt::format("{}: removing stale pid file {} ({}); that process is left alone\n", s->name,
                          cfg_.PidFile(s->name), ps.reason);
      fs::remove(cfg_.PidFile(s->name));
    }
    launches.push_back(std::move(l));
  }
  // 2. Refuse before starting anything: taken ports and missing config files.
  bool refuse = false;
  for (const auto& l : launches) {
    if (l.done) continue;
    int port = cfg_.Port(l.spec->name);
    if (PortInUse(port)) {
      err_ << fmt::format(
          "error: port {} of service {} is already in use by another program; stop it or choose another port "
          "with --ports {}=PORT\n",
          port, l.spec->name, l.spec->name);
      refuse = true;
    }
    for (const auto& f : l.spec->config_files) {
      if (!fs::exists(cfg_.Config(f))) {
        err_ << fmt::format(
            "error: service {} needs {}, which does not exist; run from the repository root or pass "
            "--config-dir DIR (the directory holding prometheus/ and grafana/)\n",
            l.spec->name, cfg_.Config(f));
        refuse = true;
      }
    }
  }
  if (refuse) {
    err_ << "nothing was started\n";
    return 1;
  }
  // 3. Start the missing ones, in table order.
  std::error_code ec;
  fs::create_directories(cfg_.state_dir + "/logs", ec);
  if (ec) {
    err_ << fmt::format("error: cannot create state dir {}: {}\n", cfg_.state_dir, ec.message());
    return 1;
  }
  Record(services);
  if (auto st = WriteSettings(cfg_); !st.ok()) {
    err_ << "warning: " << st.message() << "; later commands will not know this stack's ports and dirs\n";
  }
  for (auto& l : launches) {
    if (l.done) continue;
    const ServiceSpec& s = *l.spec;
    if (s.has_data_dir) fs::create_directories(cfg_.Data(s.name), ec);
    SpawnOptions o;
    o.argv = CommandLine(s, cfg_);
    o.env = s.env(cfg_);
    o.env.push_back(std::string(http::kStackUrlsEnv) + "=" + StackUrls(cfg_));  // the pages' shared header
    o.cwd = cfg_.config_dir;
    o.log_file = cfg_.LogFile(s.name);
    {
      std::ofstream log(o.log_file, std::ios::app);
      // Timestamped like the services' own lines, so `sremon logs` merges it in order.
      log << fmt::format("{} supervisor: starting {}: {}\n", FormatRfc3339Ms(NowMs()), s.name, Join(o.argv, " "));
    }
    auto pid = Spawn(o);
    if (!pid.ok()) {
      l.done = true;
      l.outcome = "cannot start: " + pid.status().message();
      continue;
    }
    l.pid = *pid;
    l.started_now = true;
    if (sremon::Status st = WritePidFile(cfg_.PidFile(s.name), l.pid); !st.ok()) err_ << "warning: " << st.message() << "\n";
  }
  // 4. Wait for each to be healthy, or to die.
  auto deadline = Clock::now() + timeout;
  while (true) {
    bool pending = false;
    for (auto& l : launches) {
      if (l.done) continue;
      int code = ReapIfExited(l.pid);
      if (code >= 0 || !ProcessAlive(l.pid)) {
        l.done = true;
        auto tail = TailLines(cfg_.LogFile(l.spec->name), 20);
        l.outcome = fmt::format("exited at start{}: {}", code >= 0 ? fmt::format(" with code {}", code) : "",
                                LastLine(tail));
        if (LogSaysPortInUse(tail)) l.outcome += " [port in use]";
        fs::remove(cfg_.PidFile(l.spec->name), ec);
        continue;
      }
      if (CheckHealth(cfg_.BaseUrl(l.spec->name) + l.spec->health_path, milliseconds(250)).ok) {
        l.done = true;
        l.healthy = true;
        auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
        l.outcome = fmt::format("started (pid {}), healthy after {} ms", l.pid, ms);
        continue;
      }
      pending = true;
    }
    if (!pending) break;
    if (Clock::now() > deadline) {
      for (auto& l : launches) {
        if (!l.done) {
          l.done = true;
          l.outcome = fmt::format("started (pid {}) but not healthy after {} ms; see {}", l.pid, timeout.count(),
                                  cfg_.LogFile(l.spec->name));
        }
      }
      break;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  // 5. A port taken between the check and the bind: roll back what this call started.
  bool port_race = std::any_of(launches.begin(), launches.end(), [](const Launch& l) {
    return l.outcome.find("[port in use]") != std::string::npos;
  });
  if (port_race) {
    for (auto it = launches.rbegin(); it != launches.rend(); ++it) {
      if (it->started_now && ProcessAlive(it->pid)) {
        Terminate(it->pid, milliseconds(5000));
        fs::remove(cfg_.PidFile(it->spec->name), ec);
        it->outcome += "; stopped again (rollback)";
        it->healthy = false;
      }
    }
  }
  bool failed = false;
  for (const auto& l : launches) {
    failed |= !l.healthy;
    out_ << fmt::format("  {:<6} {:<13} {}\n", l.healthy ? "[OK]" : "[FAIL]", l.spec->name, l.outcome);
  }
  if (port_race) err_ << "error: a port was taken by another program; everything this command started was stopped\n";
  if (print_endpoints && !port_race) {
    Selection healthy;
    for (const auto& l : launches) {
      if (l.healthy) healthy.push_back(l.spec);
    }
    if (!healthy.empty()) PrintEndpoints(healthy);
  }
  if (failed) {
    err_ << fmt::format("some services are not healthy: see `sremon logs SERVICE` (logs in {}/logs)\n",
                        cfg_.state_dir);
  }
  return failed ? 1 : 0;
}

void Supervisor::PrintEndpoints(const Selection& services) const {
  std::vector<std::array<std::string, 3>> rows = {{"Service", "URL", "Credentials"}};
  for (const auto* s : services) {
    for (const auto& e : s->endpoints) rows.push_back({e.label, cfg_.BaseUrl(s->name) + e.path, e.credentials});
  }
  size_t w0 = 0, w1 = 0;
  for (const auto& r : rows) {
    w0 = std::max(w0, r[0].size());
    w1 = std::max(w1, r[1].size());
  }
  out_ << "\n";
  for (const auto& r : rows) out_ << fmt::format("  {:<{}}  {:<{}}  {}\n", r[0], w0, r[1], w1, r[2]);
  out_ << fmt::format("\nLogs: sremon logs [SERVICE] -f    Status: sremon status    Stop: sremon down\n");
}

int Supervisor::Stop(const Selection& services, milliseconds grace) {
  int rc = 0;
  for (auto it = services.rbegin(); it != services.rend(); ++it) {
    const ServiceSpec& s = **it;
    std::string pid_file = cfg_.PidFile(s.name);
    ProcessState ps = InspectPidFile(pid_file, binary_name_, s.subcommand);
    std::error_code ec;
    switch (ps.kind) {
      case ProcessState::Kind::kNone:
        out_ << fmt::format("  {:<13} not running\n", s.name);
        break;
      case ProcessState::Kind::kStale:
        fs::remove(pid_file, ec);
        out_ << fmt::format("  {:<13} not running; removed stale pid file ({}), that process is left alone\n",
                            s.name, ps.reason);
        break;
      case ProcessState::Kind::kRunning: {
        auto t0 = Clock::now();
        bool killed = Terminate(ps.pid, grace);
        fs::remove(pid_file, ec);
        auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
        out_ << fmt::format("  {:<13} stopped (pid {}) in {} ms{}\n", s.name, ps.pid, ms,
                            killed ? fmt::format(": did not exit within {} ms of SIGTERM, killed", grace.count()) : "");
        break;
      }
    }
  }
  return rc;
}

int Supervisor::Down(milliseconds grace) {
  Selection all;
  for (const auto& s : Services()) all.push_back(&s);
  int rc = Stop(all, grace);
  std::error_code ec;
  fs::remove(RecordFile(), ec);
  fs::remove(cfg_.SettingsFile(), ec);
  return rc;
}

int Supervisor::Restart(const Selection& services, milliseconds grace, milliseconds timeout) {
  Stop(services, grace);
  return Up(services, timeout, /*print_endpoints=*/false);
}

int Supervisor::Status(const Selection& services, bool json) {
  struct Row {
    const ServiceSpec* spec;
    ProcessState ps;
    std::string url;
    HealthAnswer health;
  };
  std::vector<Row> rows;
  std::vector<std::future<HealthAnswer>> checks;
  for (const auto* s : services) {
    rows.push_back({s, InspectPidFile(cfg_.PidFile(s->name), binary_name_, s->subcommand),
                    cfg_.BaseUrl(s->name) + s->health_path, {}});
    checks.push_back(std::async(std::launch::async, CheckHealth, rows.back().url, milliseconds(2000)));
  }
  bool all_ok = true;
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].health = checks[i].get();
    all_ok &= rows[i].health.ok;
  }
  auto process_text = [](const ProcessState& ps) -> std::string {
    switch (ps.kind) {
      case ProcessState::Kind::kRunning: return fmt::format("running (pid {})", ps.pid);
      case ProcessState::Kind::kStale: return "not running (stale pid file)";
      case ProcessState::Kind::kNone: break;
    }
    return "not running";
  };
  if (json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : rows) {
      nlohmann::json j;
      j["service"] = r.spec->name;
      j["state"] = r.ps.kind == ProcessState::Kind::kRunning ? "running"
                   : r.ps.kind == ProcessState::Kind::kStale ? "stale"
                                                              : "stopped";
      if (r.ps.kind == ProcessState::Kind::kRunning) j["pid"] = r.ps.pid;
      if (r.ps.kind == ProcessState::Kind::kStale) j["stale_reason"] = r.ps.reason;
      j["port"] = cfg_.Port(r.spec->name);
      j["health_url"] = r.url;
      j["http_status"] = r.health.http_status;
      j["answer"] = r.health.answer;
      j["healthy"] = r.health.ok;
      arr.push_back(std::move(j));
    }
    out_ << nlohmann::json{{"healthy", all_ok}, {"services", arr}}.dump(2) << "\n";
    return all_ok ? 0 : 1;
  }
  size_t wp = 7, wu = 10;
  for (const auto& r : rows) {
    wp = std::max(wp, process_text(r.ps).size());
    wu = std::max(wu, r.url.size());
  }
  out_ << fmt::format("  {:<6} {:<13} {:<{}}  {:<{}}  {}\n", "", "SERVICE", "PROCESS", wp, "HEALTH URL", wu, "ANSWER");
  for (const auto& r : rows) {
    out_ << fmt::format("  {:<6} {:<13} {:<{}}  {:<{}}  {}\n", r.health.ok ? "[OK]" : "[FAIL]", r.spec->name,
                        process_text(r.ps), wp, r.url, wu, r.health.answer);
  }
  size_t ok = std::count_if(rows.begin(), rows.end(), [](const Row& r) { return r.health.ok; });
  out_ << fmt::format("\n{} of {} services healthy\n", ok, rows.size());
  return all_ok ? 0 : 1;
}

namespace {

// Our services log "2026-01-02T03:04:05.678Z ..." (services::InitLogging): the sort key when
// several logs are merged. Lines without a timestamp keep the key of the line before them.
std::string_view TimestampOf(std::string_view line) {
  if (line.size() >= 24 && line[4] == '-' && line[10] == 'T' && line[23] == 'Z') return line.substr(0, 24);
  return {};
}

}  // namespace

int Supervisor::Logs(const Selection& services, bool follow, size_t tail) {
  bool prefix = services.size() > 1;
  size_t width = 0;
  for (const auto* s : services) width = std::max(width, s->name.size());
  auto prefixed = [&](const ServiceSpec& s, std::string_view line) {
    return prefix ? fmt::format("{:<{}} | {}\n", s.name, width, line) : fmt::format("{}\n", line);
  };
  struct Entry {
    std::string key;
    size_t order;
    std::string text;
  };
  std::vector<Entry> merged;
  size_t order = 0;
  for (const auto* s : services) {
    std::string key;
    for (const auto& line : TailLines(cfg_.LogFile(s->name), tail)) {
      std::string_view ts = TimestampOf(line);
      if (!ts.empty()) key = std::string(ts);
      merged.push_back({key, order++, prefixed(*s, line)});
    }
  }
  if (prefix) {
    std::stable_sort(merged.begin(), merged.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
    if (merged.size() > tail) merged.erase(merged.begin(), merged.end() - static_cast<long>(tail));
  }
  for (const auto& e : merged) out_ << e.text;
  out_.flush();
  if (!follow) return 0;

  // Follow: poll each file for appended bytes (a truncated or replaced file starts over).
  struct Followed {
    const ServiceSpec* spec;
    std::string path;
    uintmax_t offset;
    std::string partial;
  };
  std::vector<Followed> files;
  for (const auto* s : services) {
    std::error_code ec;
    uintmax_t size = fs::file_size(cfg_.LogFile(s->name), ec);
    files.push_back({s, cfg_.LogFile(s->name), ec ? 0 : size, ""});
  }
  while (true) {
    for (auto& f : files) {
      std::error_code ec;
      uintmax_t size = fs::file_size(f.path, ec);
      if (ec) continue;
      if (size < f.offset) f.offset = 0;
      if (size == f.offset) continue;
      std::ifstream in(f.path, std::ios::binary);
      in.seekg(static_cast<std::streamoff>(f.offset));
      std::string chunk(size - f.offset, '\0');
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      chunk.resize(static_cast<size_t>(in.gcount()));
      f.offset += chunk.size();
      f.partial += chunk;
      size_t nl;
      while ((nl = f.partial.find('\n')) != std::string::npos) {
        out_ << prefixed(*f.spec, std::string_view(f.partial).substr(0, nl));
        f.partial.erase(0, nl + 1);
      }
    }
    out_.flush();
    if (!out_) return 0;  // the reader went away (e.g. `| head`)
    std::this_thread::sleep_for(milliseconds(200));
  }
}

}  // namespace sremon::supervisor
