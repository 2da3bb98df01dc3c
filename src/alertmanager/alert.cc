#include "alertmanager/alert.h"

#include <fmt/format.h>

#include "util/time.h"

namespace sremon::alertmanager {

// Upstream's model.LabelSet.Fingerprint is FNV-1a over names and values with a 0xff separator:
// exactly model::Labels::Hash.
uint64_t Fingerprint(const model::Labels& labels) { return labels.Hash(); }

uint64_t Alert::Fingerprint() const { return alertmanager::Fingerprint(labels); }

std::string FingerprintString(uint64_t fp) { return fmt::format("{:016x}", fp); }

bool AlertLess(const Alert& a, const Alert& b) {
  for (std::string_view key : {"job", "instance"}) {
    bool ai = a.labels.Has(key), bi = b.labels.Has(key);
    if (!ai && !bi) continue;
    if (!ai) return false;
    if (!bi) return true;
    auto av = a.labels.Get(key), bv = b.labels.Get(key);
    if (av != bv) return av < bv;
  }
  return a.labels < b.labels;  // model.LabelSet.Before: sorted pairs, shorter first on a tie
}

Alert MergeAlerts(const Alert& a, const Alert& b) {
  // types.Alert.Merge: b is the update. Precondition: same fingerprint.
  const Alert* older = &a;
  const Alert* newer = &b;
  if (b.updated_at < a.updated_at) std::swap(older, newer);
  Alert res = *newer;
  int64_t now = NowMs();
  if (older->starts_at < newer->starts_at) res.starts_at = older->starts_at;
  if (newer->ResolvedAt(now)) {
    // The latest explicit end wins when both are resolved.
    if (older->ResolvedAt(now) && older->ends_at > newer->ends_at) {
      res.ends_at = older->ends_at;
      res.timeout = older->timeout;
    }
  } else if (older->ends_at > newer->ends_at && !older->timeout) {
    // A firing update keeps an older authoritative end time that is later.
    res.ends_at = older->ends_at;
    res.timeout = false;
  }
  return res;
}

std::string FormatGoTime(int64_t ms) {
  if (ms == 0) return "0001-01-01T00:00:00Z";
  std::string s = FormatRfc3339Ms(ms);  // ...SS.mmmZ
  // RFC3339Nano trims trailing zeros of the fraction, and the dot when nothing is left.
  size_t dot = s.find('.');
  if (dot != std::string::npos) {
    size_t end = s.size() - 1;  // 'Z'
    size_t last = end;
    while (last > dot + 1 && s[last - 1] == '0') --last;
    if (last == dot + 1) last = dot;
    s = s.substr(0, last) + "Z";
  }
  return s;
}

}  // namespace sremon::alertmanager
