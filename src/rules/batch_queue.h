// A bounded queue drained in batches by one sender thread: what the notifier (alerts to
// Alertmanager) and the remote writer (rule results over remote_write) have in common.
// Push() drops the oldest items beyond the capacity (newer ones carry the current state); the
// thread hands at most max_batch items at a time to `deliver`, either as soon as there are some
// (linger 0) or every `linger`; Stop() lets it deliver what is queued for at most `drain`.
// Thread-safety: Push(), Backoff() and the counters from any thread; `deliver` runs on the
// sender thread only.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <mutex>
#include <thread>
#include <vector>

namespace sremon::rules {

template <typename T>
class BatchQueue {
 public:
  struct Options {
    size_t capacity = 10000;
    size_t max_batch = 64;
    std::chrono::milliseconds linger{0};
  };
  using Deliver = std::function<void(std::vector<T> batch)>;
  using OnDrop = std::function<void(uint64_t n)>;

  BatchQueue(Options options, Deliver deliver, OnDrop on_drop)
      : options_(options), deliver_(std::move(deliver)), on_drop_(std::move(on_drop)) {}
  ~BatchQueue() { Stop(std::chrono::milliseconds(0)); }

  void Start() {
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  }
  void Stop(std::chrono::milliseconds drain) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ && !thread_.joinable()) return;
      stopping_ = true;
      drain_deadline_ = std::chrono::steady_clock::now() + drain;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  void Push(std::vector<T> items) {
    if (items.empty()) return;
    uint64_t dropped = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& item : items) queue_.push_back(std::move(item));
      while (queue_.size() > options_.capacity) {
        queue_.pop_front();
        ++dropped;
      }
    }
    if (dropped) Dropped(dropped);
    cv_.notify_one();
  }
  // For `deliver`'s retries: waits d, cut short when a stop's drain time is over. False when
  // the sender should give up because it is.
  bool Backoff(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mu_);
    auto over = [&] { return stopping_ && std::chrono::steady_clock::now() >= drain_deadline_; };
    auto until = std::chrono::steady_clock::now() + d;
    if (stopping_) until = std::min(until, drain_deadline_);
    cv_.wait_until(lock, until, over);
    return !over();
  }
  // Counts items lost downstream (a batch given up after its retries), with the queue's drops.
  void Dropped(uint64_t n) {
    dropped_ += n;
    if (on_drop_) on_drop_(n);
  }
  uint64_t dropped() const { return dropped_; }

 private:
  void Loop() {
    while (true) {
      std::vector<T> batch;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (options_.linger.count() > 0) {
          cv_.wait_for(lock, options_.linger, [&] { return stopping_; });
        } else {
          cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        }
        if (stopping_ && (queue_.empty() || std::chrono::steady_clock::now() >= drain_deadline_)) return;
        size_t n = std::min(queue_.size(), options_.max_batch);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + n));
        queue_.erase(queue_.begin(), queue_.begin() + n);
      }
      if (!batch.empty()) deliver_(std::move(batch));
    }
  }

  const Options options_;
  const Deliver deliver_;
  const OnDrop on_drop_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> queue_;   // GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point drain_deadline_;  // GUARDED_BY(mu_)
  std::atomic<uint64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace sremon::rules
