// The web UI at / : server-rendered pages (no external assets) over the same state as the API.
// Forms post to small UI endpoints or call the v2 API with fetch. One function per page and per
// repeated part; the handlers at the end only gather data.
//
// Escaping: markup is only ever the literal format strings of Html() below; every value given
// to Html() is escaped unless it is Markup that Html() made. Values go into element text or
// double-quoted attributes (URL parameters are URL-encoded first), never into a script.
#include "alertmanager/ui.h"

#include <fmt/format.h>

#include <algorithm>
#include <concepts>

#include "alertmanager/alertmanager.h"
#include "http/page.h"
#include "util/go_compat.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::alertmanager {

namespace ui {
namespace {

// HTML this file wrote; any other string put into a page is text.
struct Markup {
  std::string html;
  Markup& operator+=(const Markup& m) {
    html += m.html;
    return *this;
  }
};

std::string Escaped(std::string_view text) { return HtmlEscape(text); }
const std::string& Escaped(const Markup& m) { return m.html; }
template <std::integral N>
N Escaped(N n) {  // numbers need no escaping
  return n;
}
void Escaped(char) = delete;  // a character is text: pass a string

// The one way values enter a page: `tmpl` is literal markup, every argument is escaped.
template <typename... Args>
Markup Html(fmt::format_string<decltype(Escaped(std::declval<const Args&>()))...> tmpl, const Args&... args) {
  return {fmt::format(tmpl, Escaped(args)...)};
}

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

std::string Page(const std::string& title, const Markup& body) {
  static const std::vector<http::PageLink> kOwn = {{"Alerts", "/"},         {"Silences", "/silences"},
                                                   {"History", "/history"}, {"Status", "/status"},
                                                   {"flags", "/flags"},     {"metrics", "/metrics"}};
  return http::PageStart("alertmanager", title, kOwn, kStyle) + body.html + http::PageEnd();
}

Markup LabelChips(const model::Labels& ls) {
  Markup out;
  for (const auto& l : ls) out += Html("<span class=lbl>{}=\"{}\"</span>", l.name, l.value);
  return out;
}

std::string MatchersText(const Matchers& ms) {
  std::vector<std::string> parts;
  for (const auto& m : ms) parts.push_back(MatcherString(m));
  return Join(parts, ", ");
}

std::string Time(int64_t ms) { return ms == 0 ? "-" : FormatRfc3339Ms(ms); }

// --- Alerts -------------------------------------------------------------------------------

Markup AlertRowHtml(const AlertRow& row) {
  const Alert& a = row.alert;
  Markup annotations;
  for (const auto& [k, v] : a.annotations) annotations += Html("<div class=ann><b>{}:</b> {}</div>", k, v);
  std::vector<std::string> matchers;
  for (const auto& l : a.labels) matchers.push_back(l.name + "=" + Quote(l.value));
  std::string silence_link = "/silences/new?matchers=" + http::UrlEncode(Join(matchers, ", "));
  Markup state = row.suppressed ? Markup{"<span class=suppressed>suppressed</span>"}
                                : Markup{"<span class=firing>firing</span>"};
  return Html("<tr><td>{}</td><td>{}{}</td><td>since {}</td><td><a href=\"{}\">Silence</a></td></tr>", state,
              LabelChips(a.labels), annotations, Time(a.starts_at), silence_link);
}

Markup AlertGroupHtml(const AlertGroupRows& g) {
  Markup rows;
  for (const auto& row : g.alerts) rows += AlertRowHtml(row);
  return Html("<div class=card><div><b>Receiver:</b> {} &nbsp; <b>Group:</b> {}</div><table>{}</table></div>",
              g.receiver, g.labels.empty() ? Markup{"(all)"} : LabelChips(g.labels), rows);
}

// --- Silences -----------------------------------------------------------------------------

Markup SilenceRowHtml(const Silence& s, int64_t now) {
  SilenceState state = StateOf(s, now);
  Markup actions = Html("<a href=\"/silences/new?id={}\">Edit</a>", http::UrlEncode(s.id));
  if (state != SilenceState::kExpired) {
    actions += Html(" <button data-id=\"{}\" onclick=\"expire(this.dataset.id)\">Expire</button>", s.id);
  }
  return Html(
      "<tr><td>{}</td><td><code>{}</code></td><td>{}<br>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
      SilenceStateName(state), MatchersText(s.matchers), Time(s.starts_at), Time(s.ends_at), s.created_by,
      s.comment, actions);
}

constexpr const char* kExpireScript =
    "<script>async function expire(id){const r=await fetch('/api/v2/silence/'+encodeURIComponent(id),"
    "{method:'DELETE'});if(!r.ok)alert(await r.text());location.reload();}</script>";

// The form posts the matcher text to /ui/parse-matchers, then the silence to the v2 API.
constexpr const char* kSilenceFormScript = R"(<script>
document.getElementById('f').onsubmit=async function(e){e.preventDefault();const f=new FormData(this);
const r=await fetch('/ui/parse-matchers?matchers='+encodeURIComponent(f.get('matchers')));const ms=await r.json();
if(!r.ok){document.getElementById('msg').textContent=ms;return;}
const body={matchers:ms,startsAt:f.get('startsAt'),endsAt:f.get('endsAt'),createdBy:f.get('createdBy'),comment:f.get('comment')};
if(f.get('id'))body.id=f.get('id');
const p=await fetch('/api/v2/silences',{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(body)});
if(p.ok){location.href='/silences';}else{document.getElementById('msg').textContent=await p.text();}};
</script>)";

// --- History ------------------------------------------------------------------------------

Markup HistoryRowHtml(const HistoryRecord& r) {
  Markup alerts;
  for (const auto& a : r.alerts) alerts += Html("<div>{}</div>", LabelChips(a.labels));
  const HistoryAttempt& last = r.last();
  Markup result =
      last.ok ? Markup{"<span class=resolved>ok</span>"} : Html("<span class=firing>{}</span>", last.error);
  if (last.http_status) result += Html(" ({})", last.http_status);
  result += Html(" attempt {}", r.attempts_total);
  Markup excerpt;
  if (r.payload.size() < r.payload_bytes)
    excerpt = Html(" (first {} of {} bytes)", r.payload.size(), r.payload_bytes);
  return Html(
      "<tr><td>{}</td><td>{}<br>{}{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td>"
      "<td><details><summary>payload{}</summary><pre>{}</pre></details></td></tr>",
      FormatRfc3339Ms(r.time), r.receiver, r.integration, r.test ? " (test)" : "", r.status, r.status, alerts,
      result, excerpt, r.payload);
}

// --- Status -------------------------------------------------------------------------------

Markup ReceiverRowHtml(const Receiver& r) {
  return Html(
      "<tr><td>{}</td><td>{} webhook, {} email, {} slack</td><td><button data-receiver=\"{}\" "
      "onclick=\"testReceiver(this.dataset.receiver)\">Send test notification</button></td></tr>",
      r.name, r.webhooks.size(), r.emails.size(), r.slacks.size(), r.name);
}

constexpr const char* kTestReceiverScript =
    R"(<script>async function testReceiver(n){const e=document.getElementById('test');e.style.display='block';
e.textContent='sending...';const r=await fetch('/api/v2/receivers/test?receiver='+encodeURIComponent(n),{method:'POST'});
e.textContent=JSON.stringify(await r.json(),null,2);}</script>)";

}  // namespace

