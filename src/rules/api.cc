#include "rules/api.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "http/page.h"
#include "rules/backtest.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::rules {

namespace {

using nlohmann::json;

json LabelsJson(const model::Labels& ls) {
  json j = json::object();
  for (const auto& l : ls) j[l.name] = l.value;
  return j;
}

json PairsJson(const std::vector<model::Label>& ls) {
  json j = json::object();
  for (const auto& l : ls) j[l.name] = l.value;
  return j;
}

json AlertJson(const Alert& a) {
  json annotations = json::object();
  for (const auto& [k, v] : a.annotations) annotations[k] = v;
  json j = {{"labels", LabelsJson(a.labels)},
            {"annotations", annotations},
            {"state", AlertStateName(a.state)},
            {"activeAt", FormatRfc3339Ms(a.active_at)},
            {"value", FormatValueE(a.value)}};
  if (a.keep_firing_since) j["keepFiringSince"] = FormatRfc3339Ms(a.keep_firing_since);
  return j;
}

bool Wanted(const std::vector<std::string>& filter, const std::string& v) {
  return filter.empty() || std::find(filter.begin(), filter.end(), v) != filter.end();
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void ServeRules(const Manager& manager, http::Request& req, http::Response& resp) {
  RulesFilter f;
  f.type = std::string(req.Param("type"));
  if (!f.type.empty() && f.type != "alert" && f.type != "record") {
    return api::WriteError(resp, api::BadData("invalid type parameter: want alert or record"));
  }
  f.rule_names = req.Params("rule_name[]");
  f.group_names = req.Params("rule_group[]");
  f.files = req.Params("file[]");
  resp.SetJson(200, RulesJson(manager.Groups(), f));
}

// A copy of the alerting rule called `name` (a reload may replace its group while a backtest
// runs) and its group's interval, the default step.
std::optional<std::pair<RuleSpec, int64_t>> FindAlertingRule(const Manager& manager, std::string_view name) {
  for (const auto& g : manager.Groups()) {
    for (const auto& r : g->rules()) {
      if (r->spec().is_alert() && r->name() == name) return std::make_pair(r->spec(), g->interval_ms());
    }
  }
  return std::nullopt;
}

void ServeBacktest(const Manager& manager, const DatasourceOptions& ds, http::Request& req, http::Response& resp) {
  auto bad = [&](std::string msg) { api::WriteError(resp, api::BadData(std::move(msg))); };
  std::string name(req.Param("rule"));
  auto found = FindAlertingRule(manager, name);
  if (!found) return bad(fmt::format("no alerting rule named \"{}\"", name));
  auto& [spec, step] = *found;
  auto from = ParseTimeParam(req.Param("from"));
  auto to = req.HasParam("to") ? ParseTimeParam(req.Param("to")) : Result<int64_t>(NowMs());
  if (!from.ok()) return bad("invalid from: " + from.status().message());
  if (!to.ok()) return bad("invalid to: " + to.status().message());
  if (req.HasParam("step")) {
    auto s = ParseDurationMs(req.Param("step"), true);
    if (!s.ok()) return bad("invalid step: " + s.status().message());
    step = *s;
  }
  auto res = Backtest(spec, [&ds](const std::string& e, int64_t s, int64_t en, int64_t st) {
    return HttpQueryRange(ds, e, s, en, st);
  }, *from, *to, step);
  if (!res.ok()) {
    if (res.status().code() == Status::Code::kInvalidArgument) return bad(res.status().message());
    return api::WriteError(resp, api::ApiError{api::kUnavailable, res.status().message()});
  }
  resp.SetJson(200, FormatBacktestJson(*res));
}

}  // namespace

std::string FormatValueE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  return std::string(buf, r.ptr);
}

