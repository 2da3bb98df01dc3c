// DumpConfig: the loaded alertmanager.yml the way Alertmanager 0.25 marshals it (Go yaml.v2 of
// its config structs): defaults filled in, fields in struct order, empty optional fields left
// out, secrets as <secret>. Checked byte for byte against the upstream program by
// tests/alertmanager (amtool config show against both).
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "alertmanager/config.h"
#include "http/http.h"
#include "util/time.h"

namespace sremon::alertmanager {
namespace {

constexpr const char* kSecret = "<secret>";

// ---- scalars as yaml.v2 writes them ----------------------------------------------------------

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// yaml.v2 writes "1:30"-like strings quoted (YAML 1.1 reads them as base-60 numbers).
bool IsBase60(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i >= s.size() || !IsDigit(s[i])) return false;
  while (i < s.size() && (IsDigit(s[i]) || s[i] == '_')) ++i;
  int groups = 0;
  while (i < s.size() && s[i] == ':') {
    ++i;
    size_t start = i;
    while (i < s.size() && IsDigit(s[i]) && i - start < 2) ++i;
    if (i == start || (i - start == 2 && s[start] > '5')) return false;
    ++groups;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && (IsDigit(s[i]) || s[i] == '_')) ++i;
  }
  return groups > 0 && i == s.size();
}

// True when yaml.v2 would read the plain scalar as something else than a string (bool, null,
// number, timestamp): such strings are written double-quoted.
bool ResolvesToNonString(std::string_view s) {
  static const char* kWords[] = {"y",  "Y",   "yes", "Yes",  "YES",  "n",     "N",     "no",    "No",    "NO",
                                 "on", "On",  "ON",  "off",  "Off",  "OFF",   "true",  "True",  "TRUE",  "false",
                                 "False", "FALSE", "~", "null", "Null", "NULL", ".inf", ".Inf", ".INF", "+.inf",
                                 "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", "<<"};
  for (const char* w : kWords) {
    if (s == w) return true;
  }
  if (s.empty()) return false;
  char c = s[0];
  if (!(IsDigit(c) || c == '+' || c == '-' || c == '.')) return false;
  std::string plain;
  for (char ch : s) {
    if (ch != '_') plain.push_back(ch);
  }
  char* end = nullptr;
  std::strtoll(plain.c_str(), &end, 0);
  if (!plain.empty() && *end == '\0') return true;
  // Go's ParseFloat: decimal forms (strtod would also take "inf"/"nan" words, excluded above).
  bool has_digit = false;
  for (char ch : plain) has_digit |= IsDigit(ch);
  if (has_digit) {
    std::strtod(plain.c_str(), &end);
    if (*end == '\0') return true;
  }
  // Timestamps (2006-01-02...): four digits and a dash.
  return s.size() >= 8 && IsDigit(s[0]) && IsDigit(s[1]) && IsDigit(s[2]) && IsDigit(s[3]) && s[4] == '-';
}

std::string DoubleQuoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static const char* kHex = "0123456789ABCDEF";
          out += "\\x";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

// libyaml's scalar analysis as yaml.v2 uses it: plain when allowed, else single quotes, else
// double quotes. `flow`: inside a [..] list.
std::string Scalar(std::string_view s, bool flow = false) {
  if (s.empty() || ResolvesToNonString(s) || IsBase60(s)) return DoubleQuoted(s);
  bool special = false, flow_ind = false, block_ind = false;
  if (s.starts_with("---") || s.starts_with("...")) flow_ind = block_ind = true;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool next_space = i + 1 == s.size() || s[i + 1] == ' ' || s[i + 1] == '\t';
    if (c < 0x20 || c == 0x7f) special = true;
    if (i == 0) {
      if (std::string_view("#,[]{}&*!|>'\"%@`").find(static_cast<char>(c)) != std::string_view::npos) {
        flow_ind = block_ind = true;
      }
      if (c == '?' || c == ':') {
        flow_ind = true;
        if (next_space) block_ind = true;
      }
      if (c == '-' && next_space) flow_ind = block_ind = true;
    } else {
      if (std::string_view(",?[]{}").find(static_cast<char>(c)) != std::string_view::npos) flow_ind = true;
      if (c == ':') {
        flow_ind = true;
        if (next_space) block_ind = true;
      }
      if (c == '#' && (s[i - 1] == ' ' || s[i - 1] == '\t')) flow_ind = block_ind = true;
    }
  }
  if (special) return DoubleQuoted(s);
  bool edge_space = s.front() == ' ' || s.back() == ' ';
  if (!edge_space && !(flow ? flow_ind : block_ind)) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  return out + "'";
}

// ---- a small ordered tree, written in yaml.v2's block style ----------------------------------

