// The demo app's fault switch, for incident drills: makes GET / fail with a probability and/or
// answer late. Set at start (flags) and at run time (POST/GET/DELETE /chaos).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace sremon::app {

struct FaultSettings {
  double error_rate = 0;   // probability in [0, 1] that GET / answers 500
  int64_t latency_ms = 0;  // added delay of GET /, in [0, kMaxFaultLatencyMs]

  bool operator==(const FaultSettings&) const = default;
};

inline constexpr int64_t kMaxFaultLatencyMs = 60'000;

// InvalidArgument naming the bad field when out of range.
Status ValidateFaultSettings(const FaultSettings& s);
// Parses a /chaos body: a JSON object with optional "error_rate" and "latency_ms"; a field that
// is absent is 0, so the switch always equals the last body posted. Unknown fields are errors
// (a typo must not silently leave the switch off).
Result<FaultSettings> ParseFaultSettings(std::string_view json);
// {"error_rate":0.2,"latency_ms":300}
std::string FaultSettingsJson(const FaultSettings& s);

// Thread-safe and lock-free: Decide() runs on every GET /.
class FaultSwitch {
 public:
  struct Decision {
    bool fail = false;
    std::chrono::milliseconds delay{0};
  };

  // REQUIRES: ValidateFaultSettings(s).ok() (callers validate user input first).
  void Set(const FaultSettings& s);
  FaultSettings Get() const;
  void Clear() { Set(FaultSettings{}); }
  // What to do with one request. The common case (switch off) draws no random number.
  Decision Decide();

 private:
  std::atomic<double> error_rate_{0};
  std::atomic<int64_t> latency_ms_{0};
};

}  // namespace sremon::app
