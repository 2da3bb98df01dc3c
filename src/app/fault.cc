#include "app/fault.h"

#include <cmath>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/json.h"
#include "util/strings.h"

namespace sremon::app {

Status ValidateFaultSettings(const FaultSettings& s) {
  if (!(s.error_rate >= 0 && s.error_rate <= 1)) {  // also rejects NaN
    return Status::InvalidArgument(fmt::format("error_rate must be between 0 and 1, got {}", s.error_rate));
  }
  if (s.latency_ms < 0 || s.latency_ms > kMaxFaultLatencyMs) {
    return Status::InvalidArgument(
        fmt::format("latency_ms must be between 0 and {}, got {}", kMaxFaultLatencyMs, s.latency_ms));
  }
  return Status::Ok();
}

Result<FaultSettings> ParseFaultSettings(std::string_view json) {
  auto parsed = ParseJson(json);
  if (!parsed.ok()) return Status::InvalidArgument("body is not valid JSON: " + parsed.status().message());
  const nlohmann::json& doc = *parsed;
  if (!doc.is_object()) return Status::InvalidArgument("body must be a JSON object like {\"error_rate\":0.2,\"latency_ms\":300}");
  FaultSettings s;
  for (const auto& [key, value] : doc.items()) {
    if (key == "error_rate") {
      if (!value.is_number()) return Status::InvalidArgument("error_rate must be a number");
      s.error_rate = value.get<double>();
    } else if (key == "latency_ms") {
      if (!value.is_number()) return Status::InvalidArgument("latency_ms must be a number");
      double ms = value.get<double>();
      if (!std::isfinite(ms) || ms < 0 || ms > static_cast<double>(kMaxFaultLatencyMs)) {
        return Status::InvalidArgument(
            fmt::format("latency_ms must be between 0 and {}, got {}", kMaxFaultLatencyMs, FormatFloatG(ms)));
      }
      s.latency_ms = static_cast<int64_t>(ms);
    } else {
      return Status::InvalidArgument(
          fmt::format("unknown field {}: expected error_rate and/or latency_ms", Quote(key)));
    }
  }
  SREMON_RETURN_IF_ERROR(ValidateFaultSettings(s));
  return s;
}

std::string FaultSettingsJson(const FaultSettings& s) {
  std::string out = "{\"error_rate\":";
  AppendFloatG(&out, s.error_rate);
  out += ",\"latency_ms\":" + std::to_string(s.latency_ms) + "}";
  return out;
}

void FaultSwitch::Set(const FaultSettings& s) {
  error_rate_.store(s.error_rate, std::memory_order_relaxed);
  latency_ms_.store(s.latency_ms, std::memory_order_relaxed);
}

FaultSettings FaultSwitch::Get() const {
  return {error_rate_.load(std::memory_order_relaxed), latency_ms_.load(std::memory_order_relaxed)};
}

FaultSwitch::Decision FaultSwitch::Decide() {
  Decision d;
  double rate = error_rate_.load(std::memory_order_relaxed);
  d.delay = std::chrono::milliseconds(latency_ms_.load(std::memory_order_relaxed));
  if (rate > 0) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    d.fail = rate >= 1 || std::uniform_real_distribution<double>(0, 1)(rng) < rate;
  }
  return d;
}

}  // namespace sremon::app
