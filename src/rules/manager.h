// Loads rule files into groups and keeps them running; reloads keep the state of unchanged
// rules, and an invalid configuration keeps the old one (reported by last_reload_ok()).
// Thread-safety: all methods may be called from any thread (Load is serialized).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "obs/metrics.h"
#include "rules/group.h"
#include "rules/rule_file.h"

namespace sremon::rules {

struct ManagerOptions {
  std::vector<std::string> rule_patterns;  // -rule (globs)
  GroupOptions group;
  ParseOptions parse;
  bool start_groups = true;  // false: load only (tests drive Group::Eval themselves)
};

class Manager {
 public:
  explicit Manager(ManagerOptions options);
  ~Manager();

  // Reads every file again and swaps the configuration in. On error the running groups stay.
  Status Load();
  void Stop();

  std::vector<std::shared_ptr<Group>> Groups() const;
  bool last_reload_ok() const;
  std::string last_reload_error() const;

 private:
  ManagerOptions options_;
  std::mutex load_mu_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Group>> groups_;  // GUARDED_BY(mu_)
  bool last_ok_ = true;
  std::string last_error_;
  prometheus::Gauge* reload_ok_metric_;
  prometheus::Gauge* reload_time_metric_;
  prometheus::Counter* reloads_metric_;
  prometheus::Counter* reload_errors_metric_;
};

// Same definition (interval, limit, labels, rules): the running group can stay as it is.
bool SameGroupSpec(const GroupSpec& a, const GroupSpec& b);

}  // namespace sremon::rules
