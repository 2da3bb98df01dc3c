// The notification inbox: stores the last N webhook notifications (any JSON body) in SQLite
// under a data directory, so they survive restarts, and lists them for the HTML page and the
// polling API. Thread-safety: thread-safe (one connection behind a mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "util/status.h"

struct sqlite3;

namespace sremon::inbox {

struct Notification {
  int64_t id = 0;
  int64_t received_ms = 0;
  std::string path;
  std::string body;  // the JSON as received
};

class Inbox {
 public:
  Inbox() = default;
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Opens (creating) <dir>/inbox.db. max_notifications bounds what is kept.
  Status Open(const std::string& dir, int64_t max_notifications);
  // Stores one notification; returns its id. InvalidArgument when body is not JSON.
  Result<int64_t> Add(const std::string& path, const std::string& body);
  // Notifications with id > since_id and received at/after since_ms, oldest first, at most
  // limit (the newest `limit` when more match).
  std::vector<Notification> List(int64_t since_id, int64_t since_ms, int64_t limit) const;
  int64_t Count() const;

 private:
  mutable std::mutex mu_;
  sqlite3* db_ = nullptr;  // GUARDED_BY(mu_)
  int64_t max_ = 1000;
};

}  // namespace sremon::inbox
