#include "supervisor/stack.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "util/strings.h"

namespace sremon::supervisor {

namespace fs = std::filesystem;

int StackConfig::Port(std::string_view service) const {
  auto it = ports.find(service);
  return it == ports.end() ? 0 : it->second;
}
std::string StackConfig::BaseUrl(std::string_view service) const {
  return fmt::format("http://127.0.0.1:{}", Port(service));
}
std::string StackConfig::ListenAddr(std::string_view service) const {
  return fmt::format("127.0.0.1:{}", Port(service));
}
std::string StackConfig::Config(std::string_view relative) const { return fmt::format("{}/{}", config_dir, relative); }
std::string StackConfig::Data(std::string_view service) const { return fmt::format("{}/{}", data_dir, service); }
std::string StackConfig::PidFile(std::string_view service) const { return fmt::format("{}/{}.pid", state_dir, service); }
std::string StackConfig::LogFile(std::string_view service) const {
  return fmt::format("{}/logs/{}.log", state_dir, service);
}

const std::vector<ServiceSpec>& Services() {
  using Args = std::vector<std::string>;
  auto no_env = [](const StackConfig&) { return Args{}; };
  static const std::vector<ServiceSpec> services = {
      {"app", "app", 8080, "/health", "the reference's Flask demo app", false, {},
       {{"App", "", "-"}, {"App Metrics", "/metrics", "-"}},
       [](const StackConfig& c) { return Args{"-httpListenAddr=" + c.ListenAddr("app")}; }, no_env},
      {"storage", "storage", 8428, "/health", "VictoriaMetrics", true, {"prometheus/prometheus.yml"},
       {{"Storage (VictoriaMetrics API)", "", "-"}},
       [](const StackConfig& c) {
         return Args{"-promscrape.config=" + c.Config("prometheus/prometheus.yml"),
                     "-storageDataPath=" + c.Data("storage"), "-retentionPeriod=30d",
                     "-httpListenAddr=" + c.ListenAddr("storage"),
                     // Clients pointed at the storage (Grafana) see the rules, as with VictoriaMetrics.
                     "-vmalert.proxyURL=" + c.BaseUrl("rules")};
       },
       no_env},
      // Before the alertmanager, which delivers to it.
      {"inbox", "inbox", 5001, "/health", "the webhook receiver alertmanager.yml points at", true, {},
       {{"Notification inbox", "", "-"}},
       [](const StackConfig& c) {
         return Args{"-httpListenAddr=" + c.ListenAddr("inbox"), "-storageDataPath=" + c.Data("inbox")};
       },
       no_env},
      {"alertmanager", "alertmanager", 9093, "/-/healthy", "Prometheus Alertmanager", true, {"prometheus/alertmanager.yml"},
       {{"Alertmanager", "", "-"}},
       [](const StackConfig& c) {
         return Args{"--config.file=" + c.Config("prometheus/alertmanager.yml"),
                     "--storage.path=" + c.Data("alertmanager"),
                     "--web.listen-address=" + c.ListenAddr("alertmanager")};
       },
       no_env},
      {"rules", "rules", 8880, "/health", "vmalert", false, {"prometheus/alert_rules.yml"},
       {{"Rules (vmalert API)", "/api/v1/alerts", "-"}},
       [](const StackConfig& c) {
         Args a = {"-rule=" + c.Config("prometheus/alert_rules.yml")};
         // The SLO rules and the stack's own alerts join when their files exist (they are optional).
         for (const char* optional : {"prometheus/slo_rules.yml", "prometheus/monitoring_rules.yml"}) {
           if (fs::exists(c.Config(optional))) a.push_back("-rule=" + c.Config(optional));
         }
         std::string storage = c.BaseUrl("storage");
         a.insert(a.end(), {"-datasource.url=" + storage, "-remoteWrite.url=" + storage, "-remoteRead.url=" + storage,
                            "-notifier.url=" + c.BaseUrl("alertmanager"), "-evaluationInterval=15s",
                            "-httpListenAddr=" + c.ListenAddr("rules")});
         return a;
       },
       no_env},
      {"dashboards", "dashboards", 3000, "/api/health", "Grafana", true, {"grafana/provisioning"},
       {{"Dashboards (Grafana)", "", "admin / admin"}},
       [](const StackConfig& c) {
         return Args{"-httpListenAddr=" + c.ListenAddr("dashboards"), "--data=" + c.Data("dashboards"),
                     "--rules.url=" + c.BaseUrl("rules"), "--alertmanager.url=" + c.BaseUrl("alertmanager")};
       },
       [](const StackConfig& c) { return Args{"GF_PATHS_PROVISIONING=" + c.Config("grafana/provisioning")}; }},
  };
  return services;
}

const ServiceSpec* FindService(std::string_view name) {
  for (const auto& s : Services()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string StackUrls(const StackConfig& cfg) {
  std::string out;
  for (const auto& s : Services()) {
    if (s.name == "app") continue;  // the demo app is what is monitored, not a page of the stack
    out += fmt::format("{}{}={}", out.empty() ? "" : ",", s.name, cfg.BaseUrl(s.name));
  }
  return out;
}

std::vector<std::string> CommandLine(const ServiceSpec& spec, const StackConfig& cfg) {
  std::vector<std::string> argv = {cfg.binary, spec.subcommand};
  for (auto& a : spec.args(cfg)) argv.push_back(std::move(a));
  if (auto it = cfg.extra_flags.find(spec.name); it != cfg.extra_flags.end()) {
    argv.insert(argv.end(), it->second.begin(), it->second.end());
  }
  return argv;
}

namespace {

std::string ServiceNames() {
  std::vector<std::string> names;
  for (const auto& s : Services()) names.push_back(s.name);
  return Join(names, ", ");
}

std::vector<std::string_view> SplitList(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ',' || s[i] == ' ') {
      std::string_view item = Trim(s.substr(start, i - start));
      if (!item.empty()) out.push_back(item);
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

Status ParsePorts(std::string_view spec, std::map<std::string, int, std::less<>>* ports) {
  for (std::string_view item : SplitList(spec)) {
    SREMON_RETURN_IF_ERROR(CheckPrintableAscii("bad port entry", item));
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument(fmt::format("bad port entry {}: want SERVICE=PORT, e.g. app=18080", Quote(item)));
    }
    std::string_view name = Trim(item.substr(0, eq));
    if (!FindService(name)) {
      return Status::InvalidArgument(fmt::format("bad port entry {}: unknown service {} (services: {})", Quote(item),
                                                 Quote(name), ServiceNames()));
    }
    auto port = ParseInt(Trim(item.substr(eq + 1)));
    if (!port.ok() || *port < 1 || *port > 65535) {
      return Status::InvalidArgument(fmt::format("bad port entry {}: port must be 1..65535", Quote(item)));
    }
    (*ports)[std::string(name)] = static_cast<int>(*port);
  }
  return Status::Ok();
}

Result<std::vector<const ServiceSpec*>> SelectServices(std::string_view names) {
  std::vector<std::string_view> wanted = SplitList(names);
  std::vector<const ServiceSpec*> out;
  if (wanted.empty() || (wanted.size() == 1 && wanted[0] == "all")) {
    for (const auto& s : Services()) out.push_back(&s);
    return out;
  }
  for (std::string_view w : wanted) {
    SREMON_RETURN_IF_ERROR(CheckPrintableAscii("bad service name", w));
    if (!FindService(w)) {
      return Status::InvalidArgument(fmt::format("unknown service {} (services: {})", Quote(w), ServiceNames()));
    }
  }
  for (const auto& s : Services()) {  // table order, whatever order they were named in
    for (std::string_view w : wanted) {
      if (s.name == w) {
        out.push_back(&s);
        break;
      }
    }
  }
  return out;
}

namespace {

// A setting from, in order: the flag, the environment, what `up` recorded, the default.
std::string FirstOf(const std::string& flag, const char* env, const std::string& recorded, const char* fallback) {
  if (!flag.empty()) return flag;
  const char* v = std::getenv(env);
  if (v && *v) return v;
  return recorded.empty() ? fallback : recorded;
}

// The settings file `up` writes: KEY=VALUE lines (data_dir, config_dir, ports).
std::map<std::string, std::string> ReadSettings(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

std::string SelfExe() {
  std::error_code ec;
  std::string exe = fs::read_symlink("/proc/self/exe", ec).string();
  // A rebuilt binary: keep starting the one at that path.
  constexpr std::string_view kDeleted = " (deleted)";
  if (exe.ends_with(kDeleted)) exe.resize(exe.size() - kDeleted.size());
  return exe;
}

}  // namespace

std::string StackConfig::SettingsFile() const { return state_dir + "/settings"; }

Status WriteSettings(const StackConfig& cfg) {
  std::string ports;
  for (const auto& [name, port] : cfg.ports) ports += fmt::format("{}{}={}", ports.empty() ? "" : ",", name, port);
  std::string text = fmt::format("# written by `sremon up`; later commands use these unless given flags\n"
                                 "data_dir={}\nconfig_dir={}\nports={}\n",
                                 cfg.data_dir, cfg.config_dir, ports);
  std::string tmp = cfg.SettingsFile() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush()) return Status::IOError("cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, cfg.SettingsFile(), ec);
  if (ec) return Status::IOError(fmt::format("cannot rename {} to {}: {}", tmp, cfg.SettingsFile(), ec.message()));
  return Status::Ok();
}

Result<StackConfig> ResolveStackConfig(const StackFlags& flags) {
  StackConfig cfg;
  cfg.binary = SelfExe();
  std::error_code ec;
  auto absolute = [&](const std::string& p) { return fs::weakly_canonical(fs::absolute(p), ec).string(); };
  cfg.state_dir = absolute(FirstOf(flags.state_dir, "SREMON_STATE_DIR", "", ".sremon"));
  auto recorded = ReadSettings(cfg.SettingsFile());
  cfg.data_dir = absolute(FirstOf(flags.data_dir, "SREMON_DATA_DIR", recorded["data_dir"], "data"));
  cfg.config_dir = absolute(FirstOf(flags.config_dir, "SREMON_CONFIG_DIR", recorded["config_dir"], "."));
  for (const auto& s : Services()) cfg.ports[s.name] = s.default_port;
  // Ports: the defaults, then what `up` recorded, then the environment, then the flag, each
  // overriding only the services it names.
  SREMON_RETURN_IF_ERROR(ParsePorts(recorded["ports"], &cfg.ports).WithContext(cfg.SettingsFile()));
  if (const char* env = std::getenv("SREMON_PORTS")) {
    SREMON_RETURN_IF_ERROR(ParsePorts(env, &cfg.ports).WithContext("SREMON_PORTS"));
  }
  SREMON_RETURN_IF_ERROR(ParsePorts(flags.ports, &cfg.ports).WithContext("--ports"));
  for (const auto& s : Services()) {
    std::string env = "SREMON_" + s.name + "_FLAGS";
    for (char& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const char* v = std::getenv(env.c_str());
    if (!v) continue;
    for (std::string_view f : Split(v, ' ')) {
      if (f.empty()) continue;
      SREMON_RETURN_IF_ERROR(CheckPrintableAscii("bad flag in " + env, f));
      if (!f.starts_with('-')) return Status::InvalidArgument(fmt::format("{}: {} is not a flag", env, Quote(f)));
      cfg.extra_flags[s.name].emplace_back(f);
    }
  }
  std::map<int, std::string> seen;
  for (const auto& [name, port] : cfg.ports) {
    auto [it, fresh] = seen.emplace(port, name);
    if (!fresh) {
      return Status::InvalidArgument(fmt::format("services {} and {} both have port {}", it->second, name, port));
    }
  }
  return cfg;
}

}  // namespace sremon::supervisor
