#include "alertmanager/history.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "alertmanager/store.h"
#include "util/time.h"

namespace sremon::alertmanager {

namespace {

nlohmann::json ToJsonObj(const HistoryRecord& r) {
  nlohmann::json alerts = nlohmann::json::array();
  for (const auto& a : r.alerts) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& l : a.labels) labels[l.name] = l.value;
    alerts.push_back({{"labels", labels},
                      {"annotations", a.annotations},
                      {"status", a.ends_at != 0 && a.ends_at <= r.time ? "resolved" : "firing"},
                      {"startsAt", FormatGoTime(a.starts_at)},
                      {"endsAt", FormatGoTime(a.ends_at)},
                      {"fingerprint", FingerprintString(a.Fingerprint())}});
  }
  return {{"id", r.id},
          {"time", FormatRfc3339Ms(r.time)},
          {"receiver", r.receiver},
          {"integration", r.integration},
          {"groupKey", r.group_key},
          {"status", r.status},
          {"alerts", alerts},
          {"payload", r.payload},
          {"target", r.target},
          {"ok", r.ok},
          {"error", r.error},
          {"httpStatus", r.http_status},
          {"response", r.response},
          {"attempt", r.attempt},
          {"durationSeconds", r.duration_seconds},
          {"test", r.test}};
}

Result<HistoryRecord> FromJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  try {
    HistoryRecord r;
    r.id = j.at("id").get<uint64_t>();
    auto t = ParseRfc3339(j.at("time").get<std::string>());
    if (!t.ok()) return t.status();
    r.time = *t;
    r.receiver = j.at("receiver").get<std::string>();
    r.integration = j.at("integration").get<std::string>();
    r.group_key = j.at("groupKey").get<std::string>();
    r.status = j.at("status").get<std::string>();
    for (const auto& a : j.at("alerts")) {
      Alert al;
      std::vector<model::Label> ls;
      for (const auto& [k, v] : a.at("labels").items()) ls.push_back({k, v.get<std::string>()});
      al.labels = model::Labels(std::move(ls));
      al.annotations = a.at("annotations").get<Annotations>();
      auto s = ParseRfc3339(a.at("startsAt").get<std::string>());
      al.starts_at = s.ok() ? *s : 0;
      auto e = ParseRfc3339(a.at("endsAt").get<std::string>());
      al.ends_at = e.ok() && *e > 0 ? *e : 0;
      r.alerts.push_back(std::move(al));
    }
    r.payload = j.at("payload").get<std::string>();
    r.target = j.at("target").get<std::string>();
    r.ok = j.at("ok").get<bool>();
    r.error = j.at("error").get<std::string>();
    r.http_status = j.at("httpStatus").get<int>();
    r.response = j.at("response").get<std::string>();
    r.attempt = j.at("attempt").get<int>();
    r.duration_seconds = j.at("durationSeconds").get<double>();
    r.test = j.at("test").get<bool>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("bad history record: ") + e.what());
  }
}

}  // namespace

std::string HistoryToJson(const HistoryRecord& r) { return ToJsonObj(r).dump(); }

Status History::Open(const std::string& dir, int64_t retention_ms) {
  std::lock_guard lock(mu_);
  retention_ms_ = retention_ms;
  Status st = journal_.Open(dir, "history", [this](const std::string& rec) {
    auto r = FromJson(rec);
    if (!r.ok()) {
      spdlog::warn("skipping history record: {}", r.status().message());
      return;
    }
    next_id_ = std::max(next_id_, r->id + 1);
    records_.push_back(std::move(*r));
  });
  return st;
}

uint64_t History::Add(HistoryRecord r) {
  std::lock_guard lock(mu_);
  r.id = next_id_++;
  if (Status st = journal_.Append(HistoryToJson(r), false); !st.ok()) spdlog::error("history: {}", st.message());
  records_.push_back(std::move(r));
  // Retention bounds the age; this bounds memory when a flapping group sends very often.
  constexpr size_t kMaxRecords = 100000;
  while (records_.size() > kMaxRecords) records_.pop_front();
  return records_.back().id;
}

std::vector<HistoryRecord> History::Query(const std::string& alertname, const std::string& receiver,
                                          size_t limit) const {
  std::vector<HistoryRecord> out;
  std::lock_guard lock(mu_);
  for (auto it = records_.rbegin(); it != records_.rend() && out.size() < limit; ++it) {
    if (!receiver.empty() && it->receiver != receiver) continue;
    if (!alertname.empty()) {
      bool any = false;
      for (const auto& a : it->alerts) any = any || a.labels.Get("alertname") == alertname;
      if (!any) continue;
    }
    out.push_back(*it);
  }
  return out;
}

void History::Maintenance() {
  std::lock_guard lock(mu_);
  int64_t cutoff = NowMs() - retention_ms_;
  while (!records_.empty() && records_.front().time < cutoff) records_.pop_front();
  std::vector<std::string> recs;
  for (const auto& r : records_) recs.push_back(HistoryToJson(r));
  if (Status st = journal_.Compact(recs); !st.ok()) spdlog::error("history snapshot: {}", st.message());
}

}  // namespace sremon::alertmanager
