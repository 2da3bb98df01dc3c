// Alerts as Alertmanager holds them: labels, annotations, time range, and the helpers every
// stage shares (fingerprint, status at a time, Alertmanager's sort order, merge of updates).
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "model/labels.h"

namespace sremon::alertmanager {

using Annotations = std::map<std::string, std::string>;

// The time source of timers and states (group_wait, repeat_interval, silence and log expiry),
// in ms since the epoch: NowMs in production, a manual clock in unit tests (upstream injects
// a clock.Clock into silences and nflog the same way).
using Clock = std::function<int64_t()>;

struct Alert {
  model::Labels labels;
  Annotations annotations;
  std::string generator_url;
  int64_t starts_at = 0;   // ms since the epoch
  int64_t ends_at = 0;     // 0 = not set
  int64_t updated_at = 0;
  // The end time was filled in by us (now + resolve_timeout), so it is not authoritative.
  bool timeout = false;

  // Resolved at `now`: an end time that is not in the future.
  bool ResolvedAt(int64_t now) const { return ends_at != 0 && ends_at <= now; }
  uint64_t Fingerprint() const;
};

// Alertmanager's fingerprint: FNV-1a 64 over sorted labels, name 0xFF value 0xFF each.
uint64_t Fingerprint(const model::Labels& labels);
// "%016x".
std::string FingerprintString(uint64_t fp);

// Alertmanager's notification order: by job, then instance (present before absent), then labels.
bool AlertLess(const Alert& a, const Alert& b);

// Merges an update `b` into the stored alert `a` of the same fingerprint (types.Alert.Merge):
// the younger one gives labels/annotations, start is the earliest, end follows upstream rules.
Alert MergeAlerts(const Alert& a, const Alert& b);

// Go's time.Time JSON form at millisecond precision: "2024-01-02T03:04:05.678Z", with trailing
// zero fractions trimmed as RFC3339Nano does; 0 is Go's zero time "0001-01-01T00:00:00Z".
std::string FormatGoTime(int64_t ms);

}  // namespace sremon::alertmanager
