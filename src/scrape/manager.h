// The scrape manager: owns the config, discovers targets (static_configs, file_sd_configs
// re-read when the files change), runs one ScrapeLoop per target, reloads the config keeping
// the old one when the new one is invalid, and serves /api/v1/targets and /targets.
// Thread-safety: all public methods are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/http.h"
#include "scrape/config.h"
#include "scrape/scrape_loop.h"
#include "storage/storage.h"

namespace sremon::scrape {

struct ManagerOptions {
  std::string config_path;  // -promscrape.config; empty = scrape nothing
  bool strict_parse = true;  // -promscrape.config.strictParse
  int64_t file_sd_check_ms = 1000;  // how often file_sd files are checked for changes
};

class Manager {
 public:
  Manager(storage::Appendable* appendable, ManagerOptions options);
  ~Manager();

  // Loads the config and starts scraping. An invalid config at start-up is an error.
  Status Start();
  // Re-reads the config file. An invalid file keeps the running config; the error is logged,
  // returned and reflected in the *_config_last_reload_successful metrics.
  Status Reload();
  // Applies a parsed config: unchanged targets keep their loops, removed ones stop (with
  // staleness markers), new ones start.
  void ApplyConfig(Config config);
  // Stops every loop (no staleness markers: the process is going away).
  void Stop();

  // Prometheus /api/v1/targets answer; state: "", "active", "dropped", "any".
  std::string TargetsJson(std::string_view state) const;
  // The human page, with the last failures of each target.
  std::string TargetsHtml() const;
  // TYPE/HELP/UNIT per metric family from the last scrape of every target.
  std::map<std::string, std::vector<storage::MetricMetadata>> Metadata() const;
  // The running config for /api/v1/status/config, secrets masked ("" without a config).
  std::string ConfigYaml() const;
  // Routes: GET /api/v1/targets, GET /targets.
  void RegisterRoutes(http::Server& server);

  size_t ActiveTargetCount() const;

 private:
  struct FileSdState {
    int64_t mtime_ns = -1;
    std::vector<TargetGroup> groups;
  };

  void SyncLocked(std::vector<std::unique_ptr<ScrapeLoop>>* to_stop);
  bool RefreshFileSdLocked();
  void WatchFiles();

  storage::Appendable* appendable_;
  const ManagerOptions options_;

  mutable std::mutex mu_;
  Config config_;                                                    // GUARDED_BY(mu_)
  std::vector<std::shared_ptr<const ScrapeConfig>> jobs_;            // GUARDED_BY(mu_)
  std::map<std::string, std::unique_ptr<ScrapeLoop>> loops_;         // GUARDED_BY(mu_), by key
  std::vector<std::pair<std::string, model::Labels>> dropped_;       // GUARDED_BY(mu_): job, labels
  std::map<std::string, FileSdState> file_sd_;                       // GUARDED_BY(mu_), by path
  bool stopped_ = false;                                             // GUARDED_BY(mu_)

  std::condition_variable cv_;
  std::thread watcher_;
};

}  // namespace sremon::scrape