struct Node {
  enum Kind { kScalar, kMap, kSeq, kFlowSeq } kind = kMap;
  std::string text;  // kScalar: already quoted
  std::vector<std::pair<std::string, Node>> entries;
  std::vector<Node> items;

  static Node Str(std::string_view s) { return Node{kScalar, Scalar(s), {}, {}}; }
  static Node Raw(std::string s) { return Node{kScalar, std::move(s), {}, {}}; }
  static Node Bool(bool b) { return Raw(b ? "true" : "false"); }
  static Node Int(int64_t v) { return Raw(std::to_string(v)); }
  static Node Duration(int64_t ms) { return Raw(FormatDurationMs(ms)); }
  static Node List(const std::vector<std::string>& v) {
    Node n{kSeq, "", {}, {}};
    for (const auto& s : v) n.items.push_back(Str(s));
    return n;
  }
  static Node FlowList(const std::vector<std::string>& v) {
    Node n{kFlowSeq, "", {}, {}};
    for (const auto& s : v) n.items.push_back(Node{kScalar, Scalar(s, true), {}, {}});
    return n;
  }
  Node& Add(std::string key, Node v) {
    entries.emplace_back(std::move(key), std::move(v));
    return entries.back().second;
  }
  // omitempty: only non-empty strings.
  void AddStr(std::string key, std::string_view v) {
    if (!v.empty()) Add(std::move(key), Str(v));
  }
  void AddSecret(std::string key, std::string_view v) {
    if (!v.empty()) Add(std::move(key), Raw(kSecret));
  }
  bool Empty() const { return kind == kScalar ? false : entries.empty() && items.empty(); }
};

void Write(const Node& n, int indent, std::string* out);

void WriteMapEntries(const Node& n, int indent, bool first_inline, std::string* out) {
  bool first = true;
  for (const auto& [k, v] : n.entries) {
    if (!(first && first_inline)) out->append(static_cast<size_t>(indent), ' ');
    first = false;
    out->append(k).push_back(':');
    if (v.kind == Node::kScalar) {
      out->append(" ").append(v.text).push_back('\n');
    } else if (v.kind == Node::kFlowSeq || v.Empty()) {
      Write(v, indent, out);
    } else if (v.kind == Node::kMap) {
      out->push_back('\n');
      Write(v, indent + 2, out);
    } else {
      out->push_back('\n');
      Write(v, indent, out);  // yaml.v2 does not indent a list under its key
    }
  }
}

void Write(const Node& n, int indent, std::string* out) {
  switch (n.kind) {
    case Node::kScalar:
      out->append(n.text).push_back('\n');
      return;
    case Node::kFlowSeq: {
      out->append(" [");
      for (size_t i = 0; i < n.items.size(); ++i) out->append(i ? ", " : "").append(n.items[i].text);
      out->append("]\n");
      return;
    }
    case Node::kMap:
      if (n.entries.empty()) {
        out->append(" {}\n");
        return;
      }
      WriteMapEntries(n, indent, false, out);
      return;
    case Node::kSeq:
      if (n.items.empty()) {
        out->append(" []\n");
        return;
      }
      for (const auto& item : n.items) {
        out->append(static_cast<size_t>(indent), ' ').append("- ");
        if (item.kind == Node::kScalar) {
          out->append(item.text).push_back('\n');
        } else {
          WriteMapEntries(item, indent + 2, true, out);
        }
      }
      return;
  }
}

// ---- the config structs, in upstream field order ---------------------------------------------

Node HttpNode(const HttpConfig& h) {
  Node n;
  if (!h.basic_auth_username.empty() || !h.basic_auth_password.empty()) {
    Node& b = n.Add("basic_auth", Node{});
    b.AddStr("username", h.basic_auth_username);
    b.AddSecret("password", h.basic_auth_password);
  }
  if (!h.bearer_token.empty()) {  // upstream turns bearer_token into an authorization block
    Node& a = n.Add("authorization", Node{});
    a.Add("type", Node::Str("Bearer"));
    a.Add("credentials", Node::Raw(kSecret));
  }
  n.Add("follow_redirects", Node::Bool(h.follow_redirects));
  n.Add("enable_http2", Node::Bool(true));
  return n;
}

void AddMatchers(Node* n, const std::string& prefix, const WrittenMatchers& w) {
  auto add_map = [&](const std::string& key, const std::map<std::string, std::string>& m) {
    if (m.empty()) return;
    Node& x = n->Add(prefix + key, Node{});
    for (const auto& [k, v] : m) x.Add(k, Node::Str(v));
  };
  add_map("match", w.match);
  add_map("match_re", w.match_re);
  if (!w.matchers.empty()) {
    std::vector<std::string> strs;
    for (const auto& m : w.matchers) strs.push_back(MatcherString(m));
    n->Add(prefix + "matchers", Node::List(strs));
  }
}

