#include "dashboards/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <variant>

#include "util/time.h"

namespace sremon::dashboards {
namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA foreign_keys=ON;
CREATE TABLE IF NOT EXISTS user (
  id INTEGER PRIMARY KEY, login TEXT NOT NULL UNIQUE, email TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '', password TEXT NOT NULL, is_admin INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS session (
  token_digest TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
  created INTEGER NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS folder (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, title TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dashboard (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, title TEXT NOT NULL, folder_uid TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL, data TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
  provisioner TEXT NOT NULL DEFAULT '', provision_path TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dashboard_version (
  id INTEGER PRIMARY KEY, dashboard_id INTEGER NOT NULL REFERENCES dashboard(id) ON DELETE CASCADE,
  version INTEGER NOT NULL, data TEXT NOT NULL, message TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL, UNIQUE(dashboard_id, version));
CREATE TABLE IF NOT EXISTS preferences (
  user_id INTEGER PRIMARY KEY REFERENCES user(id) ON DELETE CASCADE, json TEXT NOT NULL);
)sql";

using Arg = std::variant<int64_t, std::string>;

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr); }
  ~Stmt() { sqlite3_finalize(st_); }
  Status Bind(const std::vector<Arg>& args) {
    if (rc_ != SQLITE_OK) return Error("prepare");
    for (size_t i = 0; i < args.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      if (auto* n = std::get_if<int64_t>(&args[i])) {
        sqlite3_bind_int64(st_, idx, *n);
      } else {
        const auto& s = std::get<std::string>(args[i]);
        sqlite3_bind_text(st_, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
    }
    return Status::Ok();
  }
  // true = a row is ready; false = done.
  Result<bool> Step() {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if (rc == SQLITE_CONSTRAINT) return Status::AlreadyExists(sqlite3_errmsg(db_));
    return Error("step");
  }
  int64_t Int(int col) { return sqlite3_column_int64(st_, col); }
  std::string Text(int col) {
    const unsigned char* p = sqlite3_column_text(st_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st_, col)) : std::string();
  }

 private:
  Status Error(const char* what) { return Status::IOError(std::string("sqlite ") + what + ": " + sqlite3_errmsg(db_)); }
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  int rc_;
};

// Runs sql with args; calls row() for each result row.
Status Run(sqlite3* db, const char* sql, const std::vector<Arg>& args, const std::function<void(Stmt&)>& row = nullptr) {
  Stmt st(db, sql);
  SREMON_RETURN_IF_ERROR(st.Bind(args));
  while (true) {
    auto r = st.Step();
    if (!r.ok()) return r.status();
    if (!*r) return Status::Ok();
    if (row) row(st);
  }
}

constexpr const char* kUserCols = "SELECT id, login, email, name, password, is_admin FROM user ";
User ReadUser(Stmt& s) { return User{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5) != 0}; }

constexpr const char* kDashCols =
    "SELECT id, uid, title, folder_uid, version, data, tags, provisioner, provision_path, created, updated FROM dashboard ";
Dashboard ReadDash(Stmt& s) {
  Dashboard d;
  d.id = s.Int(0);
  d.uid = s.Text(1);
  d.title = s.Text(2);
  d.folder_uid = s.Text(3);
  d.version = s.Int(4);
  d.data = s.Text(5);
  d.tags_json = s.Text(6);
  d.provisioner = s.Text(7);
  d.provision_path = s.Text(8);
  d.created_ms = s.Int(9);
  d.updated_ms = s.Int(10);
  return d;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  // The file holds password hashes and session digests: create it readable by the owner only
  // (SQLite gives its journal and WAL files the database file's mode). An existing file keeps
  // the mode its owner chose.
  if (path != ":memory:" && !path.empty()) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
    } else if (errno != EEXIST) {
      return Status::IOError("cannot create database " + path + ": " + std::strerror(errno));
    }
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::IOError("cannot open database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<Store> store(new Store(db));
  SREMON_RETURN_IF_ERROR(store->Exec(kSchema).WithContext("cannot create schema in " + path));
  return store;
}

Store::~Store() { sqlite3_close(db_); }

Status Store::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::IOError(msg);
  }
  return Status::Ok();
}

Result<User> Store::CreateUser(const User& u) {
  std::lock_guard lock(mu_);
  int64_t now = NowMs();
  Status st = Run(db_, "INSERT INTO user(login, email, name, password, is_admin, created, updated) VALUES(?,?,?,?,?,?,?)",
                  {u.login, u.email, u.name, u.password_hash, int64_t{u.is_admin}, now, now});
  if (!st.ok()) return st.WithContext("cannot create user " + u.login);
  User out = u;
  out.id = sqlite3_last_insert_rowid(db_);
  return out;
}

Result<User> Store::UserByLogin(const std::string& login) {
  std::lock_guard lock(mu_);
  std::optional<User> u;
  SREMON_RETURN_IF_ERROR(Run(db_, (std::string(kUserCols) + "WHERE login = ?").c_str(), {login},
                             [&](Stmt& s) { u = ReadUser(s); }));
  if (!u) return Status::NotFound("user not found");
  return *u;
}

