// The dispatcher (dispatch/dispatch.go): routes every alert of the store to aggregation groups
// and flushes each group through the Pipeline — first after group_wait, then every
// group_interval. A scheduler thread finds due groups; a small worker pool runs the flushes
// (a flush may retry for up to a group_interval, so it must not hold up other groups).
// Thread-safety: Start/Stop from one thread; Groups() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "alertmanager/notify.h"
#include "alertmanager/route.h"
#include "alertmanager/store.h"
#include "util/time.h"

namespace sremon::alertmanager {

struct DispatcherOptions {
  int workers = 8;
  // The timers' time source. A manual clock moves without waking the scheduler, which sleeps
  // at most max_sleep_ms between looks at its groups: tests shorten it.
  Clock clock = NowMs;
  int64_t max_sleep_ms = 1000;
};

class Dispatcher {
 public:
  // REQUIRES: root, store and pipeline outlive the dispatcher.
  Dispatcher(const Route* root, AlertStore* store, Pipeline* pipeline, DispatcherOptions options = {});
  ~Dispatcher();
  // Subscribes to the store and takes in every alert it already holds.
  void Start();
  // Stops timers and cancels in-flight retries; waits for running flushes to return.
  void Stop();

  struct GroupView {
    const Route* route;
    std::string key;
    model::Labels labels;
    std::vector<Alert> alerts;
  };
  std::vector<GroupView> Groups() const;

 private:
  struct Group {
    const Route* route;
    std::string key;  // group key: route key ":" group labels
    model::Labels labels;
    std::map<uint64_t, Alert> alerts;
    int64_t next_flush = 0;
    bool has_flushed = false;
    bool flushing = false;
  };

  void ProcessAlert(const Alert& a);
  void SchedulerLoop();
  void WorkerLoop();
  void Flush(const std::shared_ptr<Group>& g);

  const Route* root_;
  AlertStore* store_;
  Pipeline* pipeline_;
  const DispatcherOptions options_;
  int subscription_ = -1;
  std::atomic<bool> stop_{false};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Group>> groups_;  // GUARDED_BY(mu_), by route ptr + key
  std::deque<std::shared_ptr<Group>> queue_;               // GUARDED_BY(mu_), groups due to flush
  std::condition_variable queue_cv_;
  std::thread scheduler_;
  std::vector<std::thread> workers_;
};

}  // namespace sremon::alertmanager