Node RouteNode(const RouteConfig& r) {
  Node n;
  n.AddStr("receiver", r.receiver);
  if (r.group_by && !r.group_by->empty()) n.Add("group_by", Node::List(*r.group_by));
  AddMatchers(&n, "", r.written);
  if (!r.mute_time_intervals.empty()) n.Add("mute_time_intervals", Node::List(r.mute_time_intervals));
  if (!r.active_time_intervals.empty()) n.Add("active_time_intervals", Node::List(r.active_time_intervals));
  n.Add("continue", Node::Bool(r.continue_matching));
  if (!r.routes.empty()) {
    Node& routes = n.Add("routes", Node{Node::kSeq, "", {}, {}});
    for (const auto& child : r.routes) routes.items.push_back(RouteNode(child));
  }
  if (r.group_wait) n.Add("group_wait", Node::Duration(*r.group_wait));
  if (r.group_interval) n.Add("group_interval", Node::Duration(*r.group_interval));
  if (r.repeat_interval) n.Add("repeat_interval", Node::Duration(*r.repeat_interval));
  return n;
}

Node EmailNode(const EmailConfig& e) {
  Node n;
  n.Add("send_resolved", Node::Bool(e.send_resolved));
  n.AddStr("to", e.to);
  n.AddStr("from", e.from);
  n.AddStr("hello", e.hello);
  n.AddStr("smarthost", e.smarthost);
  n.AddStr("auth_username", e.auth_username);
  n.AddSecret("auth_password", e.auth_password);
  n.AddSecret("auth_secret", e.auth_secret);
  n.AddStr("auth_identity", e.auth_identity);
  if (!e.headers.empty()) {
    Node& h = n.Add("headers", Node{});
    for (const auto& [k, v] : e.headers) h.Add(k, Node::Str(v));
  }
  n.AddStr("html", e.html);
  n.AddStr("text", e.text);
  n.Add("require_tls", Node::Bool(e.require_tls));
  const auto& t = e.tls;
  if (!t.ca_file.empty() || !t.cert_file.empty() || !t.key_file.empty() || !t.server_name.empty() ||
      t.insecure_skip_verify) {
    Node& tls = n.Add("tls_config", Node{});
    tls.AddStr("ca_file", t.ca_file);
    tls.AddStr("cert_file", t.cert_file);
    tls.AddStr("key_file", t.key_file);
    tls.AddStr("server_name", t.server_name);
    tls.Add("insecure_skip_verify", Node::Bool(t.insecure_skip_verify));
  }
  return n;
}

Node SlackNode(const SlackConfig& s) {
  Node n;
  n.Add("send_resolved", Node::Bool(s.send_resolved));
  n.Add("http_config", HttpNode(s.http));
  n.AddSecret("api_url", s.api_url);
  n.AddStr("channel", s.channel);
  n.AddStr("username", s.username);
  n.AddStr("color", s.color);
  n.AddStr("title", s.title);
  n.AddStr("title_link", s.title_link);
  n.AddStr("pretext", s.pretext);
  n.AddStr("text", s.text);
  n.Add("short_fields", Node::Bool(false));
  n.AddStr("footer", "{{ template \"slack.default.footer\" . }}");
  n.AddStr("fallback", s.fallback);
  n.AddStr("callback_id", "{{ template \"slack.default.callbackid\" . }}");
  n.AddStr("icon_emoji", s.icon_emoji);
  n.AddStr("icon_url", s.icon_url);
  n.Add("link_names", Node::Bool(false));
  return n;
}

Node WebhookNode(const WebhookConfig& w) {
  Node n;
  n.Add("send_resolved", Node::Bool(w.send_resolved));
  n.Add("http_config", HttpNode(w.http));
  // Upstream 0.25 prints the URL whole; a password in it would leak (issue 12): user:xxxxx@.
  n.AddStr("url", http::RedactUrl(w.url));
  n.Add("max_alerts", Node::Int(w.max_alerts));
  return n;
}

Node ReceiverNode(const Receiver& r) {
  Node n;
  n.Add("name", Node::Str(r.name));
  auto list = [&](const char* key, const auto& configs, auto fn) {
    if (configs.empty()) return;
    Node& l = n.Add(key, Node{Node::kSeq, "", {}, {}});
    for (const auto& c : configs) l.items.push_back(fn(c));
  };
  list("email_configs", r.emails, EmailNode);
  list("slack_configs", r.slacks, SlackNode);
  list("webhook_configs", r.webhooks, WebhookNode);
  return n;
}

