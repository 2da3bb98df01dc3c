// The web UI at / : server-rendered pages (no external assets) over the same state as the API.
// Forms post to small UI endpoints or call the v2 API with fetch.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "alertmanager/alertmanager.h"
#include "http/page.h"
#include "util/go_compat.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::alertmanager {

namespace {

// What only these pages need on top of the stack's shared look (http/page.h).
constexpr const char* kStyle =
    ".lbl{display:inline-block;background:#e8eefc;border-radius:4px;padding:1px 6px;margin:2px;"
    "font-size:13px}"
    ".suppressed{color:#888;font-weight:600}"
    "table{border-collapse:collapse;width:100%}td,th{border:0;border-bottom:1px solid #eee;padding:4px 6px;"
    "text-align:left;vertical-align:top;font-size:14px}"
    "pre{background:#f0f0f0;padding:8px;overflow:auto;max-height:300px;font-size:12px}"
    "button,input[type=submit]{cursor:pointer}input[type=text]{width:100%;box-sizing:border-box}"
    ".ann{color:#444;font-size:13px;margin:2px 0 0 8px}";

std::string Page(const std::string& title, const std::string& body) {
  static const std::vector<http::PageLink> kOwn = {{"Alerts", "/"},         {"Silences", "/silences"},
                                                   {"History", "/history"}, {"Status", "/status"},
                                                   {"flags", "/flags"},     {"metrics", "/metrics"}};
  return http::PageStart("alertmanager", title, kOwn, kStyle) + body + http::PageEnd();
}

std::string LabelChips(const model::Labels& ls) {
  std::string out;
  for (const auto& l : ls) out += "<span class=lbl>" + HtmlEscape(l.name) + "=\"" + HtmlEscape(l.value) + "\"</span>";
  return out;
}

std::string MatchersText(const Matchers& ms) {
  std::vector<std::string> parts;
  for (const auto& m : ms) parts.push_back(MatcherString(m));
  return Join(parts, ", ");
}

std::string Time(int64_t ms) { return ms == 0 ? "-" : FormatRfc3339Ms(ms); }

}  // namespace

