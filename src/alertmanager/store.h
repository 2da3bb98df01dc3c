// The alerts the alertmanager knows (provider/mem): merged on update, kept until resolved
// and garbage-collected, persisted to a Journal so a restart keeps them.
// Thread-safety: thread-safe; listeners are called in Put's thread, outside the store lock.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "alertmanager/alert.h"
#include "alertmanager/journal.h"

namespace sremon::alertmanager {

class AlertStore {
 public:
  using Listener = std::function<void(const Alert&)>;

  Status Open(const std::string& dir);
  // Merges each alert with the stored one when their activity ranges overlap, as upstream.
  void Put(const std::vector<Alert>& alerts);
  std::vector<Alert> List() const;
  // Removes resolved alerts (upstream GC) and compacts the journal.
  void GarbageCollect();
  // Called for every stored alert (after merge). Returns an id for Unsubscribe.
  int Subscribe(Listener l);
  void Unsubscribe(int id);
  // Bumped on every change: lets caches (the inhibitor) know when to rebuild.
  uint64_t version() const { return version_.load(); }

 private:
  mutable std::mutex mu_;
  std::map<uint64_t, Alert> alerts_;  // GUARDED_BY(mu_)
  Journal journal_;                   // GUARDED_BY(mu_)
  // Listeners run outside mu_ but under a shared lock of listeners_mu_, so that Unsubscribe()
  // returns only when no call into the listener is in flight (its owner may then be destroyed).
  mutable std::shared_mutex listeners_mu_;
  std::map<int, Listener> listeners_;  // GUARDED_BY(listeners_mu_)
  int next_listener_ = 0;
  std::atomic<uint64_t> version_{0};
};

std::string AlertToRecord(const Alert& a);
Result<Alert> AlertFromRecord(const std::string& text);

}  // namespace sremon::alertmanager
