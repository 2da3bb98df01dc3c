#include "alertmanager/history.h"

#include <openssl/evp.h>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "alertmanager/record.h"
#include "alertmanager/store.h"
#include "util/json.h"
#include "util/time.h"

namespace sremon::alertmanager {

namespace {

std::string Sha256Hex(std::string_view data) {
  unsigned char sum[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), sum, &len, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", sum[i]);
  return out;
}

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
  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& a : r.attempts) {
    attempts.push_back({{"time", FormatRfc3339Ms(a.time)},
                        {"ok", a.ok},
                        {"error", a.error},
                        {"httpStatus", a.http_status},
                        {"response", a.response},
                        {"durationSeconds", a.duration_seconds}});
  }
  const HistoryAttempt& last = r.last();
  // ok/error/httpStatus/response/attempt/durationSeconds: the latest attempt, as before
  // attempts were grouped into one record.
  return {{"id", r.id},
          {"time", FormatRfc3339Ms(r.time)},
          {"receiver", r.receiver},
          {"integration", r.integration},
          {"groupKey", r.group_key},
          {"status", r.status},
          {"alerts", alerts},
          {"alertsTotal", r.alerts_total},
          {"payload", r.payload},
          {"payloadBytes", r.payload_bytes},
          {"payloadSha256", r.payload_sha256},
          {"target", r.target},
          {"ok", last.ok},
          {"error", last.error},
          {"httpStatus", last.http_status},
          {"response", last.response},
          {"attempt", r.attempts_total},
          {"durationSeconds", last.duration_seconds},
          {"attempts", attempts},
          {"test", r.test}};
}

Result<HistoryRecord> FromJson(const std::string& text) {
  return FromRecord<HistoryRecord>(text, "history", [](const nlohmann::json& j) -> Result<HistoryRecord> {
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
    // Records written before payloads were bounded have no sizes and one attempt at top level:
    // they are read, and bounded, the same way.
    r.alerts_total = j.value("alertsTotal", r.alerts.size());
    if (r.alerts.size() > HistoryRecord::kMaxAlerts) r.alerts.resize(HistoryRecord::kMaxAlerts);
    std::string payload = j.at("payload").get<std::string>();
    if (j.contains("payloadSha256")) {
      r.payload = std::move(payload);
      r.payload.resize(std::min(r.payload.size(), HistoryRecord::kPayloadExcerptBytes));
      r.payload_bytes = j.at("payloadBytes").get<size_t>();
      r.payload_sha256 = j.at("payloadSha256").get<std::string>();
    } else {
      r.SetPayload(payload);
    }
    r.target = j.at("target").get<std::string>();
    r.test = j.at("test").get<bool>();
    auto attempt = [](const nlohmann::json& a, int64_t time) {
      HistoryAttempt out;
      out.time = time;
      out.ok = a.at("ok").get<bool>();
      out.error = a.at("error").get<std::string>();
      out.http_status = a.at("httpStatus").get<int>();
      out.response = a.at("response").get<std::string>();
      out.duration_seconds = a.at("durationSeconds").get<double>();
      return out;
    };
    if (j.contains("attempts")) {
      for (const auto& a : j.at("attempts")) {
        auto at = ParseRfc3339(a.at("time").get<std::string>());
        r.AddAttempt(attempt(a, at.ok() ? *at : r.time));
      }
      r.attempts_total = j.at("attempt").get<int>();
    } else {
      r.AddAttempt(attempt(j, r.time));
      r.attempts_total = j.at("attempt").get<int>();
    }
    if (r.attempts.empty()) return Status::Corruption("bad history record: no attempts");
    return r;
  });
}

}  // namespace

void HistoryRecord::SetAlerts(const std::vector<Alert>& all) {
  alerts_total = all.size();
  alerts.assign(all.begin(), all.begin() + static_cast<ptrdiff_t>(std::min(all.size(), kMaxAlerts)));
}

void HistoryRecord::SetPayload(const std::string& full) {
  payload_bytes = full.size();
  payload_sha256 = Sha256Hex(full);
  payload = full.substr(0, kPayloadExcerptBytes);
}