void Alertmanager::RegisterUi(http::Server& server) {
  server.Route("GET", "/", [this](http::Request& req, http::Response& resp) {
    auto rt = runtime();
    int64_t now = NowMs();
    auto groups = rt->dispatcher->Groups();
    std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    std::string body = "<h2>Alerts</h2><p>Grouped as the route tree groups them. Firing alerts; "
                       "suppressed ones are marked.</p>";
    int shown = 0;
    for (const auto& g : groups) {
      std::string rows;
      auto alerts = g.alerts;
      std::sort(alerts.begin(), alerts.end(), AlertLess);
      for (const auto& a : alerts) {
        if (a.ResolvedAt(now)) continue;
        auto sil = silences_.Mutes(a.labels, now);
        auto inh = rt->inhibitor->Mutes(a.labels, now);
        std::string state = !sil.empty() || inh ? "<span class=suppressed>suppressed</span>" : "<span class=firing>firing</span>";
        std::string ann;
        for (const auto& [k, v] : a.annotations) ann += "<div class=ann><b>" + HtmlEscape(k) + ":</b> " + HtmlEscape(v) + "</div>";
        std::vector<std::string> ms;
        for (const auto& l : a.labels) ms.push_back(l.name + "=" + Quote(l.value));
        std::string silence_link = "/silences/new?matchers=" + http::UrlEncode(Join(ms, ", "));
        rows += "<tr><td>" + state + "</td><td>" + LabelChips(a.labels) + ann + "</td><td>since " +
                HtmlEscape(Time(a.starts_at)) + "</td><td><a href=\"" + HtmlEscape(silence_link) +
                "\">Silence</a></td></tr>";
        ++shown;
      }
      if (rows.empty()) continue;
      body += "<div class=card><div><b>Receiver:</b> " + HtmlEscape(g.route->opts().receiver) +
              " &nbsp; <b>Group:</b> " + (g.labels.empty() ? std::string("(all)") : LabelChips(g.labels)) +
              "</div><table>" + rows + "</table></div>";
    }
    if (shown == 0) body += "<div class=card>No firing alerts.</div>";
    resp.SetHtml(200, Page("Alerts", body));
  });

  server.Route("GET", "/silences", [this](http::Request&, http::Response& resp) {
    int64_t now = NowMs();
    auto all = silences_.List();
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.ends_at > b.ends_at; });
    std::string rows;
    for (const auto& s : all) {
      auto state = StateOf(s, now);
      std::string actions = "<a href=\"/silences/new?id=" + HtmlEscape(s.id) + "\">Edit</a>";
      if (state != SilenceState::kExpired) {
        actions += " <button onclick=\"expire('" + HtmlEscape(s.id) + "')\">Expire</button>";
      }
      rows += "<tr><td>" + std::string(SilenceStateName(state)) + "</td><td><code>" + HtmlEscape(MatchersText(s.matchers)) +
              "</code></td><td>" + HtmlEscape(Time(s.starts_at)) + "<br>" + HtmlEscape(Time(s.ends_at)) + "</td><td>" +
              HtmlEscape(s.created_by) + "</td><td>" + HtmlEscape(s.comment) + "</td><td>" + actions + "</td></tr>";
    }
    std::string body =
        "<h2>Silences</h2><p><a href=\"/silences/new\">New silence</a></p><div class=card><table><tr><th>State</th>"
        "<th>Matchers</th><th>Start / end</th><th>Created by</th><th>Comment</th><th></th></tr>" +
        rows +
        "</table></div><script>async function expire(id){const r=await fetch('/api/v2/silence/'+id,{method:'DELETE'});"
        "if(!r.ok)alert(await r.text());location.reload();}</script>";
    resp.SetHtml(200, Page("Silences", body));
  });

  server.Route("GET", "/silences/new", [this](http::Request& req, http::Response& resp) {
    std::string id(req.Param("id"));
    std::string matchers(req.Param("matchers"));
    int64_t now = NowMs();
    std::string start = FormatRfc3339Ms(now), end = FormatRfc3339Ms(now + 2 * 3600 * 1000);
    std::string created_by, comment;
    if (!id.empty()) {
      auto s = silences_.Get(id);
      if (s.ok()) {
        matchers = MatchersText(s->matchers);
        start = FormatRfc3339Ms(std::max(s->starts_at, now));
        end = FormatRfc3339Ms(s->ends_at);
        created_by = s->created_by;
        comment = s->comment;
      }
    }
    std::string body =
        "<h2>" + std::string(id.empty() ? "New silence" : "Edit silence") +
        "</h2><div class=card><form id=f><input type=hidden name=id value=\"" + HtmlEscape(id) +
        "\"><p>Matchers (e.g. <code>alertname=\"X\", job=~\"a|b\"</code>)<input type=text name=matchers value=\"" +
        HtmlEscape(matchers) + "\"></p><p>Start (RFC 3339)<input type=text name=startsAt value=\"" + HtmlEscape(start) +
        "\"></p><p>End (RFC 3339)<input type=text name=endsAt value=\"" + HtmlEscape(end) +
        "\"></p><p>Created by<input type=text name=createdBy value=\"" + HtmlEscape(created_by) +
        "\"></p><p>Comment<input type=text name=comment value=\"" + HtmlEscape(comment) +
        "\"></p><input type=submit value=Save></form><p id=msg></p></div>"
        R"(<script>
document.getElementById('f').onsubmit=async function(e){e.preventDefault();const f=new FormData(this);
const r=await fetch('/ui/parse-matchers?matchers='+encodeURIComponent(f.get('matchers')));const ms=await r.json();
if(!r.ok){document.getElementById('msg').textContent=ms;return;}
const body={matchers:ms,startsAt:f.get('startsAt'),endsAt:f.get('endsAt'),createdBy:f.get('createdBy'),comment:f.get('comment')};
if(f.get('id'))body.id=f.get('id');
const p=await fetch('/api/v2/silences',{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(body)});
if(p.ok){location.href='/silences';}else{document.getElementById('msg').textContent=await p.text();}};
</script>)";
    resp.SetHtml(200, Page("Silence", body));
  });

  // Turns the matcher text of the silence form into API matchers (one parser for both).
  server.Route("GET", "/ui/parse-matchers", [](http::Request& req, http::Response& resp) {
    auto ms = ParseMatchers(req.Param("matchers"));
    if (!ms.ok()) {
      resp.SetJson(400, "\"" + ms.status().message() + "\"");
      return;
    }
    std::string out = "[";
    for (size_t i = 0; i < ms->size(); ++i) {
      const auto& m = (*ms)[i];
      bool regex = m.type() == model::MatchType::kRegexMatch || m.type() == model::MatchType::kRegexNoMatch;
      bool equal = m.type() == model::MatchType::kEqual || m.type() == model::MatchType::kRegexMatch;
      if (i) out += ",";
      out += "{\"name\":";
      AppendJsonString(&out, m.name());
      out += ",\"value\":";
      AppendJsonString(&out, m.value());
      out += fmt::format(",\"isRegex\":{},\"isEqual\":{}}}", regex, equal);
    }
    resp.SetJson(200, out + "]");
  });

  server.Route("GET", "/history", [this](http::Request& req, http::Response& resp) {
    std::string alertname(req.Param("alertname")), receiver(req.Param("receiver"));
    std::string rows;
    for (const auto& r : history_.Query(alertname, receiver, 200)) {
      std::string alerts;
      for (const auto& a : r.alerts) alerts += "<div>" + LabelChips(a.labels) + "</div>";
      rows += "<tr><td>" + HtmlEscape(FormatRfc3339Ms(r.time)) + "</td><td>" + HtmlEscape(r.receiver) + "<br>" +
              HtmlEscape(r.integration) + (r.test ? " (test)" : "") + "</td><td class=" + HtmlEscape(r.status) + ">" +
              HtmlEscape(r.status) + "</td><td>" + alerts + "</td><td>" +
              (r.last().ok ? std::string("<span class=resolved>ok</span>")
                           : "<span class=firing>" + HtmlEscape(r.last().error) + "</span>") +
              (r.last().http_status ? fmt::format(" ({})", r.last().http_status) : "") + " attempt " +
              std::to_string(r.attempts_total) +
              "</td><td><details><summary>payload" +
              (r.payload.size() < r.payload_bytes ? fmt::format(" (first {} of {} bytes)", r.payload.size(), r.payload_bytes)
                                                  : std::string()) +
              "</summary><pre>" + HtmlEscape(r.payload) + "</pre></details></td></tr>";
    }
    std::string body = "<h2>Notification history</h2><div class=card><form>Alert name <input name=alertname value=\"" +
                       HtmlEscape(alertname) + "\" style=\"width:200px\"> Receiver <input name=receiver value=\"" +
                       HtmlEscape(receiver) +
                       "\" style=\"width:200px\"> <input type=submit value=Filter></form></div><div class=card><table>"
                       "<tr><th>Time</th><th>Receiver</th><th>Status</th><th>Alerts</th><th>Result</th><th></th></tr>" +
                       rows + "</table></div>";
    resp.SetHtml(200, Page("History", body));
  });

  server.Route("GET", "/status", [this](http::Request&, http::Response& resp) {
    auto rt = runtime();
    std::string receivers;
    for (const auto& r : rt->config->receivers) {
      receivers += "<tr><td>" + HtmlEscape(r.name) + "</td><td>" +
                   fmt::format("{} webhook, {} email, {} slack", r.webhooks.size(), r.emails.size(), r.slacks.size()) +
                   "</td><td><button onclick=\"testReceiver('" + HtmlEscape(r.name) +
                   "')\">Send test notification</button></td></tr>";
    }
    std::string body =
        "<h2>Status</h2><div class=card>Up since " + HtmlEscape(FormatRfc3339Ms(start_ms_)) + ". Config file: <code>" +
        HtmlEscape(rt->config->path) + "</code>. Cluster: disabled (single node).</div>"
        "<h3>Receivers</h3><div class=card><table>" + receivers +
        "</table><pre id=test style=\"display:none\"></pre></div><h3>Configuration</h3><div class=card><pre>" +
        HtmlEscape(DumpConfig(*rt->config)) + "</pre></div>" +
        R"(<script>async function testReceiver(n){const e=document.getElementById('test');e.style.display='block';
e.textContent='sending...';const r=await fetch('/api/v2/receivers/test?receiver='+encodeURIComponent(n),{method:'POST'});
e.textContent=JSON.stringify(await r.json(),null,2);}</script>)";
    resp.SetHtml(200, Page("Status", body));
  });
}

void Alertmanager::RegisterRoutes(http::Server& server) {
  RegisterApi(server);
  RegisterUi(server);
}

}  // namespace sremon::alertmanager
