#include "alertmanager/config.h"

#include "http/http.h"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include "http/http.h"
#include "model/labels.h"
#include "util/strings.h"
#include "util/time.h"
#include "util/yaml.h"

namespace sremon::alertmanager {

namespace {

// Receiver types upstream has and sremon does not implement: a config using them is refused
// with a clear message instead of silently dropping notifications.
const std::set<std::string> kUnsupportedReceivers = {
    "pagerduty_configs", "opsgenie_configs",  "victorops_configs", "pushover_configs", "wechat_configs",
    "sns_configs",       "telegram_configs",  "discord_configs",   "webex_configs"};

// Thrown inside the parser only; ParseConfig turns it into a Status (one error type, one place).
struct ConfigError {
  std::string message;
};

class Parser {
 public:
  explicit Parser(std::string filename) : filename_(std::move(filename)) {}

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& msg) const { Fail(YamlLine(node), msg); }
  [[noreturn]] void Fail(int line, const std::string& msg) const { throw ConfigError{YamlMessage(filename_, line, msg)}; }

  // Strict decoding as upstream's UnmarshalStrict: unknown keys are errors.
  void CheckKeys(const YAML::Node& node, std::initializer_list<std::string_view> allowed, std::string_view type) const {
    if (!node.IsMap()) Fail(node, fmt::format("cannot unmarshal {} into {}", Kind(node), type));
    for (const auto& kv : node) {
      std::string k = kv.first.Scalar();
      bool ok = false;
      for (auto a : allowed) ok = ok || a == k;
      if (!ok) Fail(kv.first, fmt::format("field {} not found in type {}", k, type));
    }
  }

  static std::string Kind(const YAML::Node& n) {
    if (n.IsSequence()) return "!!seq";
    if (n.IsMap()) return "!!map";
    if (n.IsNull()) return "!!null";
    return "!!str `" + n.Scalar() + "`";
  }

  std::string Str(const YAML::Node& n) const {
    if (n.IsNull()) return "";
    if (!n.IsScalar()) Fail(n, fmt::format("cannot unmarshal {} into string", Kind(n)));
    return n.Scalar();
  }
  bool Bool(const YAML::Node& n) const {
    std::string s = Str(n);
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "off") return false;
    Fail(n, fmt::format("cannot unmarshal !!str `{}` into bool", s));
  }
  int Int(const YAML::Node& n) const {
    auto v = ParseInt(Str(n));
    if (!v.ok() || *v < 0 || *v > INT32_MAX) Fail(n, fmt::format("cannot unmarshal !!str `{}` into int", Str(n)));
    return static_cast<int>(*v);
  }
  int64_t Duration(const YAML::Node& n) const {
    std::string s = Str(n);
    if (s == "0") return 0;
    auto d = ParseDurationMs(s);
    if (!d.ok()) Fail(n, fmt::format("not a valid duration string: {}", Quote(s)));
    return *d;
  }
  std::vector<std::string> StrList(const YAML::Node& n) const {
    std::vector<std::string> out;
    if (n.IsNull()) return out;
    if (!n.IsSequence()) Fail(n, fmt::format("cannot unmarshal {} into []string", Kind(n)));
    for (const auto& i : n) out.push_back(Str(i));
    return out;
  }
  std::map<std::string, std::string> StrMap(const YAML::Node& n) const {
    std::map<std::string, std::string> out;
    if (n.IsNull()) return out;
    if (!n.IsMap()) Fail(n, fmt::format("cannot unmarshal {} into map[string]string", Kind(n)));
    for (const auto& kv : n) out[Str(kv.first)] = Str(kv.second);
    return out;
  }

  void Url(const YAML::Node& n, std::string* out) const {
    std::string u = Str(n);
    size_t p = u.find("://");
    std::string scheme = p == std::string::npos ? "" : u.substr(0, p);
    if (scheme != "http" && scheme != "https") Fail(n, fmt::format("unsupported scheme {} for URL", Quote(scheme)));
    if (p + 3 >= u.size()) Fail(n, fmt::format("invalid URL {}: missing host", Quote(u)));
    *out = u;
  }

