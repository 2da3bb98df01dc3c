#include "alertmanager/silences.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "alertmanager/record.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::alertmanager {

namespace {

bool IsRegex(const model::Matcher& m) {
  return m.type() == model::MatchType::kRegexMatch || m.type() == model::MatchType::kRegexNoMatch;
}
bool IsEqual(const model::Matcher& m) {
  return m.type() == model::MatchType::kEqual || m.type() == model::MatchType::kRegexMatch;
}

nlohmann::json ToJson(const Silence& s) {
  nlohmann::json ms = nlohmann::json::array();
  for (const auto& m : s.matchers) {
    ms.push_back({{"name", m.name()}, {"value", m.value()}, {"isRegex", IsRegex(m)}, {"isEqual", IsEqual(m)}});
  }
  return {{"id", s.id},
          {"matchers", ms},
          {"startsAt", s.starts_at},
          {"endsAt", s.ends_at},
          {"updatedAt", s.updated_at},
          {"createdBy", s.created_by},
          {"comment", s.comment}};
}

Result<Silence> FromJson(const std::string& text) {
  return FromRecord<Silence>(text, "silence", [](const nlohmann::json& j) -> Result<Silence> {
    Silence s;
    s.id = j.at("id").get<std::string>();
    for (const auto& m : j.at("matchers")) {
      auto matcher = MatcherFromApi(m.at("name").get<std::string>(), m.at("value").get<std::string>(),
                                    m.at("isRegex").get<bool>(), m.at("isEqual").get<bool>());
      if (!matcher.ok()) return matcher.status();
      s.matchers.push_back(*matcher);
    }
    s.starts_at = j.at("startsAt").get<int64_t>();
    s.ends_at = j.at("endsAt").get<int64_t>();
    s.updated_at = j.at("updatedAt").get<int64_t>();
    s.created_by = j.at("createdBy").get<std::string>();
    s.comment = j.at("comment").get<std::string>();
    return s;
  });
}

bool SameMatchers(const Matchers& a, const Matchers& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name() != b[i].name() || a[i].value() != b[i].value() || a[i].type() != b[i].type()) return false;
  }
  return true;
}

Status Validate(const Silence& s) {
  if (s.matchers.empty()) return Status::InvalidArgument("at least one matcher required");
  bool all_empty = true;
  for (const auto& m : s.matchers) all_empty = all_empty && m.MatchesEmpty();
  if (all_empty) return Status::InvalidArgument("at least one matcher must not match the empty string");
  if (s.starts_at == 0) return Status::InvalidArgument("invalid zero start timestamp");
  if (s.ends_at == 0) return Status::InvalidArgument("invalid zero end timestamp");
  if (s.ends_at < s.starts_at) return Status::InvalidArgument("end time must not be before start time");
  return Status::Ok();
}

}  // namespace

SilenceState StateOf(const Silence& s, int64_t now) {
  if (s.starts_at > now) return SilenceState::kPending;
  // Upstream compares nanoseconds, so an end equal to "now" is already past in practice; with
  // milliseconds, a silence expired by DELETE must not read as active in the same millisecond.
  if (s.ends_at <= now) return SilenceState::kExpired;
  return SilenceState::kActive;
}

const char* SilenceStateName(SilenceState s) {
  switch (s) {
    case SilenceState::kActive: return "active";
    case SilenceState::kPending: return "pending";
    case SilenceState::kExpired: return "expired";
  }
  return "active";
}

Result<model::Matcher> MatcherFromApi(const std::string& name, const std::string& value, bool is_regex,
                                      bool is_equal) {
  if (!model::IsValidLabelName(name)) return Status::InvalidArgument(fmt::format("invalid label name {}", Quote(name)));
  model::MatchType t = is_regex ? (is_equal ? model::MatchType::kRegexMatch : model::MatchType::kRegexNoMatch)
                                : (is_equal ? model::MatchType::kEqual : model::MatchType::kNotEqual);
  auto m = model::Matcher::Make(t, name, value);
  if (!m.ok()) {
    return Status::InvalidArgument(
        fmt::format("invalid regular expression {}: error parsing regexp: {}", Quote(value), m.status().message()));
  }
  return m;
}

std::string NewUuid() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48,
                     b & 0xffffffffffffULL);
}