void HistoryRecord::AddAttempt(HistoryAttempt a) {
  ++attempts_total;
  if (attempts.size() >= kMaxAttempts) attempts.erase(attempts.begin() + 1);  // keep the first
  attempts.push_back(std::move(a));
}

const HistoryAttempt& HistoryRecord::last() const {
  static const HistoryAttempt kNone;
  return attempts.empty() ? kNone : attempts.back();
}

std::string HistoryToJson(const HistoryRecord& r) { return ToJsonObj(r).dump(); }

Status History::Open(const std::string& dir, int64_t retention_ms, size_t max_bytes) {
  std::lock_guard lock(mu_);
  retention_ms_ = retention_ms;
  if (max_bytes != 0) max_bytes_ = max_bytes;
  Status st = journal_.Open(dir, "history", SkipBadRecords("history", FromJson, [this](HistoryRecord&& r) {
                              next_id_ = std::max(next_id_, r.id + 1);
                              Put(std::move(r));
                            }));
  // Old logs may hold whole payloads per attempt: start from a compact journal.
  if (st.ok() && log_bytes_ > 0) CompactLocked();
  return st;
}

void History::Put(HistoryRecord r) {
  std::string json = HistoryToJson(r);
  log_bytes_ += json.size();
  // A later version of a record (another attempt) replaces it; it is among the newest.
  auto it = std::find_if(records_.rbegin(), records_.rend(), [&](const Entry& e) { return e.record.id == r.id; });
  if (it != records_.rend()) {
    bytes_ -= it->bytes;
    it->bytes = json.size();
    it->record = std::move(r);
  } else {
    records_.push_back({std::move(r), json.size()});
  }
  bytes_ += json.size();
  while (bytes_ > max_bytes_ && records_.size() > 1) {
    bytes_ -= records_.front().bytes;
    records_.pop_front();
  }
}

uint64_t History::Add(HistoryRecord r) {
  std::lock_guard lock(mu_);
  r.id = next_id_++;
  uint64_t id = r.id;
  if (Status st = journal_.Append(HistoryToJson(r), false); !st.ok()) spdlog::error("history: {}", st.message());
  Put(std::move(r));
  // The log holds every version of every record: compact before it passes the cap.
  if (log_bytes_ > max_bytes_) CompactLocked();
  return id;
}

void History::AddAttempt(uint64_t id, HistoryAttempt a) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(records_.rbegin(), records_.rend(), [&](const Entry& e) { return e.record.id == id; });
  if (it == records_.rend()) return;
  HistoryRecord r = it->record;
  r.AddAttempt(std::move(a));
  if (Status st = journal_.Append(HistoryToJson(r), false); !st.ok()) spdlog::error("history: {}", st.message());
  Put(std::move(r));
  if (log_bytes_ > max_bytes_) CompactLocked();
}

std::vector<HistoryRecord> History::Query(const std::string& alertname, const std::string& receiver,
                                          size_t limit) const {
  std::vector<HistoryRecord> out;
  std::lock_guard lock(mu_);
  for (auto it = records_.rbegin(); it != records_.rend() && out.size() < limit; ++it) {
    const HistoryRecord& r = it->record;
    if (!receiver.empty() && r.receiver != receiver) continue;
    if (!alertname.empty()) {
      bool any = false;
      for (const auto& a : r.alerts) any = any || a.labels.Get("alertname") == alertname;
      if (!any) continue;
    }
    out.push_back(r);
  }
  return out;
}

size_t History::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

void History::CompactLocked() {
  std::vector<std::string> recs;
  recs.reserve(records_.size());
  for (const auto& e : records_) recs.push_back(HistoryToJson(e.record));
  if (Status st = journal_.Compact(recs); !st.ok()) spdlog::error("history snapshot: {}", st.message());
  log_bytes_ = 0;
}

void History::Maintenance() {
  std::lock_guard lock(mu_);
  int64_t cutoff = NowMs() - retention_ms_;
  while (!records_.empty() && records_.front().record.time < cutoff) {
    bytes_ -= records_.front().bytes;
    records_.pop_front();
  }
  CompactLocked();
}

}  // namespace sremon::alertmanager
