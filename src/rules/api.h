// The rules service's HTTP answers in Prometheus's shapes (/api/v1/rules, /api/v1/alerts;
// Prometheus's docs/querying/api.md "Rules" and "Alerts"), and the human status page.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rules/group.h"

namespace sremon::rules {

struct RulesFilter {
  std::string type;  // "", "alert" or "record"
  std::vector<std::string> rule_names, group_names, files;
};

std::string RulesJson(const std::vector<std::shared_ptr<Group>>& groups, const RulesFilter& filter = {});
std::string AlertsJson(const std::vector<std::shared_ptr<Group>>& groups);
// Go's strconv.FormatFloat(v, 'e', -1, 64), the alert "value" of Prometheus's API.
std::string FormatValueE(double v);

struct StatusPageInfo {
  bool last_reload_ok = true;
  std::string last_reload_error;
  std::vector<std::string> notifier_urls;
  std::string datasource_url;
};
std::string StatusPageHtml(const std::vector<std::shared_ptr<Group>>& groups, const StatusPageInfo& info);

}  // namespace sremon::rules