std::string RulesJson(const std::vector<std::shared_ptr<Group>>& groups, const RulesFilter& filter) {
  json out = json::array();
  for (const auto& g : groups) {
    if (!Wanted(filter.group_names, g->spec().name) || !Wanted(filter.files, g->spec().file)) continue;
    GroupStatus gs = g->status();
    json rules = json::array();
    for (const auto& r : g->rules()) {
      const RuleSpec& spec = r->spec();
      if ((filter.type == "alert" && !spec.is_alert()) || (filter.type == "record" && spec.is_alert())) continue;
      if (!Wanted(filter.rule_names, spec.name())) continue;
      RuleStatus st = r->status();
      json j = {{"name", spec.name()},
                {"query", spec.expr},
                {"labels", PairsJson(spec.labels)},
                {"health", st.health},
                {"evaluationTime", st.eval_seconds},
                {"lastEvaluation", st.last_eval_ms ? FormatRfc3339Ms(st.last_eval_ms) : "0001-01-01T00:00:00Z"},
                {"lastSamples", st.last_samples}};
      if (!st.last_error.empty()) j["lastError"] = st.last_error;
      if (auto* ar = dynamic_cast<const AlertingRule*>(r.get())) {
        json alerts = json::array();
        for (const Alert& a : ar->Alerts()) {
          if (a.state != AlertState::kInactive) alerts.push_back(AlertJson(a));  // Prometheus ActiveAlerts()
        }
        j["type"] = "alerting";
        j["state"] = AlertStateName(ar->State());
        j["duration"] = static_cast<double>(spec.for_ms) / 1000.0;
        j["keepFiringFor"] = static_cast<double>(spec.keep_firing_for_ms) / 1000.0;
        j["annotations"] = PairsJson(spec.annotations);
        j["alerts"] = std::move(alerts);
      } else {
        j["type"] = "recording";
      }
      rules.push_back(std::move(j));
    }
    if (rules.empty() && (!filter.type.empty() || !filter.rule_names.empty())) continue;
    out.push_back({{"name", g->spec().name},
                   {"file", g->spec().file},
                   {"interval", static_cast<double>(g->interval_ms()) / 1000.0},
                   {"limit", g->spec().limit},
                   {"rules", std::move(rules)},
                   {"evaluationTime", gs.eval_seconds},
                   {"lastEvaluation", gs.last_eval_ms ? FormatRfc3339Ms(gs.last_eval_ms) : "0001-01-01T00:00:00Z"}});
  }
  return Dump({{"status", "success"}, {"data", {{"groups", std::move(out)}}}});
}

std::string AlertsJson(const std::vector<std::shared_ptr<Group>>& groups) {
  json alerts = json::array();
  for (const auto& g : groups) {
    for (const auto& r : g->rules()) {
      if (auto* ar = dynamic_cast<const AlertingRule*>(r.get())) {
        for (const Alert& a : ar->Alerts()) {
          if (a.state != AlertState::kInactive) alerts.push_back(AlertJson(a));
        }
      }
    }
  }
  return Dump({{"status", "success"}, {"data", {{"alerts", std::move(alerts)}}}});
}

