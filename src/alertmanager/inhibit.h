// Inhibition (inhibit/inhibit.go): a firing alert matching a rule's source matchers mutes the
// alerts matching its target matchers that share the `equal` labels. Source alerts come from
// the AlertStore; the per-rule source index is rebuilt when the store changes.
// Thread-safety: thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <vector>

#include "alertmanager/config.h"
#include "alertmanager/store.h"

namespace sremon::alertmanager {

class Inhibitor {
 public:
  Inhibitor(std::vector<InhibitRule> rules, const AlertStore* store) : rules_(std::move(rules)), store_(store) {}
  // The fingerprint of an alert inhibiting these labels, if any.
  std::optional<uint64_t> Mutes(const model::Labels& labels, int64_t now) const;

 private:
  struct Source {
    model::Labels labels;
    uint64_t fp;
    int64_t ends_at;
    bool both_sides;  // matches the rule's target matchers too
  };
  void Refresh() const;  // REQUIRES: mu_ held

  std::vector<InhibitRule> rules_;
  const AlertStore* store_;
  mutable std::mutex mu_;
  mutable uint64_t version_ = ~0ULL;                     // GUARDED_BY(mu_)
  mutable std::vector<std::vector<Source>> sources_;     // GUARDED_BY(mu_), per rule
};

}  // namespace sremon::alertmanager