  // match / match_re / matchers of a route or of one side of an inhibit rule.
  void Matchers(const YAML::Node& node, const char* eq_key, const char* re_key, const char* new_key,
                alertmanager::Matchers* out, WrittenMatchers* written) const {
    if (const YAML::Node m = node[eq_key]; m && !m.IsNull()) {
      for (const auto& [k, v] : StrMap(m)) {
        if (!model::IsValidLabelName(k)) Fail(m, fmt::format("invalid label name {}", Quote(k)));
        out->push_back(model::Matcher::Make(model::MatchType::kEqual, k, v).value());
        written->match[k] = v;
      }
    }
    if (const YAML::Node m = node[re_key]; m && !m.IsNull()) {
      for (const auto& [k, v] : StrMap(m)) {
        if (!model::IsValidLabelName(k)) Fail(m, fmt::format("invalid label name {}", Quote(k)));
        auto matcher = model::Matcher::Make(model::MatchType::kRegexMatch, k, v);
        if (!matcher.ok()) Fail(m, fmt::format("error parsing regexp: {}", matcher.status().message()));
        out->push_back(*matcher);
        written->match_re[k] = v;
      }
    }
    if (const YAML::Node m = node[new_key]; m && !m.IsNull()) {
      if (!m.IsSequence()) Fail(m, fmt::format("cannot unmarshal {} into []string", Kind(m)));
      for (const auto& item : m) {
        auto ms = ParseMatchers(Str(item));
        if (!ms.ok()) Fail(item, ms.status().message());
        for (auto& x : *ms) {
          written->matchers.push_back(x);
          out->push_back(std::move(x));
        }
      }
    }
  }