// Ranges as upstream writes them: "a" when one value, else "a:b"; names for weekdays.
std::vector<std::string> Ranges(const std::vector<IntRange>& rs, const char* const* names = nullptr) {
  std::vector<std::string> out;
  for (const auto& r : rs) {
    auto one = [&](int v) { return names ? std::string(names[v]) : std::to_string(v); };
    out.push_back(r.begin == r.end ? one(r.begin) : one(r.begin) + ":" + one(r.end));
  }
  return out;
}

Node TimeIntervalNode(const TimeInterval& ti) {
  static const char* kWeekdays[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
  Node n;
  if (!ti.times.empty()) {
    Node& times = n.Add("times", Node{Node::kSeq, "", {}, {}});
    for (const auto& t : ti.times) {
      auto hhmm = [](int m) { return fmt::format("{:02}:{:02}", m / 60, m % 60); };
      Node tr;
      tr.Add("start_time", Node::Str(hhmm(t.begin)));
      tr.Add("end_time", Node::Str(hhmm(t.end)));
      times.items.push_back(std::move(tr));
    }
  }
  if (!ti.weekdays.empty()) n.Add("weekdays", Node::FlowList(Ranges(ti.weekdays, kWeekdays)));
  if (!ti.days_of_month.empty()) n.Add("days_of_month", Node::FlowList(Ranges(ti.days_of_month)));
  if (!ti.months.empty()) n.Add("months", Node::FlowList(Ranges(ti.months)));
  if (!ti.years.empty()) n.Add("years", Node::FlowList(Ranges(ti.years)));
  if (ti.location_set) n.Add("location", Node::Str(ti.local ? "Local" : "UTC"));
  return n;
}

}  // namespace

std::string DumpConfig(const Config& c) {
  Node root;
  Node& g = root.Add("global", Node{});
  g.Add("resolve_timeout", Node::Duration(c.global.resolve_timeout));
  g.Add("http_config", HttpNode(c.global.http));
  g.AddStr("smtp_from", c.global.smtp_from);
  g.AddStr("smtp_hello", c.global.smtp_hello);
  g.AddStr("smtp_smarthost", c.global.smtp_smarthost);
  g.AddStr("smtp_auth_username", c.global.smtp_auth_username);
  g.AddSecret("smtp_auth_password", c.global.smtp_auth_password);
  g.AddSecret("smtp_auth_secret", c.global.smtp_auth_secret);
  g.AddStr("smtp_auth_identity", c.global.smtp_auth_identity);
  g.Add("smtp_require_tls", Node::Bool(c.global.smtp_require_tls));
  g.AddSecret("slack_api_url", c.global.slack_api_url);
  // Upstream's defaults for receivers sremon does not implement, printed all the same.
  g.Add("pagerduty_url", Node::Str("https://events.pagerduty.com/v2/enqueue"));
  g.Add("opsgenie_api_url", Node::Str("https://api.opsgenie.com/"));
  g.AddSecret("opsgenie_api_key", c.global.opsgenie_api_key);
  g.Add("wechat_api_url", Node::Str("https://qyapi.weixin.qq.com/cgi-bin/"));
  g.AddSecret("wechat_api_secret", c.global.wechat_api_secret);
  g.Add("victorops_api_url", Node::Str("https://alert.victorops.com/integrations/generic/20131114/alert/"));
  g.AddSecret("victorops_api_key", c.global.victorops_api_key);
  g.Add("telegram_api_url", Node::Str("https://api.telegram.org"));
  g.Add("webex_api_url", Node::Str("https://webexapis.com/v1/messages"));
  root.Add("route", RouteNode(c.route));
  if (!c.inhibit_rules.empty()) {
    Node& rules = root.Add("inhibit_rules", Node{Node::kSeq, "", {}, {}});
    for (const auto& r : c.inhibit_rules) {
      Node n;
      AddMatchers(&n, "source_", r.source_written);
      AddMatchers(&n, "target_", r.target_written);
      if (!r.equal.empty()) n.Add("equal", Node::List(r.equal));
      rules.items.push_back(std::move(n));
    }
  }
  Node& receivers = root.Add("receivers", Node{Node::kSeq, "", {}, {}});
  for (const auto& r : c.receivers) receivers.items.push_back(ReceiverNode(r));
  root.Add("templates", Node::List(c.templates));
  if (!c.time_intervals.empty()) {
    Node& tis = root.Add("time_intervals", Node{Node::kSeq, "", {}, {}});
    for (const auto& [name, list] : c.time_intervals) {
      Node n;
      n.Add("name", Node::Str(name));
      Node& l = n.Add("time_intervals", Node{Node::kSeq, "", {}, {}});
      for (const auto& ti : list) l.items.push_back(TimeIntervalNode(ti));
      tis.items.push_back(std::move(n));
    }
  }
  std::string out;
  Write(root, 0, &out);
  return out;
}

}  // namespace sremon::alertmanager
