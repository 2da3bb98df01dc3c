#include "testutil/probes.h"

#include <cmath>
#include <thread>

#include "http/http.h"

namespace sremon::testutil {

using json = nlohmann::json;

json GetJson(const std::string& url) {
  auto r = http::Get(url, std::chrono::milliseconds(3000));
  if (!r.ok() || r->status != 200) return json();
  return json::parse(r->body, nullptr, false);
}

bool Poll(std::chrono::milliseconds timeout, const std::function<bool()>& pred) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return pred();  // once more at the deadline: the last sleep may have ended past it
}

double QueryValue(const std::string& storage_base, const std::string& expr) {
  json j = GetJson(storage_base + "/api/v1/query?query=" + http::UrlEncode(expr));
  if (!j.is_object() || !j["data"]["result"].is_array() || j["data"]["result"].empty()) return NAN;
  return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
}

std::string RuleAlertState(const std::string& rules_base, const std::string& alertname) {
  json j = GetJson(rules_base + "/api/v1/alerts");
  if (!j.is_object() || !j["data"]["alerts"].is_array()) return "";
  for (const auto& a : j["data"]["alerts"]) {
    if (a["labels"]["alertname"] == alertname) return a["state"].get<std::string>();
  }
  return "";
}

bool AlertmanagerHas(const std::string& am_base, const std::string& alertname) {
  json j = GetJson(am_base + "/api/v2/alerts");
  if (!j.is_array()) return false;
  for (const auto& a : j) {
    if (a["labels"]["alertname"] == alertname) return true;
  }
  return false;
}

bool InboxHas(const std::string& inbox_base, const std::string& alertname, const std::string& status) {
  json j = GetJson(inbox_base + "/api/notifications?limit=1000");
  if (!j.is_object() || !j["notifications"].is_array()) return false;
  for (const auto& n : j["notifications"]) {
    const json& p = n["payload"];
    if (!p.is_object() || p["status"] != status || !p["alerts"].is_array()) continue;
    for (const auto& a : p["alerts"]) {
      if (a["labels"]["alertname"] == alertname && a["status"] == status) return true;
    }
  }
  return false;
}

}  // namespace sremon::testutil
