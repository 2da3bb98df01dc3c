// The alertmanager service object: config (with reload that keeps the old config on error),
// persistent state (alerts, silences, notification log, history under --storage.path), the
// dispatcher, the v2 API, our history API, the test-receiver action and the UI.
// Thread-safety: HTTP handlers run concurrently; Reload() swaps the runtime atomically, and a
// request keeps the runtime it started with alive (shared_ptr).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "alertmanager/config.h"
#include "alertmanager/dispatch.h"
#include "alertmanager/history.h"
#include "alertmanager/inhibit.h"
#include "alertmanager/nflog.h"
#include "alertmanager/notify.h"
#include "alertmanager/route.h"
#include "alertmanager/silences.h"
#include "alertmanager/store.h"
#include "http/http.h"

namespace sremon::alertmanager {

struct Options {
  std::string config_file = "alertmanager.yml";
  std::string storage_path = "data/";
  std::string external_url;  // default http://<listen address>
  int64_t retention_ms = 120 * 3600 * 1000LL;
  // --silences.max-silence-size-bytes (upstream v0.27's flag; 0 = no limit). Upstream has no
  // limit by default; ours is on, since a silence's regexes are compiled in memory.
  size_t max_silence_bytes = 64 << 10;
  // --silences.max-silences (upstream v0.28): how many silences may exist, expired ones kept for
  // the retention included; a new one beyond it is refused. <= 0 = no limit, upstream's default.
  int64_t max_silences = 0;
};

class Alertmanager {
 public:
  explicit Alertmanager(Options options);
  ~Alertmanager();

  // Loads the config and the state; fails (and the service refuses to start) on a bad config
  // or unreadable state. Notifications start only after the state is loaded.
  Status Init();
  // Parses the file again; on error the running config stays and the error is returned.
  Status Reload();
  void Stop();
  bool ready() const { return ready_.load(); }
  void RegisterRoutes(http::Server& server);

  // Sends a synthetic alert through the route tree and templates to one receiver.
  struct TestResult {
    NotifyData data;
    std::vector<SendResult> results;
  };
  Result<TestResult> TestReceiver(const std::string& receiver);

 private:
  struct Runtime {
    std::shared_ptr<const Config> config;
    std::unique_ptr<Route> route;
    std::unique_ptr<Inhibitor> inhibitor;
    std::unique_ptr<Pipeline> pipeline;
    std::unique_ptr<Dispatcher> dispatcher;
  };
  Result<std::shared_ptr<Runtime>> Build(std::shared_ptr<const Config> config);
  std::shared_ptr<Runtime> runtime() const;
  void MaintenanceLoop();

  // API v2 (api.cc) and UI (ui.cc).
  void RegisterApi(http::Server& server);
  void RegisterUi(http::Server& server);
  // The API's handlers, one per endpoint (api.cc).
  void GetStatus(http::Request& req, http::Response& resp);
  void GetReceivers(http::Request& req, http::Response& resp);
  void GetAlerts(http::Request& req, http::Response& resp);
  void PostAlerts(http::Request& req, http::Response& resp);
  void GetAlertGroups(http::Request& req, http::Response& resp);
  void GetSilences(http::Request& req, http::Response& resp);
  void PostSilences(http::Request& req, http::Response& resp);
  void GetOrDeleteSilence(http::Request& req, http::Response& resp);  // /api/v2/silence/{id}
  void GetHistory(http::Request& req, http::Response& resp);
  void PostTestReceiver(http::Request& req, http::Response& resp);

  Options options_;
  int64_t start_ms_ = 0;
  AlertStore store_;
  Silences silences_;
  NotificationLog nflog_;
  History history_;
  std::atomic<bool> ready_{false};

  mutable std::mutex mu_;
  std::shared_ptr<Runtime> runtime_;  // GUARDED_BY(mu_)
  std::mutex reload_mu_;              // serializes Reload()

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // GUARDED_BY(stop_mu_)
  std::thread maintenance_;
};

}  // namespace sremon::alertmanager
