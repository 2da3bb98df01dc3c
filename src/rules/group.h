// A rule group: its rules evaluated in order at one timestamp per iteration, every interval,
// aligned like Prometheus (offset within the interval by a hash of the group), never
// overlapping itself (iterations that could not start in time are counted as missed).
// Thread-safety: Start/Stop/TakeStateFrom from the manager's thread; Eval from the group's
// thread (or a test); status()/rules() readable from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rules/notifier.h"
#include "rules/rule.h"
#include "rules/rule_file.h"

namespace sremon::rules {

struct GroupOptions {
  int64_t default_interval_ms = 60000;  // -evaluationInterval
  int64_t resend_delay_ms = 0;          // -rule.resendDelay
  model::Labels external_labels;        // -external.label: added to sent alerts
  // Also add external_labels to every written series (recording results, ALERTS,
  // ALERTS_FOR_STATE) and restore only series carrying them, as vmalert does, so that several
  // rulers can share one storage. Off for promtool-style unit tests (Prometheus adds external
  // labels only on the way out, so ALERTS queried in a test have none).
  bool label_written_series = false;
  std::string external_url;             // -external.url: base of generatorURL
  QueryFn query;                        // the datasource
  std::function<void(std::vector<AlertMessage>)> notify;  // may be empty
  std::function<void(std::vector<OutSample>)> write;      // may be empty
  QueryFn restore_query;                // ALERTS_FOR_STATE source; empty = no restore
  int64_t restore_lookback_ms = 3600 * 1000;
};

struct GroupStatus {
  int64_t last_eval_ms = 0;
  double eval_seconds = 0;
  uint64_t iterations = 0;
  uint64_t missed = 0;
};

class Group {
 public:
  Group(GroupSpec spec, GroupOptions options);
  ~Group();

  const GroupSpec& spec() const { return spec_; }
  int64_t interval_ms() const { return interval_ms_; }
  // Identifies the group across reloads: file and name.
  std::string Key() const { return spec_.file + '\x00' + spec_.name; }

  // Starts the evaluation thread: restore (once), then aligned iterations.
  void Start();
  void Stop();

  // One iteration at ts: evaluate every rule, write samples, send alerts.
  void Eval(int64_t ts);
  // Reads ALERTS_FOR_STATE at `now` and hands active_at values to the alerting rules.
  void Restore(int64_t now);
  // Adds the external labels a written series does not have already (label_written_series).
  void AddExternalLabels(std::vector<OutSample>* out) const;
  // Keeps the state of rules whose definition did not change (reload).
  void TakeStateFrom(Group& old);
  // The first aligned evaluation time at or before now (Prometheus Group.EvalTimestamp).
  int64_t EvalTimestamp(int64_t now) const;

  const std::vector<std::unique_ptr<Rule>>& rules() const { return rules_; }
  GroupStatus status() const;

 private:
  void Loop();
  AlertMessage ToMessage(const Alert& a, const RuleSpec& rule) const;

  GroupSpec spec_;
  GroupOptions options_;
  int64_t interval_ms_;
  uint64_t hash_;
  std::vector<std::unique_ptr<Rule>> rules_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  bool skip_restore_ = false;  // state came from the previous configuration
  GroupStatus status_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace sremon::rules