std::string StatusPageHtml(const std::vector<std::shared_ptr<Group>>& groups, const StatusPageInfo& info) {
  // What only this page needs on top of the stack's shared look (http/page.h).
  constexpr std::string_view kStyle =
      ".pending{color:#b60}.err{color:#b00}pre{margin:0;white-space:pre-wrap}";
  static const std::vector<http::PageLink> kOwn = {{"status", "/"},
                                                   {"/api/v1/rules", "/api/v1/rules"},
                                                   {"/api/v1/alerts", "/api/v1/alerts"},
                                                   {"flags", "/flags"},
                                                   {"metrics", "/metrics"}};
  std::string h = http::PageStart("rules", "Rules", kOwn, kStyle) + "<h1>sremon rules</h1>";
  h += fmt::format("<p>Datasource: {} &middot; Notifiers: {} &middot; Last reload: {}</p>", HtmlEscape(info.datasource_url),
                   HtmlEscape(Join(info.notifier_urls, ", ")),
                   info.last_reload_ok ? "ok" : "<span class=\"err\">failed: " + HtmlEscape(info.last_reload_error) + "</span>");
  h += "<h2>Active alerts</h2><table><tr><th>State</th><th>Labels</th>"
       "<th>Annotations</th><th>Active since</th><th>Value</th></tr>";
  size_t active = 0;
  for (const auto& g : groups) {
    for (const auto& r : g->rules()) {
      auto* ar = dynamic_cast<const AlertingRule*>(r.get());
      if (!ar) continue;
      for (const Alert& a : ar->Alerts()) {
        if (a.state == AlertState::kInactive) continue;
        ++active;
        std::string ann;
        for (const auto& [k, v] : a.annotations) ann += "<b>" + HtmlEscape(k) + "</b>: " + HtmlEscape(v) + "<br>";
        h += fmt::format("<tr><td class=\"{0}\">{0}</td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td></tr>",
                         AlertStateName(a.state), HtmlEscape(a.labels.ToString()), ann, FormatRfc3339Ms(a.active_at),
                         FormatFloatG(a.value));
      }
    }
  }
  if (!active) h += "<tr><td colspan=\"5\">none</td></tr>";
  h += "</table><h2>Groups</h2>";
  for (const auto& g : groups) {
    GroupStatus gs = g->status();
    h += fmt::format("<h3>{}</h3><p>{} &middot; every {} &middot; last evaluation {} took {:.3f}s &middot; {} iterations, {} missed</p>",
                     HtmlEscape(g->spec().name), HtmlEscape(g->spec().file), FormatDurationMs(g->interval_ms()),
                     gs.last_eval_ms ? FormatRfc3339Ms(gs.last_eval_ms) : "never", gs.eval_seconds, gs.iterations, gs.missed);
    h += "<table><tr><th>Rule</th><th>Type</th><th>Expression</th><th>State</th><th>Last evaluation</th>"
         "<th>Duration</th><th>Error</th></tr>";
    for (const auto& r : g->rules()) {
      RuleStatus st = r->status();
      auto* ar = dynamic_cast<const AlertingRule*>(r.get());
      std::string state = ar ? AlertStateName(ar->State()) : "";
      h += fmt::format("<tr><td>{}</td><td>{}</td><td><pre>{}</pre></td><td class=\"{}\">{}</td><td>{}</td><td>{:.3f}s</td><td class=\"err\">{}</td></tr>",
                       HtmlEscape(r->name()), ar ? "alerting" : "recording", HtmlEscape(r->spec().expr), state, state,
                       st.last_eval_ms ? FormatRfc3339Ms(st.last_eval_ms) : "never", st.eval_seconds, HtmlEscape(st.last_error));
    }
    h += "</table>";
  }
  return h + http::PageEnd();
}

void RegisterRoutes(http::Server& server, const Manager& manager, RoutesOptions options) {
  auto rules = [&manager](http::Request& req, http::Response& resp) { ServeRules(manager, req, resp); };
  auto alerts = [&manager](http::Request&, http::Response& resp) { resp.SetJson(200, AlertsJson(manager.Groups())); };
  for (const char* prefix : {"", "/vmalert"}) {
    for (const char* verb : http::kReadMethods) {
      server.Route(verb, std::string(prefix) + "/api/v1/rules", rules);
      server.Route(verb, std::string(prefix) + "/api/v1/alerts", alerts);
    }
  }
  auto page = [&manager, options](http::Request&, http::Response& resp) {
    StatusPageInfo info{manager.last_reload_ok(), manager.last_reload_error(), options.shown_notifiers,
                        options.shown_datasource};
    resp.SetHtml(200, StatusPageHtml(manager.Groups(), info));
  };
  for (const char* path : {"/", "/vmalert", "/vmalert/"}) server.Route("GET", path, page);
  server.Route(
      "GET", "/api/v1/backtest",
      [&manager, ds = options.datasource](http::Request& req, http::Response& resp) {
        ServeBacktest(manager, ds, req, resp);
      },
      /*blocking=*/true);
}

}  // namespace sremon::rules
