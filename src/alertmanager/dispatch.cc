#include "alertmanager/dispatch.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "util/time.h"

namespace sremon::alertmanager {

namespace {
// Upstream's notify.MinTimeout: a flush may take at least this long (retries included).
constexpr int64_t kMinFlushTimeoutMs = 10000;
// Empty groups are dropped this often (dispatcher maintenance).
constexpr int64_t kMaintenanceMs = 30000;
}  // namespace

Dispatcher::Dispatcher(const Route* root, AlertStore* store, Pipeline* pipeline, DispatcherOptions options)
    : root_(root), store_(store), pipeline_(pipeline), options_(std::move(options)) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  subscription_ = store_->Subscribe([this](const Alert& a) { ProcessAlert(a); });
  for (const Alert& a : store_->List()) ProcessAlert(a);
  scheduler_ = std::thread([this] { SchedulerLoop(); });
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

void Dispatcher::Stop() {
  if (subscription_ >= 0) {
    store_->Unsubscribe(subscription_);
    subscription_ = -1;
  }
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  queue_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
}

void Dispatcher::ProcessAlert(const Alert& a) {
  int64_t now = options_.clock();
  bool wake = false;
  std::lock_guard lock(mu_);
  if (stop_) return;
  for (const Route* r : root_->Match(a.labels)) {
    model::Labels glabels = r->GroupLabels(a.labels);
    std::string key = r->key() + ":" + LabelSetString(glabels);
    std::string id = fmt::format("{}|{}", static_cast<const void*>(r), key);
    auto& g = groups_[id];
    if (!g) {
      g = std::make_shared<Group>();
      g->route = r;
      g->key = key;
      g->labels = glabels;
      g->next_flush = now + r->opts().group_wait;
      spdlog::debug("new aggregation group {}", key);
    }
    g->alerts[a.Fingerprint()] = a;
    // An alert that started long enough ago does not wait for group_wait before the first flush.
    if (!g->has_flushed && a.starts_at + r->opts().group_wait < now) g->next_flush = now;
    wake = true;
  }
  if (wake) cv_.notify_all();
}

void Dispatcher::SchedulerLoop() {
  int64_t next_maintenance = options_.clock() + kMaintenanceMs;
  std::unique_lock lock(mu_);
  while (!stop_) {
    int64_t now = options_.clock();
    int64_t wake_at = now + options_.max_sleep_ms;
    for (auto& [id, g] : groups_) {
      if (g->flushing) continue;
      if (g->next_flush <= now && !g->alerts.empty()) {
        g->flushing = true;
        g->has_flushed = true;
        g->next_flush = now + g->route->opts().group_interval;
        queue_.push_back(g);
        queue_cv_.notify_one();
      } else if (!g->alerts.empty()) {
        wake_at = std::min(wake_at, g->next_flush);
      }
    }
    if (now >= next_maintenance) {
      next_maintenance = now + kMaintenanceMs;
      std::erase_if(groups_, [](const auto& kv) { return kv.second->alerts.empty() && !kv.second->flushing; });
    }
    cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, wake_at - now)));
  }
}

void Dispatcher::WorkerLoop() {
  while (true) {
    std::shared_ptr<Group> g;
    {
      std::unique_lock lock(mu_);
      queue_cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      g = queue_.front();
      queue_.pop_front();
    }
    Flush(g);
    {
      std::lock_guard lock(mu_);
      g->flushing = false;
    }
    cv_.notify_all();
  }
}

void Dispatcher::Flush(const std::shared_ptr<Group>& g) {
  std::vector<Alert> alerts;
  int64_t now = options_.clock();
  {
    std::lock_guard lock(mu_);
    for (const auto& [fp, a] : g->alerts) {
      Alert copy = a;
      // Alerts do not resolve while the notification is in flight.
      if (!copy.ResolvedAt(now)) copy.ends_at = 0;
      alerts.push_back(std::move(copy));
    }
  }
  std::stable_sort(alerts.begin(), alerts.end(), AlertLess);
  const RouteOpts& opts = g->route->opts();
  // How long the flush may retry is real time, whatever clock the timers follow.
  int64_t deadline = NowMs() + std::max(opts.group_interval, kMinFlushTimeoutMs);
  if (!pipeline_->Notify(opts, g->key, g->labels, alerts, deadline, &stop_)) return;
  // Resolved alerts that were delivered leave the group, unless they changed meanwhile.
  std::lock_guard lock(mu_);
  for (const Alert& a : alerts) {
    if (!a.ResolvedAt(now)) continue;
    auto it = g->alerts.find(a.Fingerprint());
    if (it != g->alerts.end() && it->second.updated_at == a.updated_at) g->alerts.erase(it);
  }
}

std::vector<Dispatcher::GroupView> Dispatcher::Groups() const {
  std::vector<GroupView> out;
  std::lock_guard lock(mu_);
  for (const auto& [id, g] : groups_) {
    GroupView v{g->route, g->key, g->labels, {}};
    for (const auto& [fp, a] : g->alerts) v.alerts.push_back(a);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace sremon::alertmanager
