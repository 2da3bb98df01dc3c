// The rules service's HTTP API: answers in Prometheus's shapes (/api/v1/rules, /api/v1/alerts;
// Prometheus's docs/querying/api.md "Rules" and "Alerts"), the human status page and backtests
// over the service's datasource. Its own library (sremon_rules_api): errors go out through the
// Prometheus API's one mapping (api/errors.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "http/http.h"
#include "rules/datasource.h"
#include "rules/group.h"
#include "rules/manager.h"

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

struct RoutesOptions {
  DatasourceOptions datasource;              // what /api/v1/backtest queries
  std::vector<std::string> shown_notifiers;  // for the status page, without passwords
  std::string shown_datasource;              // likewise
};

// GET|POST /api/v1/rules and /api/v1/alerts (also under /vmalert), the status page at /,
// /vmalert and /vmalert/, and GET /api/v1/backtest?rule=NAME&from=T[&to=T][&step=D].
// REQUIRES: manager outlives the server's handlers (stop the server first).
void RegisterRoutes(http::Server& server, const Manager& manager, RoutesOptions options);

}  // namespace sremon::rules
