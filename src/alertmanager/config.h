// alertmanager.yml as Alertmanager v0.25 reads it (the subset sremon implements: webhook, email
// and slack receivers). Parsing is strict like upstream (unknown fields are errors) and every
// error names the file and line: "alertmanager.yml:12: undefined receiver \"x\" used in route".
// Thread-safety: a loaded Config is an immutable value shared through shared_ptr<const Config>.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alertmanager/matchers.h"
#include "alertmanager/timeinterval.h"
#include "http/http.h"
#include "util/status.h"

namespace sremon::alertmanager {

struct HttpConfig {
  std::string basic_auth_username;
  std::string basic_auth_password;
  std::string bearer_token;
  bool follow_redirects = true;
  // "Authorization" header value for the settings above, or "" for none.
  std::string AuthorizationHeader() const;
};

struct WebhookConfig {
  bool send_resolved = true;
  std::string url;
  int max_alerts = 0;  // 0 = all
  HttpConfig http;
};

struct EmailConfig {
  bool send_resolved = false;
  std::string to, from, smarthost, hello;
  std::string auth_username, auth_password, auth_identity;
  std::string auth_secret;  // CRAM-MD5 (not sent by our SMTP client); kept to be shown masked
  bool require_tls = true;
  http::TlsOptions tls;                        // tls_config
  std::map<std::string, std::string> headers;  // templates, incl. Subject/To/From
  std::string html;                            // template
  std::string text;                            // template, optional
};

struct SlackConfig {
  bool send_resolved = false;
  std::string api_url;
  std::string channel, username, color, title, title_link, pretext, text, fallback, icon_emoji, icon_url;
  HttpConfig http;
};

struct Receiver {
  std::string name;
  std::vector<WebhookConfig> webhooks;
  std::vector<EmailConfig> emails;
  std::vector<SlackConfig> slacks;
};

// A matcher list as written: legacy maps and the `matchers` strings apart (the config dump
// shows them so; routing uses the merged list).
struct WrittenMatchers {
  std::map<std::string, std::string> match, match_re;
  Matchers matchers;
};

struct RouteConfig {
  std::string receiver;  // "" = inherited
  std::optional<std::vector<std::string>> group_by;
  Matchers matchers;  // new syntax and legacy match/match_re, sorted
  WrittenMatchers written;
  bool continue_matching = false;
  std::optional<int64_t> group_wait, group_interval, repeat_interval;  // ms
  std::vector<std::string> mute_time_intervals, active_time_intervals;
  std::vector<RouteConfig> routes;
  int line = 0;
};

struct InhibitRule {
  Matchers source, target;
  WrittenMatchers source_written, target_written;
  std::vector<std::string> equal;
};

struct GlobalConfig {
  int64_t resolve_timeout = 5 * 60 * 1000;
  std::string smtp_from, smtp_smarthost, smtp_hello = "localhost";
  std::string smtp_auth_username, smtp_auth_password, smtp_auth_identity;
  bool smtp_require_tls = true;
  std::string slack_api_url;
  // Secrets of receivers sremon does not implement: kept only so the config dump shows them
  // masked where upstream does.
  std::string smtp_auth_secret, opsgenie_api_key, wechat_api_secret, victorops_api_key;
  HttpConfig http;
};

struct Config {
  GlobalConfig global;
  RouteConfig route;
  std::vector<InhibitRule> inhibit_rules;
  std::vector<Receiver> receivers;
  std::map<std::string, TimeIntervals> time_intervals;
  std::vector<std::string> templates;  // glob patterns, relative to the config file's directory
  std::string path;

  const Receiver* FindReceiver(const std::string& name) const;
};

// The loaded config as Alertmanager 0.25 prints it (GET /api/v2/status config.original, shown
// by `amtool config show`, and the /status page): every default filled in, upstream's field
// order and YAML quoting, every field upstream declares secret as <secret>, and passwords in
// webhook URLs as user:xxxxx@ (upstream prints those whole). In config_dump.cc.
std::string DumpConfig(const Config& config);

// Parses YAML text; `filename` is used in error messages and to resolve templates.
Result<std::shared_ptr<const Config>> ParseConfig(const std::string& text, const std::string& filename);
Result<std::shared_ptr<const Config>> LoadConfigFile(const std::string& path);


}  // namespace sremon::alertmanager
