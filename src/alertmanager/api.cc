// API v2 (Alertmanager's api/v2/openapi.yaml, as v0.25 answers it) and our history API.
// Error shapes as upstream: handler errors are a bare JSON string; body decoding errors are
// {"code":400,"message":"parsing X body from \"\" failed, because ..."}; schema violations are
// 422 {"code":602,"message":"... in body is required"}.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "alertmanager/alertmanager.h"
#include "alertmanager/api_decode.h"
#include "http/access.h"
#include "http/status_code.h"
#include "obs/metrics.h"
#include "util/strings.h"
#include "util/time.h"
#include "version.h"

namespace sremon::alertmanager {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

void ErrorString(http::Response& r, int code, const std::string& msg) { r.SetJson(code, json(msg).dump() + "\n"); }
void ErrorObject(http::Response& r, int http_code, int code, const std::string& msg);

// go-openapi consumes only application/json bodies (parameters allowed), and answers 415
// otherwise, curl's form default and a missing header included. This is also what keeps a web
// page on another origin from posting here: a cross-site form or simple fetch cannot send it.
bool RequireJson(const http::Request& req, http::Response& resp) {
  std::string_view ct = req.headers.Get("Content-Type");
  if (ct.empty()) ct = "application/octet-stream";
  std::string media = ToLower(Trim(ct.substr(0, ct.find(';'))));
  if (media == "application/json") return true;
  ErrorObject(resp, 415, 415, fmt::format("unsupported media type {}, only [application/json] are allowed", Quote(media)));
  return false;
}
void ErrorObject(http::Response& r, int http_code, int code, const std::string& msg) {
  r.SetJson(http_code, ojson{{"code", code}, {"message", msg}}.dump());
}

ojson LabelsJson(const model::Labels& ls) {
  ojson o = ojson::object();
  for (const auto& l : ls) o[l.name] = l.value;
  return o;
}

// Query booleans as go-openapi parses them.
bool BoolParam(const http::Request& req, const char* name, bool def, http::Response& resp, bool* ok) {
  if (!req.HasParam(name)) return def;
  std::string v(req.Param(name));
  if (v == "true" || v == "1" || v == "True" || v == "TRUE") return true;
  if (v == "false" || v == "0" || v == "False" || v == "FALSE") return false;
  ErrorObject(resp, 400, 400, fmt::format("{} in query must be of type boolean: {}", name, Quote(v)));
  *ok = false;
  return def;
}

struct AlertStatus {
  std::vector<std::string> silenced_by;
  std::vector<std::string> inhibited_by;
  std::string State() const { return silenced_by.empty() && inhibited_by.empty() ? "active" : "suppressed"; }
};

ojson GettableAlert(const Alert& a, const AlertStatus& st, const std::vector<std::string>& receivers) {
  ojson rs = ojson::array();
  for (const auto& r : receivers) rs.push_back({{"name", r}});
  ojson annotations = ojson::object();
  for (const auto& [k, v] : a.annotations) annotations[k] = v;
  return ojson{{"annotations", annotations},
               {"endsAt", FormatRfc3339Ms(a.ends_at)},
               {"fingerprint", FingerprintString(a.Fingerprint())},
               {"receivers", rs},
               {"startsAt", FormatRfc3339Ms(a.starts_at)},
               {"status", {{"inhibitedBy", st.inhibited_by}, {"silencedBy", st.silenced_by}, {"state", st.State()}}},
               {"updatedAt", FormatRfc3339Ms(a.updated_at)},
               {"generatorURL", a.generator_url},
               {"labels", LabelsJson(a.labels)}};
}

ojson GettableSilence(const Silence& s, int64_t now) {
  ojson ms = ojson::array();
  for (const auto& m : s.matchers) {
    bool regex = m.type() == model::MatchType::kRegexMatch || m.type() == model::MatchType::kRegexNoMatch;
    bool equal = m.type() == model::MatchType::kEqual || m.type() == model::MatchType::kRegexMatch;
    ms.push_back({{"isEqual", equal}, {"isRegex", regex}, {"name", m.name()}, {"value", m.value()}});
  }
  return ojson{{"id", s.id},
               {"status", {{"state", SilenceStateName(StateOf(s, now))}}},
               {"updatedAt", FormatRfc3339Ms(s.updated_at)},
               {"comment", s.comment},
               {"createdBy", s.created_by},
               {"endsAt", FormatRfc3339Ms(s.ends_at)},
               {"matchers", ms},
               {"startsAt", FormatRfc3339Ms(s.starts_at)}};
}

void WriteError(http::Response& r, const ApiError& e) {
  if (e.code == 0) {
    ErrorString(r, e.http_status, e.message);
  } else {
    ErrorObject(r, e.http_status, e.code, e.message);
  }
}

bool IsUuid(std::string_view s) {
  static const RE2 kRe("(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$");
  return RE2::FullMatch(s, kRe);
}

// Parses the `filter` params; writes the 400 answer on error.
bool FilterParams(const http::Request& req, http::Response& resp, Matchers* out) {
  for (const auto& f : req.Params("filter")) {
    auto ms = ParseMatchers(f);
    if (!ms.ok()) {
      ErrorString(resp, 400, ms.status().message());
      return false;
    }
    for (auto& m : *ms) out->push_back(std::move(m));
  }
  return true;
}

// Status of an alert computed now, so a new silence or inhibiting alert shows at once.
AlertStatus StatusOf(const Silences& silences, const Inhibitor& inhibitor, const model::Labels& labels, int64_t now) {
  AlertStatus st;
  st.silenced_by = silences.Mutes(labels, now);
  if (auto fp = inhibitor.Mutes(labels, now)) st.inhibited_by.push_back(FingerprintString(*fp));
  return st;
}

// The parameters of GET /alerts and /alerts/groups.
struct AlertQuery {
  bool active = true, silenced = true, inhibited = true;
  Matchers filter;
  std::optional<RE2> receiver;
};

// Parses them; writes the 400 answer on error.
bool ParseAlertQuery(const http::Request& req, http::Response& resp, AlertQuery* q) {
  bool ok = true;
  q->active = BoolParam(req, "active", true, resp, &ok);
  if (ok) q->silenced = BoolParam(req, "silenced", true, resp, &ok);
  if (ok) q->inhibited = BoolParam(req, "inhibited", true, resp, &ok);
  // Validated as upstream does; no alert is ever unprocessed here, so it filters nothing.
  if (ok) BoolParam(req, "unprocessed", true, resp, &ok);
  if (!ok) return false;
  if (!FilterParams(req, resp, &q->filter)) return false;
  if (req.HasParam("receiver")) {
    std::string re = "^(?:" + std::string(req.Param("receiver")) + ")$";
    q->receiver.emplace(re, RE2::Quiet);
    if (!q->receiver->ok()) {
      ErrorString(resp, 400,
                  fmt::format("failed to parse receiver param: error parsing regexp: {}: `{}`", q->receiver->error(), re));
      return false;
    }
  }
  return true;
}

bool Passes(const AlertQuery& q, const Alert& a, const AlertStatus& st, int64_t now) {
  if (a.ends_at != 0 && a.ends_at < now) return false;
  if (!q.active && st.State() == "active") return false;
  if (!q.silenced && !st.silenced_by.empty()) return false;
  if (!q.inhibited && !st.inhibited_by.empty()) return false;
  return MatchesAll(q.filter, a.labels);
}

std::vector<std::string> ReceiversOf(const Route& root, const model::Labels& labels) {
  std::vector<std::string> out;
  for (const Route* r : root.Match(labels)) {
    if (std::find(out.begin(), out.end(), r->opts().receiver) == out.end()) out.push_back(r->opts().receiver);
  }
  return out;
}

// A silence passes when it has an equivalent matcher for every filter matcher.
bool HasAllMatchers(const Silence& s, const Matchers& filter) {
  for (const auto& f : filter) {
    bool found = false;
    for (const auto& m : s.matchers) {
      found = found || (m.name() == f.name() && m.type() == f.type() && m.value() == f.value());
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

void Alertmanager::RegisterApi(http::Server& server) {
  auto h = [this](void (Alertmanager::*handler)(http::Request&, http::Response&)) {
    return [this, handler](http::Request& req, http::Response& resp) { (this->*handler)(req, resp); };
  };
  server.Route("GET", "/api/v2/status", h(&Alertmanager::GetStatus));
  server.Route("GET", "/api/v2/receivers", h(&Alertmanager::GetReceivers));
  server.Route("GET", "/api/v2/alerts", h(&Alertmanager::GetAlerts), /*blocking=*/true);
  server.Route("POST", "/api/v2/alerts", http::StateChanging(h(&Alertmanager::PostAlerts)), /*blocking=*/true);
  server.Route("GET", "/api/v2/alerts/groups", h(&Alertmanager::GetAlertGroups), /*blocking=*/true);
  server.Route("GET", "/api/v2/silences", h(&Alertmanager::GetSilences));
  server.Route("POST", "/api/v2/silences", http::StateChanging(h(&Alertmanager::PostSilences)), /*blocking=*/true);
  server.RoutePrefix("", "/api/v2/silence/", h(&Alertmanager::GetOrDeleteSilence), /*blocking=*/true);
  // Beyond upstream: notification history (docs/alertmanager.md) and receiver tests.
  server.Route("GET", "/api/v2/history", h(&Alertmanager::GetHistory));
  server.Route("POST", "/api/v2/receivers/test", http::StateChanging(h(&Alertmanager::PostTestReceiver)),
               /*blocking=*/true);
}

void Alertmanager::GetStatus(http::Request&, http::Response& resp) {
  auto rt = runtime();
  ojson body = {{"cluster", {{"peers", ojson::array()}, {"status", "disabled"}}},
                {"config", {{"original", rt ? DumpConfig(*rt->config) : ""}}},
                {"uptime", FormatRfc3339Ms(start_ms_)},
                {"versionInfo",
                 {{"branch", "sremon"},
                  {"buildDate", ""},
                  {"buildUser", "sremon"},
                  {"goVersion", "none (C++20)"},
                  {"revision", std::string("sremon-") + kVersion + "-" + kRevision},
                  {"version", "0.25.0"}}}};
  resp.SetJson(200, body.dump());
}

void Alertmanager::GetReceivers(http::Request&, http::Response& resp) {
  auto rt = runtime();
  ojson out = ojson::array();
  for (const auto& r : rt->config->receivers) out.push_back({{"name", r.name}});
  resp.SetJson(200, out.dump());
}

void Alertmanager::GetAlerts(http::Request& req, http::Response& resp) {
  AlertQuery q;
  if (!ParseAlertQuery(req, resp, &q)) return;
  auto rt = runtime();
  int64_t now = NowMs();
  std::vector<Alert> alerts = store_.List();
  std::sort(alerts.begin(), alerts.end(),
            [](const Alert& a, const Alert& b) { return a.Fingerprint() < b.Fingerprint(); });
  ojson out = ojson::array();
  for (const Alert& a : alerts) {
    auto receivers = ReceiversOf(*rt->route, a.labels);
    if (q.receiver) {
      bool any = false;
      for (const auto& r : receivers) any = any || RE2::FullMatch(r, *q.receiver);
      if (!any) continue;
    }
    AlertStatus st = StatusOf(silences_, *rt->inhibitor, a.labels, now);
    if (!Passes(q, a, st, now)) continue;
    out.push_back(GettableAlert(a, st, receivers));
  }
  resp.SetJson(200, out.dump());
}

void Alertmanager::PostAlerts(http::Request& req, http::Response& resp) {
  if (!RequireJson(req, resp)) return;
  auto rt = runtime();
  std::vector<Alert> valid;
  std::vector<std::string> errors;
  ApiError err;
  if (!DecodeAlerts(req.body, NowMs(), rt->config->global.resolve_timeout, &valid, &errors, &err)) {
    WriteError(resp, err);
    return;
  }
  // Best effort as upstream: the valid alerts of a batch are stored even when others are not.
  static auto& received = prometheus::BuildCounter()
                              .Name("alertmanager_alerts_received_total")
                              .Help("The total number of received alerts.")
                              .Register(obs::Registry());
  static auto& invalid = prometheus::BuildCounter()
                             .Name("alertmanager_alerts_invalid_total")
                             .Help("The total number of received alerts that were invalid.")
                             .Register(obs::Registry())
                             .Add({});
  int64_t now = NowMs();
  for (const Alert& a : valid) received.Add({{"status", a.ResolvedAt(now) ? "resolved" : "firing"}}).Increment();
  invalid.Increment(static_cast<double>(errors.size()));
  store_.Put(valid);
  if (!errors.empty()) {
    ErrorString(resp, 400, Join(errors, "; "));
    return;
  }
  resp.SetJson(200, "");
}

void Alertmanager::GetAlertGroups(http::Request& req, http::Response& resp) {
  AlertQuery q;
  if (!ParseAlertQuery(req, resp, &q)) return;
  auto rt = runtime();
  int64_t now = NowMs();
  auto groups = rt->dispatcher->Groups();
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  ojson out = ojson::array();
  for (const auto& g : groups) {
    const std::string& receiver = g.route->opts().receiver;
    if (q.receiver && !RE2::FullMatch(receiver, *q.receiver)) continue;
    ojson alerts = ojson::array();
    auto sorted = g.alerts;
    std::sort(sorted.begin(), sorted.end(), AlertLess);
    for (const Alert& a : sorted) {
      AlertStatus st = StatusOf(silences_, *rt->inhibitor, a.labels, now);
      if (!Passes(q, a, st, now)) continue;
      alerts.push_back(GettableAlert(a, st, ReceiversOf(*rt->route, a.labels)));
    }
    if (alerts.empty()) continue;
    out.push_back({{"alerts", alerts}, {"labels", LabelsJson(g.labels)}, {"receiver", {{"name", receiver}}}});
  }
  resp.SetJson(200, out.dump());
}

void Alertmanager::GetSilences(http::Request& req, http::Response& resp) {
  Matchers filter;
  if (!FilterParams(req, resp, &filter)) return;
  int64_t now = NowMs();
  std::vector<Silence> active, pending, expired;
  for (auto& s : silences_.List()) {
    if (!HasAllMatchers(s, filter)) continue;
    switch (StateOf(s, now)) {
      case SilenceState::kActive: active.push_back(std::move(s)); break;
      case SilenceState::kPending: pending.push_back(std::move(s)); break;
      case SilenceState::kExpired: expired.push_back(std::move(s)); break;
    }
  }
  std::sort(active.begin(), active.end(), [](auto& a, auto& b) { return a.ends_at < b.ends_at; });
  std::sort(pending.begin(), pending.end(), [](auto& a, auto& b) { return a.starts_at < b.starts_at; });
  std::sort(expired.begin(), expired.end(), [](auto& a, auto& b) { return a.ends_at > b.ends_at; });
  ojson out = ojson::array();
  for (const auto* list : {&active, &pending, &expired}) {
    for (const auto& s : *list) out.push_back(GettableSilence(s, now));
  }
  resp.SetJson(200, out.dump());
}

void Alertmanager::PostSilences(http::Request& req, http::Response& resp) {
  if (!RequireJson(req, resp)) return;
  Silence s;
  ApiError err;
  if (!DecodeSilence(req.body, options_.max_silence_bytes, &s, &err)) {
    WriteError(resp, err);
    return;
  }
  if (s.starts_at >= s.ends_at) {
    ErrorString(resp, 400, "Failed to create silence: start time must be before end time");
    return;
  }
  if (s.ends_at < NowMs()) {
    ErrorString(resp, 400, "Failed to create silence: end time can't be in the past");
    return;
  }
  auto id = silences_.Set(std::move(s));
  if (!id.ok()) {
    // 400 for a bad or too-many silence (upstream's answer to --silences.max-silences), 404.
    ErrorString(resp, http::HttpStatusFor(id.status(), {{Status::Code::kResourceExhausted, 400}}),
                id.status().message());
    return;
  }
  resp.SetJson(200, ojson{{"silenceID", *id}}.dump());
}

void Alertmanager::GetOrDeleteSilence(http::Request& req, http::Response& resp) {
  const std::string& id = req.path_suffix;
  if (req.method != "GET" && req.method != "DELETE") {
    ErrorObject(resp, 405, 405, fmt::format("method {} is not allowed, but [GET,DELETE] are", req.method));
    return;
  }
  if (req.method == "DELETE" && !http::AllowStateChange(req, &resp)) return;
  if (!IsUuid(id)) {
    ErrorObject(resp, 422, 601, fmt::format("silenceID in path must be of type uuid: {}", Quote(id)));
    return;
  }
  if (req.method == "GET") {
    auto s = silences_.Get(id);
    if (!s.ok()) {
      resp.SetJson(404, "");
      return;
    }
    resp.SetJson(200, GettableSilence(*s, NowMs()).dump());
    return;
  }
  Status st = silences_.Expire(id);
  if (st.code() == Status::Code::kNotFound) {
    resp.SetJson(404, "");
  } else if (!st.ok()) {
    ErrorString(resp, 500, st.message());
  } else {
    resp.SetJson(200, "");
  }
}

void Alertmanager::GetHistory(http::Request& req, http::Response& resp) {
  size_t limit = 100;
  if (req.HasParam("limit")) {
    auto n = ParseInt(req.Param("limit"));
    if (!n.ok() || *n <= 0) {
      ErrorString(resp, 400, fmt::format("invalid limit {}", Quote(req.Param("limit"))));
      return;
    }
    limit = static_cast<size_t>(std::min<int64_t>(*n, 10000));
  }
  std::string out = "[";
  bool first = true;
  for (const auto& r : history_.Query(std::string(req.Param("alertname")), std::string(req.Param("receiver")), limit)) {
    if (!first) out += ",";
    first = false;
    out += HistoryToJson(r);
  }
  resp.SetJson(200, out + "]");
}

void Alertmanager::PostTestReceiver(http::Request& req, http::Response& resp) {
  std::string name(req.Param("receiver"));
  auto res = TestReceiver(name);
  if (!res.ok()) {
    ErrorString(resp, http::HttpStatusFor(res.status()), res.status().message());  // 404 or 503
    return;
  }
  ojson results = ojson::array();
  for (const auto& r : res->results) {
    results.push_back({{"target", r.target},
                       {"ok", r.status.ok()},
                       {"error", r.status.message()},
                       {"httpStatus", r.http_status},
                       {"payload", r.payload},
                       {"response", r.response}});
  }
  resp.SetJson(200, ojson{{"receiver", name}, {"groupKey", res->data.group_key}, {"results", results}}.dump());
}

}  // namespace sremon::alertmanager
