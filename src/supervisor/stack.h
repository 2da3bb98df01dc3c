// The stack the supervisor runs: the one table of services, and where their ports, data,
// state and config files are. Everything else in the supervisor reads this table.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace sremon::supervisor {

// Where the stack lives. Paths are absolute (ResolveStackConfig makes them so), because the
// children run with the config dir as their working directory.
struct StackConfig {
  std::string binary;      // the sremon executable the services are started from
  std::string state_dir;   // pid files and logs/ (default ./.sremon)
  std::string data_dir;    // one subdirectory per service (default ./data), kept across down/up
  std::string config_dir;  // the root holding prometheus/ and grafana/ (default .)
  std::map<std::string, int, std::less<>> ports;  // every service of the table has one
  // Flags appended to a service's command line, from SREMON_<SERVICE>_FLAGS (e.g.
  // SREMON_STORAGE_FLAGS="-httpAuth.username=u -httpAuth.password=p"): how auth and other
  // options reach the services (docs/security.md). Split on spaces; no quoting.
  std::map<std::string, std::vector<std::string>, std::less<>> extra_flags;

  int Port(std::string_view service) const;
  std::string BaseUrl(std::string_view service) const;  // http://127.0.0.1:PORT
  std::string ListenAddr(std::string_view service) const;  // 127.0.0.1:PORT
  std::string Config(std::string_view relative) const;  // config_dir/relative
  std::string Data(std::string_view service) const;     // data_dir/service
  std::string PidFile(std::string_view service) const;  // state_dir/NAME.pid
  std::string LogFile(std::string_view service) const;  // state_dir/logs/NAME.log
  std::string SettingsFile() const;                     // state_dir/settings, written by `up`
};

// A row of the endpoints table `up` prints (as the reference README's).
struct Endpoint {
  std::string label;
  std::string path;         // appended to the service's base URL
  std::string credentials;  // "-" when none
};

struct ServiceSpec {
  std::string name;          // also the --ports key, the pid/log file name and the data subdir
  std::string subcommand;    // `sremon SUBCOMMAND ...`
  int default_port = 0;
  std::string health_path;   // GET, 200 = healthy
  std::string stands_in_for;
  bool has_data_dir = false;
  std::vector<std::string> config_files;  // relative to the config dir; `up` checks they exist
  std::vector<Endpoint> endpoints;
  // Arguments after the subcommand, and extra environment (NAME=VALUE), for a config.
  std::function<std::vector<std::string>(const StackConfig&)> args;
  std::function<std::vector<std::string>(const StackConfig&)> env;
};

// The one table of services, in start order (down stops in reverse).
const std::vector<ServiceSpec>& Services();
const ServiceSpec* FindService(std::string_view name);

// The stack's home pages for http::kStackUrlsEnv: "storage=http://127.0.0.1:8428,rules=...".
std::string StackUrls(const StackConfig& cfg);

// Full argv: binary, subcommand, args, then the service's extra_flags.
std::vector<std::string> CommandLine(const ServiceSpec& spec, const StackConfig& cfg);

// "app=18080,storage=18428": overrides entries of *ports. Errors name the bad entry.
Status ParsePorts(std::string_view spec, std::map<std::string, int, std::less<>>* ports);
// "app,storage" (commas or spaces) → specs in table order; "" or "all" → every service.
Result<std::vector<const ServiceSpec*>> SelectServices(std::string_view names);

// Inputs of the resolution, from flags and then env (SREMON_STATE_DIR, SREMON_DATA_DIR,
// SREMON_CONFIG_DIR, SREMON_PORTS, SREMON_<SERVICE>_FLAGS); empty = not given.
struct StackFlags {
  std::string state_dir, data_dir, config_dir, ports;
};
// Applies flags over env over the settings `up` recorded in the state dir over defaults, and
// makes paths absolute. So `up --ports app=18111` followed by `restart app` or `status` (same
// state dir) uses port 18111; `down` forgets the settings.
Result<StackConfig> ResolveStackConfig(const StackFlags& flags);
// Records cfg's data dir, config dir and ports in its state dir (atomically).
Status WriteSettings(const StackConfig& cfg);

}  // namespace sremon::supervisor
