#include "scrape/manager.h"

#include "http/page.h"

#include <sys/stat.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "http/page.h"
#include "obs/metrics.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::scrape {
namespace {

struct ReloadMetrics {
  prometheus::Gauge& vm_ok;
  prometheus::Gauge& prom_ok;
  prometheus::Gauge& ok_time;
  prometheus::Counter& reloads;
  prometheus::Counter& errors;
  prometheus::Gauge& targets_up;
  prometheus::Gauge& targets_down;
};

ReloadMetrics& Metrics() {
  static ReloadMetrics m = [] {
    auto& reg = obs::Registry();
    auto gauge = [&](const char* name, const char* help) -> prometheus::Family<prometheus::Gauge>& {
      return prometheus::BuildGauge().Name(name).Help(help).Register(reg);
    };
    auto& targets = gauge("vm_promscrape_targets", "Scrape targets by status.");
    return ReloadMetrics{
        gauge("vm_promscrape_config_last_reload_successful", "1 when the last -promscrape.config reload worked.").Add({}),
        gauge("prometheus_config_last_reload_successful", "1 when the last scrape config reload worked.").Add({}),
        gauge("vm_promscrape_config_last_reload_success_timestamp_seconds", "Time of the last successful reload.")
            .Add({}),
        prometheus::BuildCounter().Name("vm_promscrape_config_reloads_total").Help("Config reloads.").Register(reg).Add({}),
        prometheus::BuildCounter()
            .Name("vm_promscrape_config_reloads_errors_total")
            .Help("Config reloads that failed (the old config kept running).")
            .Register(reg)
            .Add({}),
        targets.Add({{"status", "up"}}),
        targets.Add({{"status", "down"}}),
    };
  }();
  return m;
}

void SetReloadResult(bool ok) {
  auto& m = Metrics();
  m.vm_ok.Set(ok ? 1 : 0);
  m.prom_ok.Set(ok ? 1 : 0);
  if (ok) m.ok_time.Set(NowMs() / 1000.0);
}

int64_t MtimeNs(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

nlohmann::json LabelsJson(const model::Labels& ls) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& l : ls) j[l.name] = l.value;
  return j;
}

std::string LoopKey(const ScrapeConfig& job, const Target& t) {
  return job.fingerprint + "\n" + t.url + "\n" + t.labels.ToString();
}

}  // namespace

Manager::Manager(storage::Appendable* appendable, ManagerOptions options)
    : appendable_(appendable), options_(std::move(options)) {}

Manager::~Manager() { Stop(); }

Status Manager::Start() {
  if (!options_.config_path.empty()) {
    auto cfg = LoadConfig(options_.config_path, options_.strict_parse);
    if (!cfg.ok()) {
      SetReloadResult(false);
      return cfg.status();
    }
    ApplyConfig(std::move(cfg).value());
  }
  SetReloadResult(true);
  watcher_ = std::thread([this] { WatchFiles(); });
  return Status::Ok();
}

Status Manager::Reload() {
  Metrics().reloads.Increment();
  if (options_.config_path.empty()) return Status::Ok();
  auto cfg = LoadConfig(options_.config_path, options_.strict_parse);
  if (!cfg.ok()) {
    Metrics().errors.Increment();
    SetReloadResult(false);
    spdlog::error("cannot reload -promscrape.config, keeping the previous one: {}", cfg.status().message());
    return cfg.status();
  }
  ApplyConfig(std::move(cfg).value());
  SetReloadResult(true);
  spdlog::info("reloaded -promscrape.config={}: {} targets", options_.config_path, ActiveTargetCount());
  return Status::Ok();
}

void Manager::ApplyConfig(Config config) {
  std::vector<std::unique_ptr<ScrapeLoop>> to_stop;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_) return;
    config_ = std::move(config);
    jobs_.clear();
    for (const auto& j : config_.scrape_configs) jobs_.push_back(std::make_shared<const ScrapeConfig>(j));
    RefreshFileSdLocked();
    SyncLocked(&to_stop);
  }
  for (auto& loop : to_stop) loop->SignalStop();
  for (auto& loop : to_stop) loop->Stop(/*write_stale=*/true);
}