std::string AlertsPage(const std::vector<AlertGroupRows>& groups) {
  Markup body{
      "<h2>Alerts</h2><p>Grouped as the route tree groups them. Firing alerts; suppressed ones are "
      "marked.</p>"};
  bool any = false;
  for (const auto& g : groups) {
    if (g.alerts.empty()) continue;
    body += AlertGroupHtml(g);
    any = true;
  }
  if (!any) body += Markup{"<div class=card>No firing alerts.</div>"};
  return Page("Alerts", body);
}

std::string SilencesPage(const std::vector<Silence>& silences, int64_t now) {
  Markup rows;
  for (const auto& s : silences) rows += SilenceRowHtml(s, now);
  return Page(
      "Silences",
      Html("<h2>Silences</h2><p><a href=\"/silences/new\">New silence</a></p><div class=card><table><tr>"
           "<th>State</th><th>Matchers</th><th>Start / end</th><th>Created by</th><th>Comment</th><th></th>"
           "</tr>{}</table></div>{}",
           rows, Markup{kExpireScript}));
}

std::string SilenceFormPage(const SilenceForm& f) {
  return Page("Silence", Html("<h2>{}</h2><div class=card><form id=f><input type=hidden name=id value=\"{}\">"
                              "<p>Matchers (e.g. <code>alertname=\"X\", job=~\"a|b\"</code>)"
                              "<input type=text name=matchers value=\"{}\"></p>"
                              "<p>Start (RFC 3339)<input type=text name=startsAt value=\"{}\"></p>"
                              "<p>End (RFC 3339)<input type=text name=endsAt value=\"{}\"></p>"
                              "<p>Created by<input type=text name=createdBy value=\"{}\"></p>"
                              "<p>Comment<input type=text name=comment value=\"{}\"></p>"
                              "<input type=submit value=Save></form><p id=msg></p></div>{}",
                              f.id.empty() ? "New silence" : "Edit silence", f.id, f.matchers, f.starts_at,
                              f.ends_at, f.created_by, f.comment, Markup{kSilenceFormScript}));
}

