// SQLite store of the dashboards service: users, sessions, folders, dashboards with their
// version history, and user preferences (Grafana keeps the same things in its grafana.db).
// Thread-safety: one connection guarded by a mutex; every method is safe to call concurrently.
// Calls block on disk, so HTTP handlers using the store must be registered as blocking.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

struct sqlite3;

namespace sremon::dashboards {

struct User {
  int64_t id = 0;
  std::string login;
  std::string email;
  std::string name;
  std::string password_hash;
  bool is_admin = false;
};

struct Folder {
  int64_t id = 0;
  std::string uid;
  std::string title;
};

struct Dashboard {
  int64_t id = 0;
  std::string uid;
  std::string title;
  std::string folder_uid;  // "" = General
  int64_t version = 0;
  std::string data;        // the Grafana JSON model, as saved
  std::string tags_json = "[]";
  std::string provisioner;  // provider name when provisioned, else ""
  std::string provision_path;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct DashboardVersion {
  int64_t id = 0;
  int64_t dashboard_id = 0;
  int64_t version = 0;
  std::string data;
  std::string message;
  std::string created_by;
  int64_t created_ms = 0;
};

// What a save changes: the store assigns id and version.
struct SaveDashboard {
  std::string uid;
  std::string title;
  std::string folder_uid;
  std::string data;  // JSON model without id/version (the store writes them)
  std::string tags_json = "[]";
  std::string message;
  std::string created_by;
  // When set, the save must be based on this version (optimistic locking, Grafana's
  // "version-mismatch"); unset = overwrite.
  std::optional<int64_t> base_version;
  std::string provisioner;
  std::string provision_path;
};

class Store {
 public:
  // path ":memory:" gives a private in-memory database (tests).
  static Result<std::unique_ptr<Store>> Open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Users.
  Result<User> CreateUser(const User& user);
  Result<User> UserByLogin(const std::string& login);
  Result<User> UserById(int64_t id);
  Status SetPasswordHash(int64_t user_id, const std::string& hash);

  // Sessions are keyed by the token's digest; expired ones are not found.
  Status CreateSession(const std::string& digest, int64_t user_id, int64_t expires_ms);
  Result<int64_t> SessionUser(const std::string& digest, int64_t now_ms);
  Status DeleteSession(const std::string& digest);
  Status DeleteUserSessions(int64_t user_id, const std::string& except_digest);

  // Folders.
  Result<Folder> CreateFolder(const std::string& uid, const std::string& title);
  Result<std::vector<Folder>> ListFolders();
  Result<Folder> FolderByUid(const std::string& uid);
  Result<Folder> FolderByTitle(const std::string& title);

  // Dashboards. Save creates or updates by uid and records a version; the returned dashboard
  // has its new id and version. A stale base_version gives AlreadyExists("version-mismatch").
  Result<Dashboard> Save(const SaveDashboard& save);
  Result<Dashboard> DashboardByUid(const std::string& uid);
  Result<std::vector<Dashboard>> ListDashboards();
  Status DeleteDashboard(const std::string& uid);
  Result<std::vector<DashboardVersion>> Versions(const std::string& uid);
  Result<DashboardVersion> Version(const std::string& uid, int64_t version);

  // A trivial query, for /api/health.
  Status Ping();

  // Preferences: one JSON document per user.
  Result<std::string> Preferences(int64_t user_id);
  Status SetPreferences(int64_t user_id, const std::string& json);

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  std::mutex mu_;
  sqlite3* db_;  // GUARDED_BY(mu_)
};

}  // namespace sremon::dashboards