bool Manager::RefreshFileSdLocked() {
  bool changed = false;
  std::map<std::string, FileSdState> next;
  for (const auto& job : jobs_) {
    for (const auto& sd : job->file_sd_configs) {
      for (const auto& f : sd.files) {
        std::string path = config_.ResolvePath(f);
        if (next.count(path)) continue;
        FileSdState st;
        auto old = file_sd_.find(path);
        if (old != file_sd_.end()) st = old->second;
        int64_t mtime = MtimeNs(path);
        if (old == file_sd_.end() || mtime != st.mtime_ns) {
          changed = true;
          st.mtime_ns = mtime;
          auto groups = ReadFileSd(path);
          if (groups.ok()) {
            st.groups = std::move(groups).value();
          } else if (mtime >= 0) {
            // A half-written or broken file keeps the targets it had (Prometheus does the same).
            spdlog::warn("file_sd: {}", groups.status().message());
          } else {
            st.groups.clear();
          }
        }
        next[path] = std::move(st);
      }
    }
  }
  if (next.size() != file_sd_.size()) changed = true;
  file_sd_ = std::move(next);
  return changed;
}

void Manager::SyncLocked(std::vector<std::unique_ptr<ScrapeLoop>>* to_stop) {
  std::map<std::string, std::pair<std::shared_ptr<const ScrapeConfig>, Target>> want;
  dropped_.clear();
  for (const auto& job : jobs_) {
    std::vector<Target> active;
    std::vector<model::Labels> dropped;
    for (const auto& sc : job->static_configs) BuildTargets(*job, TargetGroup{sc.targets, sc.labels, ""}, &active, &dropped);
    for (const auto& sd : job->file_sd_configs) {
      for (const auto& f : sd.files) {
        auto it = file_sd_.find(config_.ResolvePath(f));
        if (it == file_sd_.end()) continue;
        for (const auto& g : it->second.groups) BuildTargets(*job, g, &active, &dropped);
      }
    }
    for (auto& t : active) {
      std::string key = LoopKey(*job, t);
      want.emplace(std::move(key), std::make_pair(job, std::move(t)));
    }
    for (auto& d : dropped) dropped_.emplace_back(job->job_name, std::move(d));
  }
  for (auto it = loops_.begin(); it != loops_.end();) {
    if (!want.count(it->first)) {
      to_stop->push_back(std::move(it->second));
      it = loops_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [key, jt] : want) {
    if (loops_.count(key)) continue;
    auto loop = std::make_unique<ScrapeLoop>(jt.first, std::move(jt.second), config_.external_labels, appendable_);
    loop->Start();
    loops_.emplace(key, std::move(loop));
  }
}

void Manager::WatchFiles() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stopped_) {
    cv_.wait_for(l, std::chrono::milliseconds(options_.file_sd_check_ms), [this] { return stopped_; });
    if (stopped_) break;
    std::vector<std::unique_ptr<ScrapeLoop>> to_stop;
    if (RefreshFileSdLocked()) SyncLocked(&to_stop);
    size_t up = 0, down = 0;
    for (const auto& [k, loop] : loops_) {
      std::string h = loop->GetStatus().health;
      if (h == "up") ++up;
      if (h == "down") ++down;
    }
    Metrics().targets_up.Set(static_cast<double>(up));
    Metrics().targets_down.Set(static_cast<double>(down));
    if (!to_stop.empty()) {
      l.unlock();
      for (auto& loop : to_stop) loop->SignalStop();
      for (auto& loop : to_stop) loop->Stop(/*write_stale=*/true);
      l.lock();
    }
  }
}

void Manager::Stop() {
  std::map<std::string, std::unique_ptr<ScrapeLoop>> loops;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopped_ = true;
    loops = std::move(loops_);
    loops_.clear();
  }
  cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  for (auto& [k, loop] : loops) loop->SignalStop();
  for (auto& [k, loop] : loops) loop->Stop(/*write_stale=*/false);
}

size_t Manager::ActiveTargetCount() const {
  std::lock_guard<std::mutex> l(mu_);
  return loops_.size();
}

