#include "scrape/targets.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "http/http.h"
#include "util/time.h"
#include "util/yaml.h"

namespace sremon::scrape {

void BuildTargets(const ScrapeConfig& job, const TargetGroup& group, std::vector<Target>* active,
                  std::vector<model::Labels>* dropped) {
  for (const std::string& addr : group.targets) {
    model::LabelsBuilder lb(group.labels);
    lb.Set("__address__", addr);
    // Defaults only where the group's labels do not set them (Prometheus PopulateLabels), so
    // a static or file_sd group can carry its own __metrics_path__, __scheme__ or job.
    auto set_default = [&lb](const std::string& name, const std::string& value) {
      if (lb.Get(name).empty()) lb.Set(name, value);
    };
    set_default("job", job.job_name);
    set_default("__scheme__", job.scheme);
    set_default("__metrics_path__", job.metrics_path);
    set_default("__scrape_interval__", FormatDurationMs(job.scrape_interval_ms));
    set_default("__scrape_timeout__", FormatDurationMs(job.scrape_timeout_ms));
    for (const auto& [name, values] : job.params) {
      if (!values.empty()) set_default("__param_" + name, values[0]);
    }
    if (!group.source.empty()) lb.Set("__meta_filepath", group.source);
    model::Labels discovered = lb.Build();
    if (!Relabel(job.relabel_configs, &lb) || lb.Get("__address__").empty()) {
      dropped->push_back(std::move(discovered));
      continue;
    }
    model::Labels relabeled = lb.Build();
    std::string address(relabeled.Get("__address__"));
    std::string url = fmt::format("{}://{}{}", relabeled.Get("__scheme__"), address, relabeled.Get("__metrics_path__"));
    // Query: the config's params, each first value replaced by its __param_ label.
    std::string query;
    auto add = [&query](std::string_view k, std::string_view v) {
      query += query.empty() ? '?' : '&';
      query += http::UrlEncode(k);
      query += '=';
      query += http::UrlEncode(v);
    };
    for (const auto& [name, values] : job.params) {
      std::string_view first = relabeled.Get("__param_" + name);
      for (size_t i = 0; i < values.size(); ++i) add(name, i == 0 && !first.empty() ? first : values[i]);
    }
    for (const auto& l : relabeled) {
      if (l.name.rfind("__param_", 0) == 0 && !job.params.count(l.name.substr(8))) add(l.name.substr(8), l.value);
    }
    url += url.find('?') == std::string::npos ? query : (query.empty() ? "" : "&" + query.substr(1));
    model::LabelsBuilder out(relabeled);
    for (const auto& l : relabeled) {
      if (l.name.rfind("__", 0) == 0) out.Del(l.name);
    }
    if (out.Get("instance").empty()) out.Set("instance", address);
    active->push_back(Target{std::move(discovered), out.Build(), std::move(url)});
  }
}

Result<std::vector<TargetGroup>> ReadFileSd(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument(fmt::format("cannot read file_sd file {}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<TargetGroup> groups;
  try {
    // YAML is a superset of JSON, so one parser reads both kinds of file.
    YAML::Node root = YAML::Load(ss.str());
    if (root.IsNull()) return groups;
    if (!root.IsSequence()) return Status::InvalidArgument(fmt::format("{}: expected a list of target groups", path));
    for (const auto& item : root) {
      TargetGroup g;
      g.source = path;
      if (!item.IsMap()) {
        return YamlError(path, item, "expected a target group");
      }
      if (item["targets"]) {
        for (const auto& t : item["targets"]) g.targets.push_back(t.as<std::string>());
      }
      if (item["labels"]) {
        std::vector<model::Label> ls;
        for (const auto& kv : item["labels"]) {
          std::string name = kv.first.as<std::string>();
          if (!model::IsValidLabelName(name)) {
            return YamlError(path, kv.first, fmt::format("invalid label name \"{}\"", name));
          }
          ls.push_back({name, kv.second.as<std::string>()});
        }
        g.labels = model::Labels(std::move(ls));
      }
      groups.push_back(std::move(g));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(YamlMessage(path, YamlLine(e.mark), e.msg));
  }
  return groups;
}

}  // namespace sremon::scrape
