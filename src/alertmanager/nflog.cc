#include "alertmanager/nflog.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "alertmanager/record.h"
#include "util/time.h"

namespace sremon::alertmanager {

namespace {

std::string ToRecord(const NflogEntry& e) {
  return nlohmann::json{{"receiver", e.receiver}, {"groupKey", e.group_key}, {"firing", e.firing},
                        {"resolved", e.resolved}, {"timestamp", e.timestamp}, {"expiresAt", e.expires_at}}
      .dump();
}

Result<NflogEntry> EntryFromRecord(const std::string& text) {
  return FromRecord<NflogEntry>(text, "notification log", [](const nlohmann::json& j) -> Result<NflogEntry> {
    NflogEntry e;
    e.receiver = j.at("receiver").get<std::string>();
    e.group_key = j.at("groupKey").get<std::string>();
    e.firing = j.at("firing").get<std::set<uint64_t>>();
    e.resolved = j.at("resolved").get<std::set<uint64_t>>();
    e.timestamp = j.at("timestamp").get<int64_t>();
    e.expires_at = j.at("expiresAt").get<int64_t>();
    return e;
  });
}

}  // namespace

Status NotificationLog::Open(const std::string& dir) {
  std::lock_guard lock(mu_);
  Status st =
      journal_.Open(dir, "nflog", SkipBadRecords("notification log", EntryFromRecord, [this](NflogEntry&& e) {
                      entries_[{e.receiver, e.group_key}] = std::move(e);
                    }));
  if (!st.ok()) return st;
  spdlog::info("loaded {} notification log entries", entries_.size());
  return Status::Ok();
}

bool NotificationLog::Query(const std::string& receiver, const std::string& group_key, NflogEntry* out) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find({receiver, group_key});
  if (it == entries_.end()) return false;
  *out = it->second;
  return true;
}

Status NotificationLog::Log(NflogEntry e) {
  std::lock_guard lock(mu_);
  SREMON_RETURN_IF_ERROR(journal_.Append(ToRecord(e), true));
  entries_[{e.receiver, e.group_key}] = std::move(e);
  return Status::Ok();
}

void NotificationLog::Maintenance() {
  std::lock_guard lock(mu_);
  int64_t now = clock_();
  std::vector<std::string> records;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires_at < now) {
      it = entries_.erase(it);
    } else {
      records.push_back(ToRecord(it->second));
      ++it;
    }
  }
  if (Status st = journal_.Compact(records); !st.ok()) spdlog::error("nflog snapshot: {}", st.message());
}

size_t NotificationLog::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace sremon::alertmanager
