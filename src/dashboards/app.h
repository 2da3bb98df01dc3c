// The dashboards service (Grafana stand-in): Grafana-shaped HTTP API over the SQLite store,
// login and sessions, provisioning, the data source proxy, and the embedded web app.
// Thread-safety: construct, RegisterRoutes and Start from one thread; handlers run
// concurrently on the server's worker pool.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "dashboards/auth.h"
#include "dashboards/provisioning.h"
#include "dashboards/store.h"
#include "http/http.h"
#include "util/status.h"

namespace sremon::dashboards {

// The session cookie's SameSite attribute, Grafana's [security] cookie_samesite.
enum class SameSite { kLax, kStrict, kNone, kDisabled };
// "lax", "strict", "none" or "disabled" (no attribute); anything else is lax, as in Grafana.
SameSite ParseSameSite(std::string_view value);

struct AppOptions {
  std::string database_path = ":memory:";  // the SQLite file (grafana.db under --data)
  std::string provisioning_dir = "grafana/provisioning";
  std::string admin_user = "admin";
  std::string admin_password = "admin";
  std::string rules_url = "http://127.0.0.1:8880";
  std::string alertmanager_url = "http://127.0.0.1:9093";
  std::string version = "0.0.0";
  HashCost hash_cost = HashCost::kInteractive;
  int login_max_failures = 5;               // Grafana: 5 failed logins ...
  int64_t login_window_ms = 5 * 60 * 1000;  // ... within 5 minutes block the user (a client
                                            // address is blocked after 4x as many)
  int64_t session_ttl_ms = int64_t{30} * 24 * 3600 * 1000;
  bool cookie_secure = false;                 // GF_SECURITY_COOKIE_SECURE: Secure attribute
  SameSite cookie_samesite = SameSite::kLax;  // GF_SECURITY_COOKIE_SAMESITE
  std::chrono::milliseconds proxy_timeout{30000};
};

class App {
 public:
  // Opens the store, creates the admin user when missing, loads provisioning (a bad
  // provisioning file is an error, as in Grafana) and syncs the provisioned dashboards once.
  static Result<std::unique_ptr<App>> Create(AppOptions options);
  ~App();

  void RegisterRoutes(http::Server* server);
  // Starts re-scanning provisioned dashboards in the background.
  void Start();
  void Stop();

  Store* store() { return store_.get(); }
  const std::vector<Datasource>& datasources() const { return datasources_; }

  struct Ctx {
    User user;
    std::string session_digest;  // "" with basic auth
  };

 private:
  explicit App(AppOptions options)
      : options_(std::move(options)),
        limiter_(options_.login_max_failures, options_.login_window_ms),
        ip_limiter_(options_.login_max_failures * 4, options_.login_window_ms) {}
  // True when user exists and password is its password. An unknown user is verified against a
  // dummy hash, so the answer takes as long as for a known user with a wrong password.
  bool CheckPassword(const Result<User>& user, std::string_view password) const;
  std::string SessionCookie(const std::string& value, int64_t max_age_s) const;
  bool LoginBlocked(const std::string& login, const std::string& ip, int64_t now);
  void RecordLoginFailure(const std::string& login, const std::string& ip, int64_t now);
  using AuthedHandler = std::function<void(Ctx& ctx, http::Request& req, http::Response& resp)>;
  http::Handler Authed(AuthedHandler h);
  // Who is calling: a session cookie or basic auth. Sets resp on failure.
  std::optional<Ctx> Authenticate(http::Request& req, http::Response& resp);

  void Login(http::Request& req, http::Response& resp);
  void Logout(http::Request& req, http::Response& resp);
  void ChangePassword(Ctx& ctx, http::Request& req, http::Response& resp);
  void Search(Ctx& ctx, http::Request& req, http::Response& resp);
  void DashboardRoutes(Ctx& ctx, http::Request& req, http::Response& resp);
  void SaveDashboardApi(Ctx& ctx, http::Request& req, http::Response& resp, bool import);
  void Folders(Ctx& ctx, http::Request& req, http::Response& resp);
  void DatasourceRoutes(Ctx& ctx, http::Request& req, http::Response& resp);
  void DatasourceProxy(http::Request& req, http::Response& resp);
  void SremonProxy(std::string_view service, const std::string& base_url, http::Request& req, http::Response& resp);
  // Forwards req to base_url + path (segments decoded once, see proxy.h), with the data source's
  // basic auth (if any) in an Authorization header.
  void Proxy(const std::string& base_url, const Datasource* ds, const std::vector<std::string>& path, http::Request& req,
             http::Response& resp);
  void Static(http::Request& req, http::Response& resp);
  const Datasource* FindDatasource(std::string_view key, bool by_uid) const;
  const Datasource* DefaultDatasource() const;

  AppOptions options_;
  std::unique_ptr<Store> store_;
  std::vector<Datasource> datasources_;  // immutable after Create
  std::unique_ptr<DashboardProvisioner> provisioner_;
  LoginLimiter limiter_;     // per user name
  LoginLimiter ip_limiter_;  // per client address: 4x the per-user allowance
  std::string dummy_hash_;   // immutable after Create
};

// Grafana's slug of a title: lower case, runs of other characters become one '-'.
std::string Slugify(std::string_view title);

}  // namespace sremon::dashboards
