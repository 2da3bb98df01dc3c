#include "alertmanager/alertmanager.h"

#include <spdlog/spdlog.h>

#include "alertmanager/templates.h"
#include "obs/metrics.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::alertmanager {

namespace {
constexpr int64_t kMaintenanceMs = 15 * 60 * 1000;  // snapshots + GC (upstream: 15m)
}  // namespace

Alertmanager::Alertmanager(Options options) : options_(std::move(options)) {}

Alertmanager::~Alertmanager() { Stop(); }

Result<std::shared_ptr<Alertmanager::Runtime>> Alertmanager::Build(std::shared_ptr<const Config> config) {
  auto rt = std::make_shared<Runtime>();
  rt->config = config;
  auto tmpl = BuildTemplates(*config);
  if (!tmpl.ok()) return tmpl.status();
  rt->route = Route::Build(config->route);
  rt->inhibitor = std::make_unique<Inhibitor>(config->inhibit_rules, &store_);
  PipelineDeps deps;
  deps.config = config;
  deps.silences = &silences_;
  deps.inhibitor = rt->inhibitor.get();
  deps.nflog = &nflog_;
  deps.history = &history_;
  deps.external_url = options_.external_url;
  deps.tmpl = *tmpl;
  rt->pipeline = std::make_unique<Pipeline>(std::move(deps));
  rt->dispatcher = std::make_unique<Dispatcher>(rt->route.get(), &store_, rt->pipeline.get());
  return rt;
}

Status Alertmanager::Init() {
  start_ms_ = NowMs();
  auto config = LoadConfigFile(options_.config_file);
  if (!config.ok()) return config.status();
  std::string dir = options_.storage_path;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  SREMON_RETURN_IF_ERROR(silences_.Open(dir, options_.retention_ms));
  silences_.SetMaxSilences(options_.max_silences);
  SREMON_RETURN_IF_ERROR(nflog_.Open(dir));
  SREMON_RETURN_IF_ERROR(store_.Open(dir));
  SREMON_RETURN_IF_ERROR(history_.Open(dir, options_.retention_ms));
  auto rt = Build(*config);
  if (!rt.ok()) return rt.status();
  {
    std::lock_guard lock(mu_);
    runtime_ = *rt;
  }
  // State is loaded: only now may groups flush.
  runtime_->dispatcher->Start();
  ready_ = true;
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
  return Status::Ok();
}

Status Alertmanager::Reload() {
  std::lock_guard reload_lock(reload_mu_);
  static auto& reloads = prometheus::BuildCounter()
                             .Name("alertmanager_config_last_reload_successful_total")
                             .Help("Config reloads by result.")
                             .Register(obs::Registry());
  auto config = LoadConfigFile(options_.config_file);
  if (!config.ok()) {
    reloads.Add({{"result", "failure"}}).Increment();
    spdlog::error("reload failed, keeping the running config: {}", config.status().message());
    return config.status();
  }
  auto rt = Build(*config);
  if (!rt.ok()) {
    reloads.Add({{"result", "failure"}}).Increment();
    spdlog::error("reload failed, keeping the running config: {}", rt.status().message());
    return rt.status();
  }
  std::shared_ptr<Runtime> old = runtime();
  if (old) old->dispatcher->Stop();
  {
    std::lock_guard lock(mu_);
    runtime_ = *rt;
  }
  (*rt)->dispatcher->Start();
  reloads.Add({{"result", "success"}}).Increment();
  spdlog::info("configuration reloaded from {}", options_.config_file);
  return Status::Ok();
}

std::shared_ptr<Alertmanager::Runtime> Alertmanager::runtime() const {
  std::lock_guard lock(mu_);
  return runtime_;
}

void Alertmanager::MaintenanceLoop() {
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(kMaintenanceMs));
    if (stopping_) break;
    lock.unlock();
    store_.GarbageCollect();
    silences_.Maintenance();
    nflog_.Maintenance();
    history_.Maintenance();
    lock.lock();
  }
}

void Alertmanager::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  if (auto rt = runtime()) rt->dispatcher->Stop();
  // Leave compact snapshots behind so the next start reads less.
  if (ready_) {
    silences_.Maintenance();
    nflog_.Maintenance();
    history_.Maintenance();
  }
}

Result<Alertmanager::TestResult> Alertmanager::TestReceiver(const std::string& receiver) {
  auto rt = runtime();
  if (!rt) return Status::Unavailable("not ready");
  if (!rt->config->FindReceiver(receiver)) {
    return Status::NotFound(fmt::format("receiver {} is not in the configuration", Quote(receiver)));
  }
  TestResult res;
  int64_t now = NowMs();
  Alert a;
  a.labels = model::Labels({{"alertname", "SremonTestAlert"}, {"receiver", receiver}, {"severity", "none"}});
  a.annotations = {{"summary", "Test notification from sremon alertmanager"},
                   {"description", "Sent by test-receiver to check the route and templates of " + receiver}};
  a.starts_at = now;
  a.updated_at = now;
  // Group the synthetic alert the way the first route sending to this receiver would.
  const Route* route = rt->route.get();
  std::function<const Route*(const Route*)> find = [&](const Route* r) -> const Route* {
    if (r->opts().receiver == receiver) return r;
    for (const auto& c : r->routes()) {
      if (const Route* f = find(c.get())) return f;
    }
    return nullptr;
  };
  if (const Route* f = find(route)) route = f;
  model::Labels glabels = route->GroupLabels(a.labels);
  res.data = NotifyData{receiver, route->key() + ":" + LabelSetString(glabels), glabels, {a}, options_.external_url, now};
  res.results = rt->pipeline->SendTest(receiver, res.data);
  return res;
}

}  // namespace sremon::alertmanager