Result<User> Store::UserById(int64_t id) {
  std::lock_guard lock(mu_);
  std::optional<User> u;
  SREMON_RETURN_IF_ERROR(Run(db_, (std::string(kUserCols) + "WHERE id = ?").c_str(), {id},
                             [&](Stmt& s) { u = ReadUser(s); }));
  if (!u) return Status::NotFound("user not found");
  return *u;
}

Status Store::SetPasswordHash(int64_t user_id, const std::string& hash) {
  std::lock_guard lock(mu_);
  return Run(db_, "UPDATE user SET password = ?, updated = ? WHERE id = ?", {hash, NowMs(), user_id});
}

Status Store::CreateSession(const std::string& digest, int64_t user_id, int64_t expires_ms) {
  std::lock_guard lock(mu_);
  int64_t now = NowMs();
  SREMON_RETURN_IF_ERROR(Run(db_, "DELETE FROM session WHERE expires < ?", {now}));
  return Run(db_, "INSERT INTO session(token_digest, user_id, created, expires) VALUES(?,?,?,?)",
             {digest, user_id, now, expires_ms});
}

Result<int64_t> Store::SessionUser(const std::string& digest, int64_t now_ms) {
  std::lock_guard lock(mu_);
  std::optional<int64_t> id;
  SREMON_RETURN_IF_ERROR(Run(db_, "SELECT user_id FROM session WHERE token_digest = ? AND expires > ?",
                             {digest, now_ms}, [&](Stmt& s) { id = s.Int(0); }));
  if (!id) return Status::NotFound("session not found or expired");
  return *id;
}

Status Store::DeleteSession(const std::string& digest) {
  std::lock_guard lock(mu_);
  return Run(db_, "DELETE FROM session WHERE token_digest = ?", {digest});
}

Status Store::DeleteUserSessions(int64_t user_id, const std::string& except_digest) {
  std::lock_guard lock(mu_);
  return Run(db_, "DELETE FROM session WHERE user_id = ? AND token_digest != ?", {user_id, except_digest});
}

Result<Folder> Store::CreateFolder(const std::string& uid, const std::string& title) {
  std::lock_guard lock(mu_);
  Status st = Run(db_, "INSERT INTO folder(uid, title, created) VALUES(?,?,?)", {uid, title, NowMs()});
  if (!st.ok()) return st.WithContext("cannot create folder " + title);
  return Folder{sqlite3_last_insert_rowid(db_), uid, title};
}

Result<std::vector<Folder>> Store::ListFolders() {
  std::lock_guard lock(mu_);
  std::vector<Folder> out;
  SREMON_RETURN_IF_ERROR(Run(db_, "SELECT id, uid, title FROM folder ORDER BY title", {},
                             [&](Stmt& s) { out.push_back({s.Int(0), s.Text(1), s.Text(2)}); }));
  return out;
}

Result<Folder> Store::FolderByUid(const std::string& uid) {
  std::lock_guard lock(mu_);
  std::optional<Folder> f;
  SREMON_RETURN_IF_ERROR(Run(db_, "SELECT id, uid, title FROM folder WHERE uid = ?", {uid},
                             [&](Stmt& s) { f = Folder{s.Int(0), s.Text(1), s.Text(2)}; }));
  if (!f) return Status::NotFound("folder not found");
  return *f;
}

Result<Folder> Store::FolderByTitle(const std::string& title) {
  std::lock_guard lock(mu_);
  std::optional<Folder> f;
  SREMON_RETURN_IF_ERROR(Run(db_, "SELECT id, uid, title FROM folder WHERE title = ?", {title},
                             [&](Stmt& s) { f = Folder{s.Int(0), s.Text(1), s.Text(2)}; }));
  if (!f) return Status::NotFound("folder not found");
  return *f;
}

