#include "alertmanager/inhibit.h"

namespace sremon::alertmanager {

void Inhibitor::Refresh() const {
  uint64_t v = store_->version();
  if (v == version_) return;
  version_ = v;
  sources_.assign(rules_.size(), {});
  for (const Alert& a : store_->List()) {
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (MatchesAll(rules_[i].source, a.labels)) {
        sources_[i].push_back({a.labels, a.Fingerprint(), a.ends_at, MatchesAll(rules_[i].target, a.labels)});
      }
    }
  }
}

std::optional<uint64_t> Inhibitor::Mutes(const model::Labels& labels, int64_t now) const {
  if (rules_.empty()) return std::nullopt;
  std::lock_guard lock(mu_);
  Refresh();
  for (size_t i = 0; i < rules_.size(); ++i) {
    const InhibitRule& r = rules_[i];
    if (!MatchesAll(r.target, labels)) continue;
    // An alert matching both sides cannot be inhibited by alerts that also match both sides.
    bool exclude_two_sided = MatchesAll(r.source, labels);
    for (const Source& s : sources_[i]) {
      if (s.ends_at != 0 && s.ends_at <= now) continue;  // resolved
      bool equal = true;
      for (const auto& n : r.equal) equal = equal && s.labels.Get(n) == labels.Get(n);
      if (!equal) continue;
      if (exclude_two_sided && s.both_sides) continue;
      return s.fp;
    }
  }
  return std::nullopt;
}

}  // namespace sremon::alertmanager
