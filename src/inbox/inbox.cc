#include "inbox/inbox.h"

#include <sqlite3.h>

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/json.h"
#include "util/time.h"

namespace sremon::inbox {

namespace {

// Finalizes a statement on every path.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

}  // namespace

Inbox::~Inbox() {
  if (db_) sqlite3_close(db_);
}

Status Inbox::Open(const std::string& dir, int64_t max_notifications) {
  std::lock_guard lock(mu_);
  max_ = max_notifications;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("cannot create {}: {}", dir, ec.message()));
  std::string path = dir + "/inbox.db";
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    return Status::IOError(fmt::format("cannot open {}: {}", path, sqlite3_errmsg(db_)));
  }
  sqlite3_busy_timeout(db_, 5000);
  char* err = nullptr;
  const char* schema =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
      "CREATE TABLE IF NOT EXISTS notifications (id INTEGER PRIMARY KEY AUTOINCREMENT,"
      " received_ms INTEGER NOT NULL, path TEXT NOT NULL, body TEXT NOT NULL);";
  if (sqlite3_exec(db_, schema, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::IOError(fmt::format("cannot initialize {}: {}", path, msg));
  }
  return Status::Ok();
}

Result<int64_t> Inbox::Add(const std::string& path, const std::string& body) {
  if (auto parsed = ParseJson(body); !parsed.ok()) {
    return Status::InvalidArgument("request body is not valid JSON: " + parsed.status().message());
  }
  std::lock_guard lock(mu_);
  Stmt ins;
  sqlite3_prepare_v2(db_, "INSERT INTO notifications (received_ms, path, body) VALUES (?, ?, ?)", -1, &ins.s, nullptr);
  sqlite3_bind_int64(ins.s, 1, NowMs());
  sqlite3_bind_text(ins.s, 2, path.data(), static_cast<int>(path.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(ins.s, 3, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(ins.s) != SQLITE_DONE) return Status::IOError(fmt::format("cannot store: {}", sqlite3_errmsg(db_)));
  int64_t id = sqlite3_last_insert_rowid(db_);
  // Keep the newest max_ notifications.
  Stmt del;
  sqlite3_prepare_v2(db_, "DELETE FROM notifications WHERE id <= ?", -1, &del.s, nullptr);
  sqlite3_bind_int64(del.s, 1, id - max_);
  sqlite3_step(del.s);
  return id;
}

std::vector<Notification> Inbox::List(int64_t since_id, int64_t since_ms, int64_t limit) const {
  std::vector<Notification> out;
  std::lock_guard lock(mu_);
  Stmt q;
  sqlite3_prepare_v2(db_,
                     "SELECT id, received_ms, path, body FROM (SELECT * FROM notifications WHERE id > ? AND "
                     "received_ms >= ? ORDER BY id DESC LIMIT ?) ORDER BY id ASC",
                     -1, &q.s, nullptr);
  sqlite3_bind_int64(q.s, 1, since_id);
  sqlite3_bind_int64(q.s, 2, since_ms);
  sqlite3_bind_int64(q.s, 3, limit);
  while (sqlite3_step(q.s) == SQLITE_ROW) {
    Notification n;
    n.id = sqlite3_column_int64(q.s, 0);
    n.received_ms = sqlite3_column_int64(q.s, 1);
    n.path = reinterpret_cast<const char*>(sqlite3_column_text(q.s, 2));
    n.body = reinterpret_cast<const char*>(sqlite3_column_text(q.s, 3));
    out.push_back(std::move(n));
  }
  return out;
}

int64_t Inbox::Count() const {
  std::lock_guard lock(mu_);
  Stmt q;
  sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM notifications", -1, &q.s, nullptr);
  return sqlite3_step(q.s) == SQLITE_ROW ? sqlite3_column_int64(q.s, 0) : 0;
}

}  // namespace sremon::inbox