Result<Dashboard> Store::Save(const SaveDashboard& save) {
  std::lock_guard lock(mu_);
  SREMON_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Result<Dashboard> {
    std::optional<Dashboard> old;
    SREMON_RETURN_IF_ERROR(Run(db_, (std::string(kDashCols) + "WHERE uid = ?").c_str(), {save.uid},
                               [&](Stmt& s) { old = ReadDash(s); }));
    if (old && save.base_version && *save.base_version != old->version) {
      return Status::AlreadyExists("version-mismatch");
    }
    int64_t now = NowMs();
    Dashboard d;
    d.uid = save.uid;
    d.title = save.title;
    d.folder_uid = save.folder_uid;
    d.data = save.data;
    d.tags_json = save.tags_json;
    d.provisioner = save.provisioner;
    d.provision_path = save.provision_path;
    d.updated_ms = now;
    if (old) {
      d.id = old->id;
      d.version = old->version + 1;
      d.created_ms = old->created_ms;
      SREMON_RETURN_IF_ERROR(Run(db_,
                                 "UPDATE dashboard SET title=?, folder_uid=?, version=?, data=?, tags=?, provisioner=?, "
                                 "provision_path=?, updated=? WHERE id=?",
                                 {d.title, d.folder_uid, d.version, d.data, d.tags_json, d.provisioner,
                                  d.provision_path, now, d.id}));
    } else {
      d.version = 1;
      d.created_ms = now;
      SREMON_RETURN_IF_ERROR(Run(db_,
                                 "INSERT INTO dashboard(uid, title, folder_uid, version, data, tags, provisioner, "
                                 "provision_path, created, updated) VALUES(?,?,?,?,?,?,?,?,?,?)",
                                 {d.uid, d.title, d.folder_uid, d.version, d.data, d.tags_json, d.provisioner,
                                  d.provision_path, now, now}));
      d.id = sqlite3_last_insert_rowid(db_);
    }
    SREMON_RETURN_IF_ERROR(Run(db_,
                               "INSERT INTO dashboard_version(dashboard_id, version, data, message, created_by, created) "
                               "VALUES(?,?,?,?,?,?)",
                               {d.id, d.version, d.data, save.message, save.created_by, now}));
    return d;
  };
  Result<Dashboard> r = body();
  SREMON_RETURN_IF_ERROR(Exec(r.ok() ? "COMMIT" : "ROLLBACK"));
  return r;
}

Result<Dashboard> Store::DashboardByUid(const std::string& uid) {
  std::lock_guard lock(mu_);
  std::optional<Dashboard> d;
  SREMON_RETURN_IF_ERROR(Run(db_, (std::string(kDashCols) + "WHERE uid = ?").c_str(), {uid},
                             [&](Stmt& s) { d = ReadDash(s); }));
  if (!d) return Status::NotFound("Dashboard not found");
  return *d;
}

Result<std::vector<Dashboard>> Store::ListDashboards() {
  std::lock_guard lock(mu_);
  std::vector<Dashboard> out;
  SREMON_RETURN_IF_ERROR(Run(db_, (std::string(kDashCols) + "ORDER BY title COLLATE NOCASE").c_str(), {},
                             [&](Stmt& s) { out.push_back(ReadDash(s)); }));
  return out;
}

Status Store::DeleteDashboard(const std::string& uid) {
  std::lock_guard lock(mu_);
  SREMON_RETURN_IF_ERROR(Run(db_, "DELETE FROM dashboard WHERE uid = ?", {uid}));
  if (sqlite3_changes(db_) == 0) return Status::NotFound("Dashboard not found");
  return Status::Ok();
}

Result<std::vector<DashboardVersion>> Store::Versions(const std::string& uid) {
  std::lock_guard lock(mu_);
  std::vector<DashboardVersion> out;
  SREMON_RETURN_IF_ERROR(Run(db_,
                             "SELECT v.id, v.dashboard_id, v.version, '', v.message, v.created_by, v.created FROM "
                             "dashboard_version v JOIN dashboard d ON d.id = v.dashboard_id WHERE d.uid = ? "
                             "ORDER BY v.version DESC",
                             {uid}, [&](Stmt& s) {
                               out.push_back({s.Int(0), s.Int(1), s.Int(2), s.Text(3), s.Text(4), s.Text(5), s.Int(6)});
                             }));
  return out;
}

Result<DashboardVersion> Store::Version(const std::string& uid, int64_t version) {
  std::lock_guard lock(mu_);
  std::optional<DashboardVersion> v;
  SREMON_RETURN_IF_ERROR(Run(db_,
                             "SELECT v.id, v.dashboard_id, v.version, v.data, v.message, v.created_by, v.created FROM "
                             "dashboard_version v JOIN dashboard d ON d.id = v.dashboard_id WHERE d.uid = ? AND v.version = ?",
                             {uid, version}, [&](Stmt& s) {
                               v = DashboardVersion{s.Int(0), s.Int(1), s.Int(2), s.Text(3), s.Text(4), s.Text(5), s.Int(6)};
                             }));
  if (!v) return Status::NotFound("Dashboard version not found");
  return *v;
}

Status Store::Ping() {
  std::lock_guard lock(mu_);
  return Run(db_, "SELECT 1", {});
}

Result<std::string> Store::Preferences(int64_t user_id) {
  std::lock_guard lock(mu_);
  std::string json = "{}";
  SREMON_RETURN_IF_ERROR(Run(db_, "SELECT json FROM preferences WHERE user_id = ?", {user_id},
                             [&](Stmt& s) { json = s.Text(0); }));
  return json;
}

Status Store::SetPreferences(int64_t user_id, const std::string& json) {
  std::lock_guard lock(mu_);
  return Run(db_, "INSERT INTO preferences(user_id, json) VALUES(?,?) ON CONFLICT(user_id) DO UPDATE SET json = excluded.json",
             {user_id, json});
}

}  // namespace sremon::dashboards
