#include "rules/manager.h"

#include <map>

#include <spdlog/spdlog.h>

#include "obs/metrics.h"
#include "util/time.h"

namespace sremon::rules {

bool SameGroupSpec(const GroupSpec& a, const GroupSpec& b) {
  if (a.name != b.name || a.file != b.file || a.interval_ms != b.interval_ms || a.limit != b.limit ||
      a.labels != b.labels || a.rules.size() != b.rules.size()) {
    return false;
  }
  for (size_t i = 0; i < a.rules.size(); ++i) {
    if (a.rules[i].Key() != b.rules[i].Key()) return false;
  }
  return true;
}

Manager::Manager(ManagerOptions options) : options_(std::move(options)) {
  auto& reg = obs::Registry();
  reload_ok_metric_ = &prometheus::BuildGauge().Name("vmalert_config_last_reload_successful")
                           .Help("Whether the last configuration reload succeeded").Register(reg).Add({});
  reload_time_metric_ = &prometheus::BuildGauge().Name("vmalert_config_last_reload_success_timestamp_seconds")
                             .Help("Time of the last successful configuration reload").Register(reg).Add({});
  reloads_metric_ = &prometheus::BuildCounter().Name("vmalert_config_last_reload_total")
                         .Help("Configuration reloads").Register(reg).Add({});
  reload_errors_metric_ = &prometheus::BuildCounter().Name("vmalert_config_last_reload_errors_total")
                               .Help("Failed configuration reloads").Register(reg).Add({});
}

Manager::~Manager() { Stop(); }

Status Manager::Load() {
  std::lock_guard<std::mutex> load_lock(load_mu_);
  reloads_metric_->Increment();
  auto fail = [&](const Status& st) {
    reload_ok_metric_->Set(0);
    reload_errors_metric_->Increment();
    std::lock_guard<std::mutex> lock(mu_);
    last_ok_ = false;
    last_error_ = st.message();
    spdlog::error("rules: cannot load rules, keeping the previous configuration: {}", st.message());
    return st;
  };
  auto files = ExpandRuleGlobs(options_.rule_patterns);
  if (!files.ok()) return fail(files.status());
  std::vector<GroupSpec> specs;
  std::string errors;
  for (const auto& f : *files) {
    auto rf = LoadRuleFile(f, options_.parse);
    if (!rf.ok()) {
      errors += (errors.empty() ? "" : "\n") + rf.status().message();
      continue;
    }
    for (auto& g : rf->groups) specs.push_back(std::move(g));
  }
  if (!errors.empty()) return fail(Status::InvalidArgument(errors));

  std::map<std::string, std::shared_ptr<Group>> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& g : groups_) old.emplace(g->Key(), g);
  }
  std::vector<std::shared_ptr<Group>> next;
  for (auto& spec : specs) {
    std::string key = spec.file + '\x00' + spec.name;
    auto it = old.find(key);
    if (it != old.end() && SameGroupSpec(it->second->spec(), spec)) {
      next.push_back(it->second);  // unchanged: keeps running with its state
      old.erase(it);
      continue;
    }
    auto g = std::make_shared<Group>(std::move(spec), options_.group);
    if (it != old.end()) {
      it->second->Stop();
      g->TakeStateFrom(*it->second);
      old.erase(it);
    }
    if (options_.start_groups) g->Start();
    next.push_back(std::move(g));
  }
  for (auto& [k, g] : old) g->Stop();
  size_t n = next.size();
  {
    std::lock_guard<std::mutex> lock(mu_);
    groups_ = std::move(next);
    last_ok_ = true;
    last_error_.clear();
  }
  reload_ok_metric_->Set(1);
  reload_time_metric_->Set(static_cast<double>(NowMs()) / 1000.0);
  spdlog::info("rules: loaded {} group(s) from {} file(s)", n, files->size());
  return Status::Ok();
}

void Manager::Stop() {
  std::vector<std::shared_ptr<Group>> groups;
  {
    std::lock_guard<std::mutex> lock(mu_);
    groups = groups_;
  }
  for (auto& g : groups) g->Stop();
}

std::vector<std::shared_ptr<Group>> Manager::Groups() const {
  std::lock_guard<std::mutex> lock(mu_);
  return groups_;
}

bool Manager::last_reload_ok() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_ok_;
}

std::string Manager::last_reload_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

}  // namespace sremon::rules