std::string HistoryPage(std::string_view alertname, std::string_view receiver,
                        const std::vector<HistoryRecord>& records) {
  Markup rows;
  for (const auto& r : records) rows += HistoryRowHtml(r);
  return Page(
      "History",
      Html("<h2>Notification history</h2><div class=card><form>Alert name <input name=alertname "
           "value=\"{}\" style=\"width:200px\"> Receiver <input name=receiver value=\"{}\" "
           "style=\"width:200px\"> <input type=submit value=Filter></form></div><div class=card><table>"
           "<tr><th>Time</th><th>Receiver</th><th>Status</th><th>Alerts</th><th>Result</th><th></th></tr>"
           "{}</table></div>",
           alertname, receiver, rows));
}

std::string StatusPage(int64_t start_ms, const Config& config) {
  Markup receivers;
  for (const auto& r : config.receivers) receivers += ReceiverRowHtml(r);
  return Page(
      "Status",
      Html("<h2>Status</h2><div class=card>Up since {}. Config file: <code>{}</code>. Cluster: disabled "
           "(single node).</div><h3>Receivers</h3><div class=card><table>{}</table>"
           "<pre id=test style=\"display:none\"></pre></div><h3>Configuration</h3><div class=card><pre>{}"
           "</pre></div>{}",
           FormatRfc3339Ms(start_ms), config.path, receivers, DumpConfig(config),
           Markup{kTestReceiverScript}));
}

std::string ParseMatchersJson(std::string_view text, int* http_status) {
  std::string out;
  auto ms = ParseMatchers(text);
  if (!ms.ok()) {
    *http_status = 400;
    AppendJsonString(&out, ms.status().message());
    return out;
  }
  *http_status = 200;
  out = "[";
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
  return out + "]";
}

}  // namespace ui

void Alertmanager::RegisterUi(http::Server& server) {
  server.Route("GET", "/", [this](http::Request&, http::Response& resp) {
    auto rt = runtime();
    int64_t now = NowMs();
    auto groups = rt->dispatcher->Groups();
    std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    std::vector<ui::AlertGroupRows> shown;
    for (auto& g : groups) {
      std::sort(g.alerts.begin(), g.alerts.end(), AlertLess);
      ui::AlertGroupRows rows{g.route->opts().receiver, g.labels, {}};
      for (auto& a : g.alerts) {
        if (a.ResolvedAt(now)) continue;
        bool suppressed = !silences_.Mutes(a.labels, now).empty() || rt->inhibitor->Mutes(a.labels, now);
        rows.alerts.push_back({std::move(a), suppressed});
      }
      shown.push_back(std::move(rows));
    }
    resp.SetHtml(200, ui::AlertsPage(shown));
  });

  server.Route("GET", "/silences", [this](http::Request&, http::Response& resp) {
    auto all = silences_.List();
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.ends_at > b.ends_at; });
    resp.SetHtml(200, ui::SilencesPage(all, NowMs()));
  });

  server.Route("GET", "/silences/new", [this](http::Request& req, http::Response& resp) {
    int64_t now = NowMs();
    ui::SilenceForm form{std::string(req.Param("id")),
                         std::string(req.Param("matchers")),
                         FormatRfc3339Ms(now),
                         FormatRfc3339Ms(now + 2 * 3600 * 1000),
                         "",
                         ""};
    if (!form.id.empty()) {
      if (auto s = silences_.Get(form.id); s.ok()) {
        form.matchers = ui::MatchersText(s->matchers);
        form.starts_at = FormatRfc3339Ms(std::max(s->starts_at, now));
        form.ends_at = FormatRfc3339Ms(s->ends_at);
        form.created_by = s->created_by;
        form.comment = s->comment;
      }
    }
    resp.SetHtml(200, ui::SilenceFormPage(form));
  });

  // Turns the matcher text of the silence form into API matchers (one parser for both).
  server.Route("GET", "/ui/parse-matchers", [](http::Request& req, http::Response& resp) {
    int status = 200;
    std::string body = ui::ParseMatchersJson(req.Param("matchers"), &status);
    resp.SetJson(status, body);
  });

  server.Route("GET", "/history", [this](http::Request& req, http::Response& resp) {
    std::string alertname(req.Param("alertname")), receiver(req.Param("receiver"));
    resp.SetHtml(200, ui::HistoryPage(alertname, receiver, history_.Query(alertname, receiver, 200)));
  });

  server.Route("GET", "/status", [this](http::Request&, http::Response& resp) {
    resp.SetHtml(200, ui::StatusPage(start_ms_, *runtime()->config));
  });
}

void Alertmanager::RegisterRoutes(http::Server& server) {
  RegisterApi(server);
  RegisterUi(server);
}

}  // namespace sremon::alertmanager