Status Silences::Open(const std::string& dir, int64_t retention_ms) {
  std::lock_guard lock(mu_);
  retention_ms_ = retention_ms;
  Status st = journal_.Open(dir, "silences", SkipBadRecords("silence", FromJson, [this](Silence&& s) {
                              silences_[s.id] = std::move(s);
                            }));
  if (!st.ok()) return st;
  spdlog::info("loaded {} silences", silences_.size());
  return Status::Ok();
}

Status Silences::Persist(const Silence& s, bool sync) { return journal_.Append(ToJson(s).dump(), sync); }

Result<std::string> Silences::Set(Silence s) {
  std::lock_guard lock(mu_);
  int64_t now = clock_();
  auto it = s.id.empty() ? silences_.end() : silences_.find(s.id);
  if (!s.id.empty() && it == silences_.end()) return Status::NotFound("silence not found");
  if (Status v = Validate(s); !v.ok()) return Status::InvalidArgument("silence invalid: " + v.message());
  if (it != silences_.end()) {
    const Silence& prev = it->second;
    bool can_update = SameMatchers(prev.matchers, s.matchers);
    switch (StateOf(prev, now)) {
      case SilenceState::kActive:
        can_update = can_update && s.starts_at == prev.starts_at && s.ends_at >= now;
        break;
      case SilenceState::kPending:
        can_update = can_update && s.starts_at >= now;
        break;
      case SilenceState::kExpired:
        can_update = false;
    }
    if (can_update) {
      s.updated_at = now;
      SREMON_RETURN_IF_ERROR(Persist(s, true));
      it->second = s;
      return s.id;
    }
  }
  // A new silence, or one replacing an old one (which stays, expired): both need room.
  if (max_silences_ > 0 && static_cast<int64_t>(silences_.size()) + 1 > max_silences_) {
    return Status::ResourceExhausted(
        fmt::format("exceeded maximum number of silences: {} (limit: {})", silences_.size(), max_silences_));
  }
  if (it != silences_.end()) {
    const Silence& prev = it->second;
    if (StateOf(prev, now) != SilenceState::kExpired) {
      Silence old = prev;
      if (StateOf(old, now) == SilenceState::kPending) old.starts_at = now;
      old.ends_at = now;
      old.updated_at = now;
      SREMON_RETURN_IF_ERROR(Persist(old, false));
      it->second = old;
    }
  }
  s.id = NewUuid();
  if (s.starts_at < now) s.starts_at = now;
  s.updated_at = now;
  SREMON_RETURN_IF_ERROR(Persist(s, true));
  silences_[s.id] = s;
  return s.id;
}

void Silences::SetMaxSilences(int64_t max) {
  std::lock_guard lock(mu_);
  max_silences_ = max;
}

Status Silences::Expire(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return Status::NotFound("silence not found");
  int64_t now = clock_();
  Silence s = it->second;
  switch (StateOf(s, now)) {
    case SilenceState::kExpired:
      return Status::InvalidArgument(fmt::format("silence {} already expired", id));
    case SilenceState::kActive:
      s.ends_at = now;
      break;
    case SilenceState::kPending:
      s.starts_at = now;
      s.ends_at = now;
      break;
  }
  s.updated_at = now;
  SREMON_RETURN_IF_ERROR(Persist(s, true));
  it->second = s;
  return Status::Ok();
}

Result<Silence> Silences::Get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return Status::NotFound("silence not found");
  return it->second;
}

std::vector<Silence> Silences::List() const {
  std::vector<Silence> out;
  std::lock_guard lock(mu_);
  for (const auto& [id, s] : silences_) out.push_back(s);
  return out;
}

std::vector<std::string> Silences::Mutes(const model::Labels& labels, int64_t now) const {
  std::vector<std::string> ids;
  std::lock_guard lock(mu_);
  for (const auto& [id, s] : silences_) {
    if (StateOf(s, now) == SilenceState::kActive && MatchesAll(s.matchers, labels)) ids.push_back(id);
  }
  return ids;
}

void Silences::Maintenance() {
  std::lock_guard lock(mu_);
  int64_t now = clock_();
  for (auto it = silences_.begin(); it != silences_.end();) {
    if (it->second.ends_at + retention_ms_ < now) {
      it = silences_.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<std::string> records;
  for (const auto& [id, s] : silences_) records.push_back(ToJson(s).dump());
  if (Status st = journal_.Compact(records); !st.ok()) spdlog::error("silences snapshot: {}", st.message());
}

}  // namespace sremon::alertmanager
