#include "alertmanager/store.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "alertmanager/record.h"
#include "util/time.h"

namespace sremon::alertmanager {

std::string AlertToRecord(const Alert& a) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& l : a.labels) labels[l.name] = l.value;
  return nlohmann::json{{"labels", labels},
                        {"annotations", a.annotations},
                        {"generatorURL", a.generator_url},
                        {"startsAt", a.starts_at},
                        {"endsAt", a.ends_at},
                        {"updatedAt", a.updated_at},
                        {"timeout", a.timeout}}
      .dump();
}

Result<Alert> AlertFromRecord(const std::string& text) {
  return FromRecord<Alert>(text, "alert", [](const nlohmann::json& j) -> Result<Alert> {
    Alert a;
    std::vector<model::Label> ls;
    for (const auto& [k, v] : j.at("labels").items()) ls.push_back({k, v.get<std::string>()});
    a.labels = model::Labels(std::move(ls));
    a.annotations = j.at("annotations").get<Annotations>();
    a.generator_url = j.at("generatorURL").get<std::string>();
    a.starts_at = j.at("startsAt").get<int64_t>();
    a.ends_at = j.at("endsAt").get<int64_t>();
    a.updated_at = j.at("updatedAt").get<int64_t>();
    a.timeout = j.at("timeout").get<bool>();
    return a;
  });
}

Status AlertStore::Open(const std::string& dir) {
  std::lock_guard lock(mu_);
  Status st = journal_.Open(dir, "alerts", SkipBadRecords("alert", AlertFromRecord, [this](Alert&& a) {
                              alerts_[a.Fingerprint()] = std::move(a);
                            }));
  if (!st.ok()) return st;
  spdlog::info("loaded {} alerts", alerts_.size());
  return Status::Ok();
}

void AlertStore::Put(const std::vector<Alert>& in) {
  std::vector<Alert> stored;
  {
    std::lock_guard lock(mu_);
    for (Alert a : in) {
      uint64_t fp = a.Fingerprint();
      auto it = alerts_.find(fp);
      if (it != alerts_.end()) {
        const Alert& old = it->second;
        // Merge only when the activity ranges overlap; otherwise it is a new occurrence.
        if ((a.ends_at > old.starts_at && a.ends_at < old.ends_at) ||
            (a.starts_at > old.starts_at && a.starts_at < old.ends_at)) {
          a = MergeAlerts(old, a);
        }
      }
      alerts_[fp] = a;
      if (Status st = journal_.Append(AlertToRecord(a), false); !st.ok()) spdlog::error("{}", st.message());
      stored.push_back(std::move(a));
    }
    ++version_;
  }
  std::shared_lock lock(listeners_mu_);
  for (const auto& a : stored) {
    for (const auto& [id, l] : listeners_) l(a);
  }
}

std::vector<Alert> AlertStore::List() const {
  std::lock_guard lock(mu_);
  std::vector<Alert> out;
  out.reserve(alerts_.size());
  for (const auto& [fp, a] : alerts_) out.push_back(a);
  return out;
}


void AlertStore::GarbageCollect() {
  std::lock_guard lock(mu_);
  int64_t now = NowMs();
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    if (it->second.ResolvedAt(now)) {
      it = alerts_.erase(it);
    } else {
      ++it;
    }
  }
  ++version_;
  std::vector<std::string> records;
  for (const auto& [fp, a] : alerts_) records.push_back(AlertToRecord(a));
  if (Status st = journal_.Compact(records); !st.ok()) spdlog::error("alerts snapshot: {}", st.message());
}

int AlertStore::Subscribe(Listener l) {
  std::unique_lock lock(listeners_mu_);
  listeners_[next_listener_] = std::move(l);
  return next_listener_++;
}

void AlertStore::Unsubscribe(int id) {
  std::unique_lock lock(listeners_mu_);
  listeners_.erase(id);
}

}  // namespace sremon::alertmanager