std::string Manager::TargetsJson(std::string_view state) const {
  nlohmann::json active = nlohmann::json::array();
  nlohmann::json dropped = nlohmann::json::array();
  std::lock_guard<std::mutex> l(mu_);
  bool want_active = state.empty() || state == "active" || state == "any";
  bool want_dropped = state.empty() || state == "dropped" || state == "any";
  if (want_active) {
    for (const auto& [key, loop] : loops_) {
      TargetStatus st = loop->GetStatus();
      const ScrapeConfig& job = loop->job();
      active.push_back({
          {"discoveredLabels", LabelsJson(loop->target().discovered)},
          {"labels", LabelsJson(loop->target().labels)},
          {"scrapePool", job.job_name},
          {"scrapeUrl", loop->target().url},
          {"globalUrl", loop->target().url},
          {"lastError", st.last_error},
          {"lastScrape", st.last_scrape_ms ? FormatRfc3339Ms(st.last_scrape_ms) : "0001-01-01T00:00:00Z"},
          {"lastScrapeDuration", st.last_duration_s},
          {"lastSamplesScraped", st.last_samples},
          {"health", st.health},
          {"scrapeInterval", FormatDurationMs(job.scrape_interval_ms)},
          {"scrapeTimeout", FormatDurationMs(job.scrape_timeout_ms)},
      });
    }
  }
  if (want_dropped) {
    for (const auto& [job, labels] : dropped_) {
      dropped.push_back({{"discoveredLabels", LabelsJson(labels)}, {"scrapePool", job}});
    }
  }
  nlohmann::json data = {{"activeTargets", active}, {"droppedTargets", dropped}};
  return nlohmann::json({{"status", "success"}, {"data", data}}).dump();
}

std::string Manager::TargetsHtml() const {
  std::string h = http::PageStart("storage", "Targets", {{"home", "/"}, {"targets", "/targets"}, {"flags", "/flags"}},
                                   "pre{margin:0;max-width:60em}") +
                  "<h1>Targets</h1>";
  std::lock_guard<std::mutex> l(mu_);
  std::map<std::string, std::vector<const ScrapeLoop*>> by_job;
  for (const auto& [k, loop] : loops_) by_job[loop->job().job_name].push_back(loop.get());
  if (by_job.empty()) h += "<p>No targets.</p>";
  for (const auto& [job, loops] : by_job) {
    size_t up = 0;
    for (const auto* loop : loops) up += loop->GetStatus().health == "up";
    h += fmt::format("<h2>{} ({}/{} up)</h2>", HtmlEscape(job), up, loops.size());
    h += "<table><tr><th>Endpoint</th><th>State</th><th>Labels</th><th>Last scrape</th><th>Duration</th>"
         "<th>Error</th><th>Recent failures</th></tr>";
    for (const auto* loop : loops) {
      TargetStatus st = loop->GetStatus();
      std::string labels;
      for (const auto& lb : loop->target().labels) labels += HtmlEscape(lb.name + "=\"" + lb.value + "\"") + "<br>";
      std::string failures;
      for (const auto& f : st.failures) {
        failures += fmt::format("<div><b>{}</b> [{}] {}", FormatRfc3339Ms(f.time_ms), HtmlEscape(f.phase),
                                HtmlEscape(f.error));
        if (!f.excerpt.empty()) failures += "<pre>" + HtmlEscape(f.excerpt) + "</pre>";
        failures += "</div>";
      }
      h += fmt::format(
          "<tr><td><a href=\"{0}\">{0}</a></td><td class=\"{1}\">{1}</td><td>{2}</td><td>{3}</td><td>{4:.3f}s</td>"
          "<td>{5}</td><td>{6}</td></tr>",
          HtmlEscape(loop->target().url), HtmlEscape(st.health), labels,
          st.last_scrape_ms ? FormatRfc3339Ms(st.last_scrape_ms) : "never", st.last_duration_s,
          HtmlEscape(st.last_error), failures);
    }
    h += "</table>";
  }
  return h + http::PageEnd();
}

std::map<std::string, std::vector<storage::MetricMetadata>> Manager::Metadata() const {
  std::map<std::string, std::vector<storage::MetricMetadata>> out;
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [k, loop] : loops_) {
    for (auto& [family, md] : loop->Metadata()) {
      auto& v = out[family];
      bool dup = false;
      for (const auto& e : v) dup |= e.type == md.type && e.help == md.help && e.unit == md.unit;
      if (!dup) v.push_back(md);
    }
  }
  return out;
}

std::string Manager::ConfigYaml() const {
  std::lock_guard<std::mutex> l(mu_);
  return config_.masked_yaml;
}

void Manager::RegisterRoutes(http::Server& server) {
  for (const char* verb : http::kReadMethods) {
    server.Route(verb, "/api/v1/targets", [this](http::Request& req, http::Response& resp) {
      resp.SetJson(200, TargetsJson(req.Param("state")));
    });
  }
  server.Route("GET", "/targets", [this](http::Request&, http::Response& resp) { resp.SetHtml(200, TargetsHtml()); });
}

}  // namespace sremon::scrape