  HttpConfig Http(const YAML::Node& n, const HttpConfig& base) const {
    HttpConfig h = base;
    if (!n || n.IsNull()) return h;
    CheckKeys(n,
              {"basic_auth", "authorization", "bearer_token", "bearer_token_file", "tls_config", "proxy_url",
               "follow_redirects", "enable_http2", "oauth2"},
              "config.HTTPClientConfig");
    int auth_kinds = 0;
    if (const YAML::Node b = n["basic_auth"]) {
      CheckKeys(b, {"username", "password", "password_file"}, "config.BasicAuth");
      h.basic_auth_username = Str(b["username"]);
      h.basic_auth_password = b["password"] ? Str(b["password"]) : "";
      if (b["password_file"]) {
        std::ifstream f(Str(b["password_file"]));
        if (!f) Fail(b["password_file"], fmt::format("cannot read password_file {}", Str(b["password_file"])));
        std::getline(f, h.basic_auth_password);
      }
      h.bearer_token.clear();
      ++auth_kinds;
    }
    if (const YAML::Node t = n["bearer_token"]) {
      h.bearer_token = Str(t);
      ++auth_kinds;
    }
    if (const YAML::Node t = n["bearer_token_file"]) {
      std::ifstream f(Str(t));
      if (!f) Fail(t, fmt::format("cannot read bearer_token_file {}", Str(t)));
      std::getline(f, h.bearer_token);
      ++auth_kinds;
    }
    if (const YAML::Node a = n["authorization"]) {
      CheckKeys(a, {"type", "credentials", "credentials_file"}, "config.Authorization");
      std::string type = a["type"] ? Str(a["type"]) : "Bearer";
      if (type != "Bearer") Fail(a, fmt::format("authorization type {} is not supported by sremon", Quote(type)));
      h.bearer_token = a["credentials"] ? Str(a["credentials"]) : "";
      ++auth_kinds;
    }
    if (n["oauth2"]) Fail(n["oauth2"], "oauth2 is not supported by sremon");
    if (auth_kinds > 1) {
      Fail(n, "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
    }
    if (n["follow_redirects"]) h.follow_redirects = Bool(n["follow_redirects"]);
    return h;
  }

  std::vector<std::string> GroupBy(const YAML::Node& n) const {
    std::vector<std::string> out = StrList(n);
    bool all = false;
    std::set<std::string> seen;
    for (const auto& l : out) {
      if (l == "...") {
        all = true;
        continue;
      }
      if (!model::IsValidLabelName(l)) Fail(n, fmt::format("invalid label name {} in group_by list", Quote(l)));
      if (!seen.insert(l).second) Fail(n, fmt::format("duplicated label {} in group_by", Quote(l)));
    }
    if (all && out.size() > 1) {
      Fail(n, "cannot have wildcard group_by (`...`) and other other labels at the same time");
    }
    return out;
  }

  RouteConfig Route(const YAML::Node& n) const {
    CheckKeys(n,
              {"receiver", "group_by", "match", "match_re", "matchers", "continue", "routes", "group_wait",
               "group_interval", "repeat_interval", "mute_time_intervals", "active_time_intervals"},
              "config.plain");
    RouteConfig r;
    r.line = YamlLine(n);
    if (n["receiver"]) r.receiver = Str(n["receiver"]);
    if (n["group_by"]) r.group_by = GroupBy(n["group_by"]);
    Matchers(n, "match", "match_re", "matchers", &r.matchers, &r.written);
    SortMatchers(&r.matchers);
    if (n["continue"]) r.continue_matching = Bool(n["continue"]);
    if (n["group_wait"]) r.group_wait = Duration(n["group_wait"]);
    if (n["group_interval"]) {
      r.group_interval = Duration(n["group_interval"]);
      if (*r.group_interval == 0) Fail(n["group_interval"], "group_interval cannot be zero");
    }
    if (n["repeat_interval"]) {
      r.repeat_interval = Duration(n["repeat_interval"]);
      if (*r.repeat_interval == 0) Fail(n["repeat_interval"], "repeat_interval cannot be zero");
    }
    if (n["mute_time_intervals"]) r.mute_time_intervals = StrList(n["mute_time_intervals"]);
    if (n["active_time_intervals"]) r.active_time_intervals = StrList(n["active_time_intervals"]);
    if (const YAML::Node routes = n["routes"]; routes && !routes.IsNull()) {
      if (!routes.IsSequence()) Fail(routes, fmt::format("cannot unmarshal {} into []*config.Route", Kind(routes)));
      for (const auto& c : routes) r.routes.push_back(Route(c));
    }
    return r;
  }

  WebhookConfig Webhook(const YAML::Node& n, const GlobalConfig& g) const {
    CheckKeys(n, {"send_resolved", "http_config", "url", "url_file", "max_alerts"}, "config.WebhookConfig");
    WebhookConfig w;
    if (n["send_resolved"]) w.send_resolved = Bool(n["send_resolved"]);
    w.http = Http(n["http_config"], g.http);
    if (n["url"] && !n["url"].IsNull()) {
      Url(n["url"], &w.url);
    } else if (n["url_file"]) {
      std::ifstream f(Str(n["url_file"]));
      if (!f) Fail(n["url_file"], fmt::format("cannot read url_file {}", Str(n["url_file"])));
      std::getline(f, w.url);
    } else {
      Fail(n, "one of url or url_file must be configured");
    }
    if (n["url"] && n["url_file"]) Fail(n, "at most one of url & url_file must be configured");
    if (n["max_alerts"]) w.max_alerts = Int(n["max_alerts"]);
    return w;
  }

  EmailConfig Email(const YAML::Node& n, const GlobalConfig& g) const {
    CheckKeys(n,
              {"send_resolved", "to", "from", "hello", "smarthost", "auth_username", "auth_password",
               "auth_secret", "auth_identity", "headers", "html", "text", "require_tls", "tls_config"},
              "config.EmailConfig");
    EmailConfig e;
    if (n["send_resolved"]) e.send_resolved = Bool(n["send_resolved"]);
    e.to = n["to"] ? Str(n["to"]) : "";
    if (e.to.empty()) Fail(n, "missing to address in email config");
    // Header names are case-insensitive: upstream canonicalizes them and refuses duplicates.
    if (n["headers"]) {
      for (const auto& [k, v] : StrMap(n["headers"])) {
        std::string canon = k;
        bool up = true;
        for (char& c : canon) {
          c = up ? static_cast<char>(toupper(c)) : static_cast<char>(tolower(c));
          up = c == '-';
        }
        if (e.headers.count(canon)) Fail(n["headers"], fmt::format("duplicate header {} in email config", Quote(canon)));
        e.headers[canon] = v;
      }
    }
    e.from = n["from"] ? Str(n["from"]) : g.smtp_from;
    e.smarthost = n["smarthost"] ? Str(n["smarthost"]) : g.smtp_smarthost;
    e.hello = n["hello"] ? Str(n["hello"]) : g.smtp_hello;
    e.auth_username = n["auth_username"] ? Str(n["auth_username"]) : g.smtp_auth_username;
    e.auth_password = n["auth_password"] ? Str(n["auth_password"]) : g.smtp_auth_password;
    e.auth_identity = n["auth_identity"] ? Str(n["auth_identity"]) : g.smtp_auth_identity;
    e.auth_secret = n["auth_secret"] ? Str(n["auth_secret"]) : g.smtp_auth_secret;
    e.require_tls = n["require_tls"] ? Bool(n["require_tls"]) : g.smtp_require_tls;
    if (const YAML::Node t = n["tls_config"]; t && !t.IsNull()) {
      CheckKeys(t, {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"}, "config.TLSConfig");
      if (t["ca_file"]) e.tls.ca_file = Str(t["ca_file"]);
      if (t["cert_file"]) e.tls.cert_file = Str(t["cert_file"]);
      if (t["key_file"]) e.tls.key_file = Str(t["key_file"]);
      if (t["server_name"]) e.tls.server_name = Str(t["server_name"]);
      if (t["insecure_skip_verify"]) e.tls.insecure_skip_verify = Bool(t["insecure_skip_verify"]);
      if (e.tls.cert_file.empty() != e.tls.key_file.empty()) {
        Fail(t, "exactly one of key or key_file must be configured when a client certificate is specified");
      }
    }
    if (e.smarthost.empty()) Fail(n, "no global SMTP smarthost set");
    if (e.smarthost.find(':') == std::string::npos) {
      Fail(n, fmt::format("address {}: missing port in address", e.smarthost));
    }
    if (e.from.empty()) Fail(n, "no global SMTP from set");
    e.html = n["html"] ? Str(n["html"]) : "{{ template \"email.default.html\" . }}";
    e.text = n["text"] ? Str(n["text"]) : "";
    if (!e.headers.count("Subject")) e.headers["Subject"] = "{{ template \"email.default.subject\" . }}";
    if (!e.headers.count("To")) e.headers["To"] = e.to;
    if (!e.headers.count("From")) e.headers["From"] = e.from;
    return e;
  }

  SlackConfig Slack(const YAML::Node& n, const GlobalConfig& g) const {
    CheckKeys(n,
              {"send_resolved", "http_config", "api_url", "api_url_file", "channel", "username", "color", "title",
               "title_link", "pretext", "text", "fields", "short_fields", "footer", "fallback", "callback_id",
               "icon_emoji", "icon_url", "image_url", "thumb_url", "link_names", "mrkdwn_in", "actions"},
              "config.SlackConfig");
    SlackConfig s;
    if (n["send_resolved"]) s.send_resolved = Bool(n["send_resolved"]);
    s.http = Http(n["http_config"], g.http);
    if (n["api_url"]) {
      Url(n["api_url"], &s.api_url);
    } else {
      s.api_url = g.slack_api_url;
    }
    if (s.api_url.empty()) Fail(n, "no global Slack API URL set either inline or in a file");
    auto get = [&](const char* key, const char* def) { return n[key] ? Str(n[key]) : std::string(def); };
    s.channel = get("channel", "");
    s.username = get("username", "{{ template \"slack.default.username\" . }}");
    s.color = get("color", "{{ if eq .Status \"firing\" }}danger{{ else }}good{{ end }}");
    s.title = get("title", "{{ template \"slack.default.title\" . }}");
    s.title_link = get("title_link", "{{ template \"slack.default.titlelink\" . }}");
    s.pretext = get("pretext", "{{ template \"slack.default.pretext\" . }}");
    s.text = get("text", "{{ template \"slack.default.text\" . }}");
    s.fallback = get("fallback", "{{ template \"slack.default.fallback\" . }}");
    s.icon_emoji = get("icon_emoji", "{{ template \"slack.default.iconemoji\" . }}");
    s.icon_url = get("icon_url", "{{ template \"slack.default.iconurl\" . }}");
    return s;
  }

  Receiver ParseReceiver(const YAML::Node& n, const GlobalConfig& g) const {
    if (!n.IsMap()) Fail(n, fmt::format("cannot unmarshal {} into config.Receiver", Kind(n)));
    Receiver r;
    for (const auto& kv : n) {
      std::string k = kv.first.Scalar();
      if (kUnsupportedReceivers.count(k)) Fail(kv.first, fmt::format("{} are not supported by sremon", k));
      if (k != "name" && k != "webhook_configs" && k != "email_configs" && k != "slack_configs") {
        Fail(kv.first, fmt::format("field {} not found in type config.plain", k));
      }
    }
    r.name = n["name"] ? Str(n["name"]) : "";
    if (r.name.empty()) Fail(n, "missing name in receiver");
    auto each = [&](const char* key, auto fn) {
      const YAML::Node list = n[key];
      if (!list || list.IsNull()) return;
      if (!list.IsSequence()) Fail(list, fmt::format("cannot unmarshal {} into a list of {}", Kind(list), key));
      for (const auto& c : list) fn(c);
    };
    each("webhook_configs", [&](const YAML::Node& c) { r.webhooks.push_back(Webhook(c, g)); });
    each("email_configs", [&](const YAML::Node& c) { r.emails.push_back(Email(c, g)); });
    each("slack_configs", [&](const YAML::Node& c) { r.slacks.push_back(Slack(c, g)); });
    return r;
  }

  GlobalConfig Global(const YAML::Node& n) const {
    GlobalConfig g;
    if (!n || n.IsNull()) return g;
    CheckKeys(n,
              {"resolve_timeout", "http_config", "smtp_from", "smtp_hello", "smtp_smarthost", "smtp_auth_username",
               "smtp_auth_password", "smtp_auth_secret", "smtp_auth_identity", "smtp_require_tls", "slack_api_url",
               "slack_api_url_file", "victorops_api_key", "victorops_api_url", "pagerduty_url", "opsgenie_api_key",
               "opsgenie_api_url", "wechat_api_url", "wechat_api_secret", "wechat_api_corp_id", "telegram_api_url",
               "webex_api_url"},
              "config.GlobalConfig");
    if (n["resolve_timeout"]) g.resolve_timeout = Duration(n["resolve_timeout"]);
    g.http = Http(n["http_config"], HttpConfig{});
    auto str = [&](const char* key, std::string* out) {
      if (n[key]) *out = Str(n[key]);
    };
    str("smtp_from", &g.smtp_from);
    str("smtp_hello", &g.smtp_hello);
    str("smtp_smarthost", &g.smtp_smarthost);
    str("smtp_auth_username", &g.smtp_auth_username);
    str("smtp_auth_password", &g.smtp_auth_password);
    str("smtp_auth_identity", &g.smtp_auth_identity);
    str("smtp_auth_secret", &g.smtp_auth_secret);
    str("opsgenie_api_key", &g.opsgenie_api_key);
    str("wechat_api_secret", &g.wechat_api_secret);
    str("victorops_api_key", &g.victorops_api_key);
    if (n["smtp_require_tls"]) g.smtp_require_tls = Bool(n["smtp_require_tls"]);
    if (n["slack_api_url"]) Url(n["slack_api_url"], &g.slack_api_url);
    return g;
  }

  void CheckRoute(const RouteConfig& r, const Config& c) const {
    if (!r.receiver.empty() && !c.FindReceiver(r.receiver)) {
      Fail(r.line, fmt::format("undefined receiver {} used in route", Quote(r.receiver)));
    }
    for (const auto* list : {&r.mute_time_intervals, &r.active_time_intervals}) {
      for (const auto& name : *list) {
        if (!c.time_intervals.count(name)) Fail(r.line, fmt::format("undefined time interval {} used in route", Quote(name)));
      }
    }
    for (const auto& child : r.routes) CheckRoute(child, c);
  }

  void TimeIntervalsList(const YAML::Node& list, Config* c) const {
    if (!list || list.IsNull()) return;
    if (!list.IsSequence()) Fail(list, fmt::format("cannot unmarshal {} into []config.TimeInterval", Kind(list)));
    for (const auto& item : list) {
      CheckKeys(item, {"name", "time_intervals"}, "config.TimeInterval");
      std::string name = item["name"] ? Str(item["name"]) : "";
      if (name.empty()) Fail(item, "missing name in time interval");
      if (c->time_intervals.count(name)) Fail(item, fmt::format("time interval {} is not unique", Quote(name)));
      TimeIntervals tis;
      if (const YAML::Node ti = item["time_intervals"]; ti && !ti.IsNull()) {
        if (!ti.IsSequence()) Fail(ti, "time_intervals must be a list");
        for (const auto& one : ti) {
          auto parsed = ParseTimeInterval(one);
          if (!parsed.ok()) Fail(one, parsed.status().message());
          tis.push_back(*parsed);
        }
      }
      c->time_intervals[name] = std::move(tis);
    }
  }

  void Parse(const YAML::Node& root, Config* c) const {
    if (root.IsNull() || !root.IsDefined()) Fail(0, "no route provided in config");
    CheckKeys(root, {"global", "route", "inhibit_rules", "receivers", "templates", "mute_time_intervals", "time_intervals"},
              "config.plain");
    c->global = Global(root["global"]);
    if (const YAML::Node rs = root["receivers"]; rs && !rs.IsNull()) {
      if (!rs.IsSequence()) Fail(rs, fmt::format("cannot unmarshal {} into []*config.Receiver", Kind(rs)));
      std::set<std::string> names;
      for (const auto& r : rs) {
        Receiver rec = ParseReceiver(r, c->global);
        if (!names.insert(rec.name).second) Fail(r, fmt::format("notification config name {} is not unique", Quote(rec.name)));
        c->receivers.push_back(std::move(rec));
      }
    }
    TimeIntervalsList(root["mute_time_intervals"], c);
    TimeIntervalsList(root["time_intervals"], c);
    if (root["templates"]) c->templates = StrList(root["templates"]);
    if (const YAML::Node ir = root["inhibit_rules"]; ir && !ir.IsNull()) {
      if (!ir.IsSequence()) Fail(ir, fmt::format("cannot unmarshal {} into []config.InhibitRule", Kind(ir)));
      for (const auto& r : ir) {
        if (r.IsNull()) continue;  // upstream tolerates an empty entry
        CheckKeys(r,
                  {"source_match", "source_match_re", "source_matchers", "target_match", "target_match_re",
                   "target_matchers", "equal"},
                  "config.InhibitRule");
        InhibitRule rule;
        Matchers(r, "source_match", "source_match_re", "source_matchers", &rule.source, &rule.source_written);
        Matchers(r, "target_match", "target_match_re", "target_matchers", &rule.target, &rule.target_written);
        if (r["equal"]) {
          rule.equal = StrList(r["equal"]);
          for (const auto& l : rule.equal) {
            if (!model::IsValidLabelName(l)) Fail(r["equal"], fmt::format("invalid label name {}", Quote(l)));
          }
        }
        c->inhibit_rules.push_back(std::move(rule));
      }
    }
    const YAML::Node route = root["route"];
    if (!route || route.IsNull()) Fail(0, "no routes provided");
    c->route = Route(route);
    if (c->route.receiver.empty()) Fail(route, "root route must specify a default receiver");
    if (!c->route.matchers.empty()) Fail(route, "root route must not have any matchers");
    if (!c->route.mute_time_intervals.empty()) Fail(route, "root route must not have any mute time intervals");
    if (!c->route.active_time_intervals.empty()) Fail(route, "root route must not have any active time intervals");
    CheckRoute(c->route, *c);
  }

 private:
  std::string filename_;
};

}  // namespace

std::string HttpConfig::AuthorizationHeader() const {
  if (!bearer_token.empty()) return "Bearer " + bearer_token;
  if (!basic_auth_username.empty() || !basic_auth_password.empty()) {
    return "Basic " + http::Base64Encode(basic_auth_username + ":" + basic_auth_password);
  }
  return "";
}

const Receiver* Config::FindReceiver(const std::string& name) const {
  for (const auto& r : receivers) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Result<std::shared_ptr<const Config>> ParseConfig(const std::string& text, const std::string& filename) {
  auto c = std::make_shared<Config>();
  c->path = filename;
  Parser p(filename);
  // As Go's YAML decoder: the file must be UTF-8 (and every message we print stays valid).
  if (!IsValidUtf8(text)) return Status::InvalidArgument(fmt::format("{}: yaml: invalid leading UTF-8 octet", filename));
  try {
    YAML::Node root = YAML::Load(text);
    p.Parse(root, c.get());
  } catch (const ConfigError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(YamlMessage(filename, YamlLine(e.mark), e.msg));
  }
  return std::shared_ptr<const Config>(std::move(c));
}

Result<std::shared_ptr<const Config>> LoadConfigFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::InvalidArgument(fmt::format("cannot read config file {}", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return ParseConfig(ss.str(), path);
}

}  // namespace sremon::alertmanager
