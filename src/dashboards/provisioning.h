// Grafana provisioning: datasources/*.yml, dashboards/*.yml file providers, and dashboard JSON
// files, with Grafana's rules (env expansion in the YAML, ${DS_X} inputs of exported
// dashboards resolved to the default data source, re-scan every updateIntervalSeconds,
// write-back when allowUiUpdates is set).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "dashboards/store.h"
#include "util/status.h"

namespace sremon::dashboards {

struct Datasource {
  int64_t id = 0;
  std::string uid;
  std::string name;
  std::string type = "prometheus";
  std::string access = "proxy";
  std::string url;
  bool is_default = false;
  bool editable = false;
  std::string basic_auth_user;
  std::string basic_auth_password;
  nlohmann::json json_data = nlohmann::json::object();
};

struct DashboardProvider {
  std::string name;
  std::string folder;      // "" = General
  std::string folder_uid;  // optional
  std::string type = "file";
  std::string path;        // options.path
  int update_interval_s = 10;
  bool allow_ui_updates = false;
  bool disable_deletion = false;
};

// Replaces $VAR and ${VAR} with the environment's value ("" when unset), as Grafana does in
// provisioning files; "$$" is a literal "$".
std::string ExpandEnv(std::string_view text);

// Parses one datasources file. `file` names the source in errors.
Result<std::vector<Datasource>> ParseDatasources(std::string_view yaml, std::string_view file);
// Parses one dashboards providers file.
Result<std::vector<DashboardProvider>> ParseDashboardProviders(std::string_view yaml, std::string_view file);

struct Provisioning {
  std::vector<Datasource> datasources;  // ids assigned 1..n; exactly one default when any
  std::vector<DashboardProvider> providers;
};
// Reads dir/datasources/*.y{a,}ml and dir/dashboards/*.y{a,}ml. A missing dir gives an empty
// result; a bad file is an error naming it.
Result<Provisioning> LoadProvisioning(const std::string& dir);

// Resolves the ${NAME} inputs of an exported dashboard: data source inputs (and, as a
// fallback, any ${DS_...} that is not a dashboard variable) become default_ds_uid, constant
// inputs their value or the values given. Removes __inputs/__requires/__elements.
void ResolveInputs(nlohmann::json* dashboard, const std::string& default_ds_uid,
                   const std::map<std::string, std::string>& values = {});

// A stable uid derived from text (provisioned dashboards without a uid, data sources).
std::string DerivedUid(std::string_view text);

// Keeps the dashboards of file providers in the store in step with their files.
// Thread-safety: SyncOnce/WriteBack are serialized internally; Start/Stop from one thread.
class DashboardProvisioner {
 public:
  DashboardProvisioner(Store* store, std::vector<DashboardProvider> providers, std::string default_ds_uid)
      : store_(store), providers_(std::move(providers)), default_ds_uid_(std::move(default_ds_uid)) {}
  ~DashboardProvisioner() { Stop(); }

  // One scan of every provider; errors of single files are logged, not returned.
  Status SyncOnce();
  // Re-scans in a background thread at the smallest updateIntervalSeconds (min 1 s).
  void Start();
  void Stop();

  const DashboardProvider* Provider(const std::string& name) const;
  // Writes a dashboard saved in the UI back to its provisioning file (allowUiUpdates).
  Status WriteBack(const Dashboard& dashboard, const nlohmann::json& model);

 private:
  Status SyncProvider(const DashboardProvider& p);
  Store* store_;
  const std::vector<DashboardProvider> providers_;
  const std::string default_ds_uid_;
  std::mutex mu_;  // serializes scans and write-backs
  std::map<std::string, std::pair<int64_t, uintmax_t>> seen_;  // path -> (mtime, size); GUARDED_BY(mu_)
  std::thread thread_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
};

// The canonical stored form of a dashboard model: id and version removed (the store owns them).
std::string CanonicalModel(nlohmann::json model);

}  // namespace sremon::dashboards
