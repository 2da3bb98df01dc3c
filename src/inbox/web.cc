#include "inbox/web.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "http/access.h"
#include "http/page.h"
#include "http/status_code.h"
#include "obs/metrics.h"
#include "util/json.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::inbox {

namespace {

using json = nlohmann::json;

std::string Chips(const json& obj) {
  std::string out;
  if (!obj.is_object()) return out;
  for (const auto& [k, v] : obj.items()) {
    out += "<span class=lbl>" + HtmlEscape(k) + "=\"" + HtmlEscape(v.is_string() ? v.get<std::string>() : v.dump()) +
           "\"</span>";
  }
  return out;
}

// Bodies stored before the depth limit existed may nest arbitrarily deep: they are shown as
// their raw text (ParseJson refuses them), never walked or dumped recursively.
std::string RenderOne(const Notification& n) {
  auto parsed = ParseJson(n.body);
  json j = parsed.ok() ? std::move(*parsed) : json();
  std::string head = fmt::format("<div class=meta>#{} &middot; {} &middot; POST {}</div>", n.id,
                                 HtmlEscape(FormatRfc3339Ms(n.received_ms)), HtmlEscape(n.path));
  // An Alertmanager webhook message (version 4): show status, alerts, labels, annotations.
  if (j.is_object() && j.contains("alerts") && j["alerts"].is_array()) {
    std::string status = j.value("status", "");
    std::string body = head + "<div><span class=" + HtmlEscape(status) + ">" + HtmlEscape(status) + "</span> " +
                       HtmlEscape(j.value("receiver", "")) + " &middot; group " + Chips(j.value("groupLabels", json::object())) +
                       "</div><table>";
    for (const auto& a : j["alerts"]) {
      if (!a.is_object()) continue;
      std::string st = a.value("status", "");
      std::string ann;
      if (a.contains("annotations") && a["annotations"].is_object()) {
        for (const auto& [k, v] : a["annotations"].items()) {
          ann += "<div class=ann><b>" + HtmlEscape(k) + ":</b> " + HtmlEscape(v.is_string() ? v.get<std::string>() : v.dump()) + "</div>";
        }
      }
      body += "<tr><td class=" + HtmlEscape(st) + ">" + HtmlEscape(st) + "</td><td>" +
              Chips(a.value("labels", json::object())) + ann + "</td><td>" + HtmlEscape(a.value("startsAt", "")) +
              (st == "resolved" ? "<br>to " + HtmlEscape(a.value("endsAt", "")) : "") + "</td></tr>";
    }
    return "<div class=card>" + body + "</table></div>";
  }
  return "<div class=card>" + head + "<pre>" + HtmlEscape(parsed.ok() ? j.dump(2) : n.body) + "</pre></div>";
}

}  // namespace

std::string RenderPage(const std::vector<Notification>& newest_first) {
  std::string body;
  for (const auto& n : newest_first) body += RenderOne(n);
  if (newest_first.empty()) body = "<div class=card>No notifications yet. POST JSON to /webhook.</div>";
  // What only this page needs on top of the stack's shared look (http/page.h).
  constexpr std::string_view kStyle =
      ".meta{color:#666;font-size:12px}"
      ".lbl{display:inline-block;background:#e8eefc;border-radius:4px;padding:1px 6px;margin:2px;"
      "font-size:13px}"
      ".ann{font-size:13px;color:#444;margin-left:8px}"
      "td{vertical-align:top;padding:3px 6px;border:0;border-bottom:1px solid #eee;font-size:14px}"
      "table{border-collapse:collapse;width:100%}"
      "pre{background:#f0f0f0;padding:6px;overflow:auto;font-size:12px}";
  static const std::vector<http::PageLink> kOwn = {
      {"notifications", "/"}, {"JSON", "/api/notifications"}, {"flags", "/flags"}, {"metrics", "/metrics"}};
  return http::PageStart("inbox", "Notifications", kOwn, kStyle) + "<p class=meta>" +
         std::to_string(newest_first.size()) + " notifications, newest first</p>" + body + http::PageEnd();
}

void RegisterRoutes(http::Server& server, Inbox* inbox) {
  static auto& received = prometheus::BuildCounter()
                              .Name("sremon_inbox_notifications_received_total")
                              .Help("Notifications received, by result.")
                              .Register(obs::Registry());
  static auto& ok = received.Add({{"result", "stored"}});
  static auto& bad = received.Add({{"result", "invalid"}});
  server.RoutePrefix("POST", "/", http::StateChanging([inbox](http::Request& req, http::Response& resp) {
    auto id = inbox->Add(req.path, req.body);
    if (!id.ok()) {
      bad.Increment();
      resp.SetJson(http::HttpStatusFor(id.status()),
                   json{{"status", "error"}, {"error", id.status().message()}}.dump());
      return;
    }
    ok.Increment();
    resp.SetJson(200, json{{"status", "ok"}, {"id", *id}}.dump());
  }), /*blocking=*/true);
  server.Route("GET", "/", [inbox](http::Request&, http::Response& resp) {
    auto list = inbox->List(0, 0, 200);
    std::reverse(list.begin(), list.end());
    resp.SetHtml(200, RenderPage(list));
  }, /*blocking=*/true);
  server.Route("GET", "/api/notifications", [inbox](http::Request& req, http::Response& resp) {
    int64_t since_id = 0, since_ms = 0, limit = 100;
    std::string since(req.Param("since"));
    if (!since.empty()) {
      // An id (small integer) or a time (Unix seconds or RFC 3339).
      auto n = ParseInt(since);
      if (n.ok() && *n < 1000000000) {
        since_id = *n;
      } else {
        auto t = ParseTimeParam(since);
        if (!t.ok()) {
          resp.SetJson(400, json{{"status", "error"}, {"error", "invalid since: " + t.status().message()}}.dump());
          return;
        }
        since_ms = *t;
      }
    }
    if (req.HasParam("limit")) {
      auto n = ParseInt(req.Param("limit"));
      if (!n.ok() || *n <= 0) {
        resp.SetJson(400, json{{"status", "error"}, {"error", "invalid limit"}}.dump());
        return;
      }
      limit = std::min<int64_t>(*n, 10000);
    }
    json arr = json::array();
    for (const auto& n : inbox->List(since_id, since_ms, limit)) {
      auto payload = ParseJson(n.body);
      json item = {{"id", n.id}, {"receivedAt", FormatRfc3339Ms(n.received_ms)}, {"path", n.path}, {"payload", nullptr}};
      // A body stored before the depth limit existed: named, not rendered.
      if (payload.ok()) {
        item["payload"] = std::move(*payload);
      } else {
        item["error"] = "payload not shown: " + payload.status().message();
      }
      arr.push_back(std::move(item));
    }
    resp.SetJson(200, json{{"status", "success"}, {"notifications", arr}}.dump());
  }, /*blocking=*/true);
}

}  // namespace sremon::inbox
