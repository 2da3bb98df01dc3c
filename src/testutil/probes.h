// Probes of a running stack through its public HTTP APIs, shared by the end-to-end suites
// (drills, interop matrix). Each works against our service or its upstream counterpart, since
// both speak the same API. All functions are synchronous and tolerate a service that is down.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace sremon::testutil {

// GET url and parse the JSON answer; null on any failure.
nlohmann::json GetJson(const std::string& url);

// Polls pred every 200 ms until it holds (true) or timeout passes (false); the one wait-until of
// the test suites.
bool Poll(std::chrono::milliseconds timeout, const std::function<bool()>& pred);

// The value of an instant query's first sample on a Prometheus-compatible API, or NaN.
double QueryValue(const std::string& storage_base, const std::string& expr);

// The state of an alert in /api/v1/alerts of a rules service or vmalert ("" when absent).
std::string RuleAlertState(const std::string& rules_base, const std::string& alertname);

// True when /api/v2/alerts of an Alertmanager lists the alert.
bool AlertmanagerHas(const std::string& am_base, const std::string& alertname);

// True when the inbox holds a webhook notification with that status ("firing"/"resolved") for
// that alert.
bool InboxHas(const std::string& inbox_base, const std::string& alertname, const std::string& status);

}  // namespace sremon::testutil
