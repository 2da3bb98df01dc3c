#include "dashboards/app.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "dashboards/assets.h"
#include "dashboards/proxy.h"
#include "http/status_code.h"
#include "util/json.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::dashboards {
namespace {

using nlohmann::json;
constexpr std::string_view kSessionCookie = "grafana_session";

void Json(http::Response& resp, int status, const json& body) { resp.SetJson(status, body.dump()); }
void Message(http::Response& resp, int status, std::string_view message) {
  Json(resp, status, json{{"message", message}});
}

// Grafana answers 412 for a dashboard that exists (name or uid taken, version mismatch), and
// 500 when a password cannot be hashed (the only ResourceExhausted here).
int HttpStatus(const Status& st) {
  return http::HttpStatusFor(st, {{Status::Code::kAlreadyExists, 412}, {Status::Code::kResourceExhausted, 500}});
}

std::string CookieValue(std::string_view header, std::string_view name) {
  for (auto part : Split(header, ';')) {
    part = Trim(part);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
  }
  return "";
}

// Parses a JSON object body; answers 400 and returns nullopt otherwise.
std::optional<json> JsonBody(const http::Request& req, http::Response& resp) {
  auto body = ParseJson(req.body);
  if (!body.ok()) {
    Message(resp, 400, "bad request data: " + body.status().message());
    return std::nullopt;
  }
  if (!body->is_object()) {
    Message(resp, 400, "bad request data: expected a JSON object");
    return std::nullopt;
  }
  return std::move(*body);
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json DatasourceJson(const Datasource& d) {
  return json{{"id", d.id},           {"uid", d.uid},
              {"orgId", 1},           {"name", d.name},
              {"type", d.type},       {"typeName", d.type == "prometheus" ? "Prometheus" : d.type},
              {"access", d.access},   {"url", http::RedactUrl(d.url)},  // a password in the URL stays server-side
              {"basicAuth", !d.basic_auth_user.empty()},
              {"isDefault", d.is_default},
              {"jsonData", d.json_data},
              {"readOnly", !d.editable}};
}

bool IsSafeMethod(std::string_view m) { return m == "GET" || m == "HEAD" || m == "OPTIONS"; }

// Cross-site request check for cookie-authenticated state changes. The app sends
// X-Grafana-Org-Id on every call, which a cross-site form cannot send and cross-site fetch
// cannot send without a CORS preflight that we never approve; an Origin that is not our own
// host is refused too (Grafana's CSRF middleware does the same check).
std::optional<std::string> CsrfError(const http::Request& req) {
  std::string_view origin = req.headers.Get("Origin");
  if (!origin.empty() && origin != "null") {
    std::string_view host = req.headers.Get("Host");
    size_t scheme = origin.find("://");
    std::string_view origin_host = scheme == std::string_view::npos ? origin : origin.substr(scheme + 3);
    if (origin_host != host) return "origin not allowed";
  } else if (origin == "null") {
    return "origin not allowed";
  }
  if (!req.headers.Has("X-Grafana-Org-Id")) return "missing X-Grafana-Org-Id header: cross-site request refused";
  return std::nullopt;
}

// On every answer (the server's own 404s included). The web app loads only its own files and
// Vite emits no inline script, so script-src 'self' costs nothing and stops any markup that a
// dashboard value might still smuggle into the page from running. Styles allow 'unsafe-inline'
// (as Grafana's own policy does): CodeMirror, the query editor, adds its styles as <style>
// elements; no dashboard value reaches a style unchecked (web/src/sanitize.ts).
http::Headers SecurityHeaders() {
  http::Headers h;
  h.Add("Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'");
  h.Add("X-Content-Type-Options", "nosniff");
  h.Add("X-Frame-Options", "deny");
  return h;
}

}  // namespace

SameSite ParseSameSite(std::string_view value) {
  if (value == "strict") return SameSite::kStrict;
  if (value == "none") return SameSite::kNone;
  if (value == "disabled") return SameSite::kDisabled;
  return SameSite::kLax;
}

std::string App::SessionCookie(const std::string& value, int64_t max_age_s) const {
  std::string c = fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly", kSessionCookie, value, max_age_s);
  if (options_.cookie_secure) c += "; Secure";
  switch (options_.cookie_samesite) {
    case SameSite::kLax: c += "; SameSite=Lax"; break;
    case SameSite::kStrict: c += "; SameSite=Strict"; break;
    case SameSite::kNone: c += "; SameSite=None"; break;
    case SameSite::kDisabled: break;
  }
  return c;
}

std::string Slugify(std::string_view title) {
  std::string out;
  bool dash = false;
  for (char c : title) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      if (dash && !out.empty()) out += '-';
      out += static_cast<char>(std::tolower(u));
      dash = false;
    } else {
      dash = true;
    }
  }
  return out;
}

Result<std::unique_ptr<App>> App::Create(AppOptions options) {
  SREMON_RETURN_IF_ERROR(InitCrypto());
  std::unique_ptr<App> app(new App(std::move(options)));
  const AppOptions& o = app->options_;
  auto store = Store::Open(o.database_path);
  if (!store.ok()) return store.status();
  app->store_ = std::move(*store);
  if (!app->store_->UserByLogin(o.admin_user).ok()) {
    auto hash = HashPassword(o.admin_password, o.hash_cost);
    if (!hash.ok()) return hash.status();
    User admin{0, o.admin_user, "admin@localhost", o.admin_user, *hash, true};
    auto created = app->store_->CreateUser(admin);
    if (!created.ok()) return created.status();
    spdlog::info("created admin user {}", Quote(o.admin_user));
  }
  auto dummy = DummyPasswordHash(o.hash_cost);
  if (!dummy.ok()) return dummy.status();
  app->dummy_hash_ = std::move(*dummy);
  auto prov = LoadProvisioning(o.provisioning_dir);
  if (!prov.ok()) return prov.status().WithContext("provisioning");
  app->datasources_ = std::move(prov->datasources);
  const Datasource* def = app->DefaultDatasource();
  app->provisioner_ = std::make_unique<DashboardProvisioner>(app->store_.get(), std::move(prov->providers),
                                                             def ? def->uid : "");
  SREMON_RETURN_IF_ERROR(app->provisioner_->SyncOnce());
  return app;
}

App::~App() { Stop(); }

void App::Start() { provisioner_->Start(); }
void App::Stop() {
  if (provisioner_) provisioner_->Stop();
}

const Datasource* App::FindDatasource(std::string_view key, bool by_uid) const {
  for (const auto& d : datasources_) {
    if (by_uid ? d.uid == key : std::to_string(d.id) == key) return &d;
  }
  return nullptr;
}

const Datasource* App::DefaultDatasource() const {
  for (const auto& d : datasources_) {
    if (d.is_default) return &d;
  }
  return datasources_.empty() ? nullptr : &datasources_.front();
}

std::optional<App::Ctx> App::Authenticate(http::Request& req, http::Response& resp) {
  std::string token = CookieValue(req.headers.Get("Cookie"), kSessionCookie);
  if (!token.empty()) {
    std::string digest = TokenDigest(token);
    auto uid = store_->SessionUser(digest, NowMs());
    if (uid.ok()) {
      auto user = store_->UserById(*uid);
      if (user.ok()) {
        if (!IsSafeMethod(req.method)) {
          if (auto err = CsrfError(req)) {
            Message(resp, 403, *err);
            return std::nullopt;
          }
        }
        return Ctx{std::move(*user), digest};
      }
    }
  }
  std::string login, password;
  if (ParseBasicAuth(req.headers.Get("Authorization"), &login, &password)) {
    int64_t now = NowMs();
    if (LoginBlocked(login, req.remote_ip, now)) {
      Message(resp, 429, "Too many consecutive incorrect login attempts for user - login for user temporarily blocked");
      return std::nullopt;
    }
    auto user = store_->UserByLogin(login);
    if (CheckPassword(user, password)) return Ctx{std::move(*user), ""};
    RecordLoginFailure(login, req.remote_ip, now);
    Message(resp, 401, "Invalid username or password");
    return std::nullopt;
  }
  Message(resp, 401, "Unauthorized");
  return std::nullopt;
}

bool App::CheckPassword(const Result<User>& user, std::string_view password) const {
  bool match = VerifyPassword(user.ok() ? user->password_hash : dummy_hash_, password);
  return user.ok() && match;
}

// Failures count per user (Grafana's brute-force protection) and per client address with a
// larger allowance, so one client cannot walk through many user names either. A success
// clears the user's count only.
bool App::LoginBlocked(const std::string& login, const std::string& ip, int64_t now) {
  return limiter_.Blocked("user:" + login, now) || ip_limiter_.Blocked("ip:" + ip, now);
}

void App::RecordLoginFailure(const std::string& login, const std::string& ip, int64_t now) {
  limiter_.RecordFailure("user:" + login, now);
  ip_limiter_.RecordFailure("ip:" + ip, now);
}

http::Handler App::Authed(AuthedHandler h) {
  return [this, h = std::move(h)](http::Request& req, http::Response& resp) {
    auto ctx = Authenticate(req, resp);
    if (!ctx) return;
    h(*ctx, req, resp);
  };
}

void App::RegisterRoutes(http::Server* server) {
  constexpr bool kBlocking = true;
  server->SetResponseHeaders(SecurityHeaders());
  server->Route("GET", "/api/health", [this](http::Request&, http::Response& resp) {
    bool db_ok = store_->Ping().ok();
    Json(resp, db_ok ? 200 : 503, json{{"commit", "sremon"}, {"database", db_ok ? "ok" : "failing"}, {"version", options_.version}});
  }, kBlocking);
  server->Route("POST", "/login", [this](http::Request& req, http::Response& resp) { Login(req, resp); }, kBlocking);
  server->Route("GET", "/logout", [this](http::Request& req, http::Response& resp) { Logout(req, resp); }, kBlocking);
  server->Route("GET", "/api/user", Authed([](Ctx& ctx, http::Request&, http::Response& resp) {
                  Json(resp, 200, json{{"id", ctx.user.id}, {"login", ctx.user.login}, {"email", ctx.user.email},
                                       {"name", ctx.user.name}, {"orgId", 1}, {"isGrafanaAdmin", ctx.user.is_admin},
                                       {"isDisabled", false}, {"authLabels", json::array()}});
                }), kBlocking);
  auto change_password = Authed([this](Ctx& ctx, http::Request& req, http::Response& resp) { ChangePassword(ctx, req, resp); });
  server->Route("PUT", "/api/user/password", change_password, kBlocking);
  server->Route("POST", "/api/user/password", change_password, kBlocking);
  server->Route("GET", "/api/user/preferences", Authed([this](Ctx& ctx, http::Request&, http::Response& resp) {
                  auto prefs = store_->Preferences(ctx.user.id);
                  if (!prefs.ok()) return Message(resp, 500, prefs.status().message());
                  resp.SetJson(200, *prefs);
                }), kBlocking);
  server->Route("PUT", "/api/user/preferences", Authed([this](Ctx& ctx, http::Request& req, http::Response& resp) {
                  auto body = JsonBody(req, resp);
                  if (!body) return;
                  json prefs = json::object();
                  for (const char* k : {"theme", "homeDashboardUID", "timezone", "weekStart"}) {
                    if (body->contains(k) && (*body)[k].is_string()) prefs[k] = (*body)[k];
                  }
                  Status st = store_->SetPreferences(ctx.user.id, prefs.dump());
                  if (!st.ok()) return Message(resp, 500, st.message());
                  Message(resp, 200, "Preferences updated");
                }), kBlocking);
  server->Route("GET", "/api/search", Authed([this](Ctx& c, http::Request& q, http::Response& r) { Search(c, q, r); }), kBlocking);
  server->Route("POST", "/api/dashboards/db",
                Authed([this](Ctx& c, http::Request& q, http::Response& r) { SaveDashboardApi(c, q, r, false); }), kBlocking);
  server->Route("POST", "/api/dashboards/import",
                Authed([this](Ctx& c, http::Request& q, http::Response& r) { SaveDashboardApi(c, q, r, true); }), kBlocking);
  server->RoutePrefix("", "/api/dashboards/uid/",
                      Authed([this](Ctx& c, http::Request& q, http::Response& r) { DashboardRoutes(c, q, r); }), kBlocking);
  auto folders = Authed([this](Ctx& c, http::Request& q, http::Response& r) { Folders(c, q, r); });
  server->Route("", "/api/folders", folders, kBlocking);
  server->RoutePrefix("GET", "/api/folders/", folders, kBlocking);
  server->Route("GET", "/api/datasources", Authed([this](Ctx&, http::Request&, http::Response& resp) {
                  json out = json::array();
                  for (const auto& d : datasources_) out.push_back(DatasourceJson(d));
                  Json(resp, 200, out);
                }));
  server->RoutePrefix("", "/api/datasources/",
                      Authed([this](Ctx& c, http::Request& q, http::Response& r) { DatasourceRoutes(c, q, r); }), kBlocking);
  // Alert list data: the rules service and Alertmanager through the same server-side proxy. Every
  // method is routed here so that a refused one gets a clear JSON answer (after the CSRF check).
  server->RoutePrefix("", "/api/sremon/rules/", Authed([this](Ctx&, http::Request& q, http::Response& r) {
                        SremonProxy("rules", options_.rules_url, q, r);
                      }), kBlocking);
  server->RoutePrefix("", "/api/sremon/alertmanager/", Authed([this](Ctx&, http::Request& q, http::Response& r) {
                        SremonProxy("alertmanager", options_.alertmanager_url, q, r);
                      }), kBlocking);
  server->Route("GET", "/api/frontend/settings", Authed([this](Ctx&, http::Request&, http::Response& resp) {
                  json ds = json::array();
                  for (const auto& d : datasources_) ds.push_back(DatasourceJson(d));
                  const Datasource* def = DefaultDatasource();
                  Json(resp, 200, json{{"datasources", ds}, {"defaultDatasource", def ? def->uid : ""},
                                       {"buildInfo", {{"version", options_.version}, {"edition", "sremon"}}}});
                }));
  server->RoutePrefix("GET", "/", [this](http::Request& req, http::Response& resp) { Static(req, resp); });
}

void App::Login(http::Request& req, http::Response& resp) {
  // A cross-site form can post only urlencoded, multipart or text/plain bodies; requiring JSON
  // (and a same-site Origin when one is sent) keeps login CSRF out.
  if (!req.headers.Get("Content-Type").starts_with("application/json")) {
    return Message(resp, 415, "login expects a JSON body {\"user\": ..., \"password\": ...}");
  }
  if (!req.headers.Get("Origin").empty()) {
    http::Request copy = req;
    copy.headers.Set("X-Grafana-Org-Id", "1");
    if (auto err = CsrfError(copy)) return Message(resp, 403, *err);
  }
  auto body = JsonBody(req, resp);
  if (!body) return;
  std::string login = Str(*body, "user");
  std::string password = Str(*body, "password");
  int64_t now = NowMs();
  if (LoginBlocked(login, req.remote_ip, now)) {
    return Message(resp, 429, "Too many consecutive incorrect login attempts for user - login for user temporarily blocked");
  }
  auto user = store_->UserByLogin(login);
  if (!CheckPassword(user, password)) {
    RecordLoginFailure(login, req.remote_ip, now);
    spdlog::warn("failed login for {} from {}", Quote(login), req.remote_ip);
    return Message(resp, 401, "Invalid username or password");
  }
  limiter_.Reset("user:" + login);
  std::string token = NewSessionToken();
  Status st = store_->CreateSession(TokenDigest(token), user->id, now + options_.session_ttl_ms);
  if (!st.ok()) return Message(resp, 500, st.message());
  resp.headers.Add("Set-Cookie", SessionCookie(token, options_.session_ttl_ms / 1000));
  resp.headers.Add("Cache-Control", "no-store");
  // As Grafana: the default password asks for a new one (the page lets the user skip).
  Json(resp, 200, json{{"message", "Logged in"}, {"redirectUrl", "/"}, {"needsPasswordChange", password == "admin"}});
}

void App::Logout(http::Request& req, http::Response& resp) {
  std::string token = CookieValue(req.headers.Get("Cookie"), kSessionCookie);
  if (!token.empty()) (void)store_->DeleteSession(TokenDigest(token));
  resp.headers.Add("Set-Cookie", SessionCookie("", 0));
  resp.headers.Add("Location", "/login");
  resp.SetText(302, "logged out\n");
}

void App::ChangePassword(Ctx& ctx, http::Request& req, http::Response& resp) {
  auto body = JsonBody(req, resp);
  if (!body) return;
  std::string old_pw = Str(*body, "oldPassword");
  std::string new_pw = Str(*body, "newPassword");
  if (body->contains("confirmNew") && Str(*body, "confirmNew") != new_pw) {
    return Message(resp, 400, "New password and confirmation do not match");
  }
  if (!VerifyPassword(ctx.user.password_hash, old_pw)) return Message(resp, 401, "Invalid old password");
  if (new_pw.size() < 4) return Message(resp, 400, "New password is too short");
  auto hash = HashPassword(new_pw, options_.hash_cost);
  if (!hash.ok()) return Message(resp, 500, hash.status().message());
  Status st = store_->SetPasswordHash(ctx.user.id, *hash);
  if (!st.ok()) return Message(resp, 500, st.message());
  (void)store_->DeleteUserSessions(ctx.user.id, ctx.session_digest);  // other sessions end
  Message(resp, 200, "User password changed");
}

void App::Search(Ctx&, http::Request& req, http::Response& resp) {
  std::string query = ToLower(req.Param("query"));
  std::string type(req.Param("type"));
  std::vector<std::string> folder_uids;
  for (const auto& v : req.Params("folderUIDs")) {
    for (auto p : Split(v, ',')) {
      if (!p.empty()) folder_uids.emplace_back(p);
    }
  }
  std::vector<std::string> tags = req.Params("tag");
  std::vector<std::string> dash_uids = req.Params("dashboardUIDs");
  int64_t limit = 1000;
  if (req.HasParam("limit")) {
    auto l = ParseInt(req.Param("limit"));
    if (!l.ok() || *l <= 0) return Message(resp, 400, "limit must be a positive integer");
    limit = std::min<int64_t>(*l, 5000);
  }
  auto folders = store_->ListFolders();
  auto dashboards = store_->ListDashboards();
  if (!folders.ok() || !dashboards.ok()) return Message(resp, 500, "cannot read the database");
  std::map<std::string, Folder> by_uid;
  for (const auto& f : *folders) by_uid[f.uid] = f;
  json out = json::array();
  if ((type.empty() || type == "dash-folder") && tags.empty() && dash_uids.empty() && folder_uids.empty()) {
    for (const auto& f : *folders) {
      if (!query.empty() && ToLower(f.title).find(query) == std::string::npos) continue;
      out.push_back({{"id", f.id}, {"uid", f.uid}, {"title", f.title}, {"uri", "db/" + Slugify(f.title)},
                     {"url", "/dashboards/f/" + f.uid + "/" + Slugify(f.title)}, {"slug", ""}, {"type", "dash-folder"},
                     {"tags", json::array()}, {"isStarred", false}});
    }
  }
  if (type.empty() || type == "dash-db") {
    for (const auto& d : *dashboards) {
      if (!query.empty() && ToLower(d.title).find(query) == std::string::npos) continue;
      if (!folder_uids.empty() &&
          std::find(folder_uids.begin(), folder_uids.end(), d.folder_uid.empty() ? "general" : d.folder_uid) == folder_uids.end() &&
          std::find(folder_uids.begin(), folder_uids.end(), d.folder_uid) == folder_uids.end()) {
        continue;
      }
      if (!dash_uids.empty() && std::find(dash_uids.begin(), dash_uids.end(), d.uid) == dash_uids.end()) continue;
      auto parsed_tags = ParseJson(d.tags_json);
      json dtags = parsed_tags.ok() && parsed_tags->is_array() ? std::move(*parsed_tags) : json::array();
      bool has_tags = std::all_of(tags.begin(), tags.end(), [&](const std::string& t) {
        return std::find(dtags.begin(), dtags.end(), t) != dtags.end();
      });
      if (!has_tags) continue;
      std::string slug = Slugify(d.title);
      json item = {{"id", d.id}, {"uid", d.uid}, {"title", d.title}, {"uri", "db/" + slug},
                   {"url", "/d/" + d.uid + "/" + slug}, {"slug", ""}, {"type", "dash-db"}, {"tags", dtags},
                   {"isStarred", false}};
      if (auto f = by_uid.find(d.folder_uid); f != by_uid.end()) {
        item["folderId"] = f->second.id;
        item["folderUid"] = f->second.uid;
        item["folderTitle"] = f->second.title;
        item["folderUrl"] = "/dashboards/f/" + f->second.uid + "/" + Slugify(f->second.title);
      }
      out.push_back(std::move(item));
    }
  }
  if (static_cast<int64_t>(out.size()) > limit) out.erase(out.begin() + limit, out.end());
  Json(resp, 200, out);
}

void App::DashboardRoutes(Ctx& ctx, http::Request& req, http::Response& resp) {
  // path_suffix: <uid> | <uid>/versions | <uid>/versions/<n> | <uid>/restore
  auto parts = Split(req.path_suffix, '/');
  if (parts.empty() || parts[0].empty()) return Message(resp, 404, "Dashboard not found");
  std::string uid(parts[0]);
  auto dash = store_->DashboardByUid(uid);
  if (!dash.ok()) return Message(resp, HttpStatus(dash.status()), dash.status().message());
  if (parts.size() == 1 && req.method == "GET") {
    auto parsed = ParseJson(dash->data);
    json model = parsed.ok() && parsed->is_object() ? std::move(*parsed) : json::object();
    model["id"] = dash->id;
    model["uid"] = dash->uid;
    model["version"] = dash->version;
    std::string slug = Slugify(dash->title);
    json meta = {{"type", "db"}, {"canSave", true}, {"canEdit", true}, {"canAdmin", ctx.user.is_admin},
                 {"canStar", false}, {"canDelete", dash->provisioner.empty()}, {"slug", slug},
                 {"url", "/d/" + dash->uid + "/" + slug}, {"expires", "0001-01-01T00:00:00Z"},
                 {"created", FormatRfc3339Ms(dash->created_ms)}, {"updated", FormatRfc3339Ms(dash->updated_ms)},
                 {"version", dash->version}, {"hasAcl", false}, {"isFolder", false}, {"folderId", 0},
                 {"folderUid", dash->folder_uid}, {"folderTitle", "General"}, {"folderUrl", ""},
                 {"provisioned", !dash->provisioner.empty()},
                 {"provisionedExternalId", dash->provision_path.empty() ? "" : std::filesystem::path(dash->provision_path).filename().string()}};
    if (!dash->provisioner.empty()) {
      const DashboardProvider* p = provisioner_->Provider(dash->provisioner);
      meta["canSave"] = p && p->allow_ui_updates;
    }
    if (!dash->folder_uid.empty()) {
      if (auto f = store_->FolderByUid(dash->folder_uid); f.ok()) {
        meta["folderId"] = f->id;
        meta["folderTitle"] = f->title;
        meta["folderUrl"] = "/dashboards/f/" + f->uid + "/" + Slugify(f->title);
      }
    }
    return Json(resp, 200, json{{"dashboard", model}, {"meta", meta}});
  }
  if (parts.size() == 1 && req.method == "DELETE") {
    if (!dash->provisioner.empty()) {
      return Message(resp, 400, "provisioned dashboard cannot be deleted");
    }
    Status st = store_->DeleteDashboard(uid);
    if (!st.ok()) return Message(resp, HttpStatus(st), st.message());
    return Json(resp, 200, json{{"title", dash->title}, {"message", "Dashboard " + dash->title + " deleted"}, {"id", dash->id}});
  }
  if (parts.size() == 2 && parts[1] == "versions" && req.method == "GET") {
    auto versions = store_->Versions(uid);
    if (!versions.ok()) return Message(resp, 500, versions.status().message());
    json out = json::array();
    for (const auto& v : *versions) {
      out.push_back({{"id", v.id}, {"dashboardId", v.dashboard_id}, {"dashboardUid", uid}, {"version", v.version},
                     {"parentVersion", v.version > 1 ? v.version - 1 : 0}, {"restoredFrom", 0},
                     {"created", FormatRfc3339Ms(v.created_ms)}, {"createdBy", v.created_by}, {"message", v.message}});
    }
    return Json(resp, 200, out);
  }
  if (parts.size() == 3 && parts[1] == "versions" && req.method == "GET") {
    auto n = ParseInt(parts[2]);
    if (!n.ok()) return Message(resp, 400, "version must be an integer");
    auto v = store_->Version(uid, *n);
    if (!v.ok()) return Message(resp, HttpStatus(v.status()), v.status().message());
    auto parsed = ParseJson(v->data);
    json data = parsed.ok() ? std::move(*parsed) : json();
    return Json(resp, 200, json{{"id", v->id}, {"dashboardId", v->dashboard_id}, {"dashboardUid", uid},
                                {"version", v->version}, {"created", FormatRfc3339Ms(v->created_ms)},
                                {"createdBy", v->created_by}, {"message", v->message}, {"data", data}});
  }
  if (parts.size() == 2 && parts[1] == "restore" && req.method == "POST") {
    auto body = JsonBody(req, resp);
    if (!body) return;
    auto vit = body->find("version");
    if (vit == body->end() || !vit->is_number_integer()) return Message(resp, 400, "version must be an integer");
    auto v = store_->Version(uid, vit->get<int64_t>());
    if (!v.ok()) return Message(resp, HttpStatus(v.status()), v.status().message());
    if (!dash->provisioner.empty()) {
      const DashboardProvider* p = provisioner_->Provider(dash->provisioner);
      if (!p || !p->allow_ui_updates) return Message(resp, 400, "Cannot save provisioned dashboard");
    }
    auto parsed = ParseJson(v->data);
    if (!parsed.ok() || !parsed->is_object()) return Message(resp, 500, "stored version is not a JSON object");
    json model = std::move(*parsed);
    SaveDashboard save;
    save.uid = uid;
    save.title = Str(model, "title").empty() ? dash->title : Str(model, "title");
    save.folder_uid = dash->folder_uid;
    save.data = v->data;
    save.tags_json = model.contains("tags") && model["tags"].is_array() ? model["tags"].dump() : "[]";
    save.message = "Restored from version " + std::to_string(v->version);
    save.created_by = ctx.user.login;
    save.provisioner = dash->provisioner;
    save.provision_path = dash->provision_path;
    auto saved = store_->Save(save);
    if (!saved.ok()) return Message(resp, 500, saved.status().message());
    if (!saved->provisioner.empty()) (void)provisioner_->WriteBack(*saved, model);
    return Json(resp, 200, json{{"id", saved->id}, {"uid", uid}, {"status", "success"}, {"version", saved->version},
                                {"url", "/d/" + uid + "/" + Slugify(saved->title)}});
  }
  return Message(resp, 404, "Not found");
}

void App::SaveDashboardApi(Ctx& ctx, http::Request& req, http::Response& resp, bool import) {
  auto body = JsonBody(req, resp);
  if (!body) return;
  auto it = body->find("dashboard");
  if (it == body->end() || !it->is_object()) return Message(resp, 400, "bad request data: dashboard is required");
  json model = *it;
  bool overwrite = body->value("overwrite", false);
  if (import) {
    std::map<std::string, std::string> values;
    if (auto in = body->find("inputs"); in != body->end() && in->is_array()) {
      for (const auto& i : *in) {
        if (i.is_object() && !Str(i, "name").empty()) values[Str(i, "name")] = Str(i, "value");
      }
    }
    const Datasource* def = DefaultDatasource();
    ResolveInputs(&model, def ? def->uid : "", values);
    model.erase("id");
  }
  std::string title = Str(model, "title");
  if (Trim(title).empty()) return Json(resp, 400, json{{"message", "Dashboard title cannot be empty"}, {"status", "empty-name"}});
  std::string uid = Str(model, "uid");
  if (uid.empty()) {
    uid = NewUid();
  } else if (uid.size() > 40) {
    return Message(resp, 400, "Dashboard UID too long");
  }
  model["uid"] = uid;
  std::string folder_uid = Str(*body, "folderUid");
  if (!folder_uid.empty() && folder_uid != "general") {
    if (!store_->FolderByUid(folder_uid).ok()) return Message(resp, 400, "folder not found");
  } else {
    folder_uid.clear();
  }
  auto old = store_->DashboardByUid(uid);
  SaveDashboard save;
  if (old.ok()) {
    if (!old->provisioner.empty()) {
      const DashboardProvider* p = provisioner_->Provider(old->provisioner);
      if (!p || !p->allow_ui_updates) return Message(resp, 400, "Cannot save provisioned dashboard");
      save.provisioner = old->provisioner;
      save.provision_path = old->provision_path;
      if (!body->contains("folderUid")) folder_uid = old->folder_uid;
    }
    if (!overwrite) {
      auto v = model.find("version");
      bool has_id = model.contains("id") && model["id"].is_number();
      if (!has_id || v == model.end() || !v->is_number_integer()) {
        return Json(resp, 412, json{{"status", "name-exists"}, {"message", "A dashboard with the same uid already exists"}});
      }
      save.base_version = v->get<int64_t>();
    }
  }
  save.uid = uid;
  save.title = title;
  save.folder_uid = folder_uid;
  save.data = CanonicalModel(model);
  save.tags_json = model.contains("tags") && model["tags"].is_array() ? model["tags"].dump() : "[]";
  save.message = Str(*body, "message");
  save.created_by = ctx.user.login;
  auto saved = store_->Save(save);
  if (!saved.ok()) {
    if (saved.status().code() == Status::Code::kAlreadyExists) {
      return Json(resp, 412, json{{"status", "version-mismatch"}, {"message", "The dashboard has been changed by someone else"}});
    }
    return Message(resp, 500, saved.status().message());
  }
  if (!saved->provisioner.empty()) {
    Status st = provisioner_->WriteBack(*saved, model);
    if (!st.ok()) spdlog::warn("cannot write dashboard {} back to {}: {}", uid, saved->provision_path, st.message());
  }
  std::string slug = Slugify(saved->title);
  std::string url = "/d/" + saved->uid + "/" + slug;
  if (import) {
    return Json(resp, 200, json{{"uid", saved->uid}, {"title", saved->title}, {"imported", true}, {"importedUri", "db/" + slug},
                                {"importedUrl", url}, {"dashboardId", saved->id}, {"folderUid", saved->folder_uid},
                                {"importedRevision", 1}, {"revision", 1}, {"path", ""}, {"removed", false},
                                {"version", saved->version}});
  }
  Json(resp, 200, json{{"id", saved->id}, {"uid", saved->uid}, {"url", url}, {"status", "success"},
                       {"version", saved->version}, {"slug", slug}, {"folderUid", saved->folder_uid}});
}

void App::Folders(Ctx&, http::Request& req, http::Response& resp) {
  auto folder_json = [](const Folder& f) {
    return json{{"id", f.id}, {"uid", f.uid}, {"title", f.title}, {"url", "/dashboards/f/" + f.uid + "/" + Slugify(f.title)}};
  };
  if (req.path.starts_with("/api/folders/")) {
    auto f = store_->FolderByUid(req.path_suffix);
    if (!f.ok()) return Message(resp, 404, "folder not found");
    return Json(resp, 200, folder_json(*f));
  }
  if (req.method == "GET") {
    auto folders = store_->ListFolders();
    if (!folders.ok()) return Message(resp, 500, folders.status().message());
    json out = json::array();
    for (const auto& f : *folders) out.push_back(folder_json(f));
    return Json(resp, 200, out);
  }
  if (req.method == "POST") {
    auto body = JsonBody(req, resp);
    if (!body) return;
    std::string title(Trim(Str(*body, "title")));
    if (title.empty()) return Message(resp, 400, "folder title cannot be empty");
    if (store_->FolderByTitle(title).ok()) return Message(resp, 409, "a folder with the same name already exists");
    std::string uid = Str(*body, "uid");
    if (uid.empty()) uid = NewUid();
    auto f = store_->CreateFolder(uid, title);
    if (!f.ok()) return Message(resp, 409, f.status().message());
    return Json(resp, 200, folder_json(*f));
  }
  Message(resp, 405, "method not allowed");
}

void App::DatasourceRoutes(Ctx&, http::Request& req, http::Response& resp) {
  std::string_view s = req.path_suffix;
  auto next = [&s]() {
    size_t slash = s.find('/');
    std::string_view head = s.substr(0, slash);
    s = slash == std::string_view::npos ? std::string_view() : s.substr(slash + 1);
    return std::string(head);
  };
  std::string first = next();
  if (first == "proxy") return DatasourceProxy(req, resp);
  if (req.method != "GET") return Message(resp, 405, "data sources are provisioned and read-only");
  const Datasource* ds = nullptr;
  if (first == "uid") {
    ds = FindDatasource(next(), true);
  } else if (first == "name") {
    std::string name = next();
    for (const auto& d : datasources_) {
      if (d.name == name) ds = &d;
    }
  } else {
    ds = FindDatasource(first, false);
  }
  if (!ds) return Message(resp, 404, "Data source not found");
  Json(resp, 200, DatasourceJson(*ds));
}

// The proxies never look at req.path (decoded): they re-read the target as received.
void App::DatasourceProxy(http::Request& req, http::Response& resp) {
  auto segs = DecodePathSegments(req.target);
  if (!segs.ok()) return Message(resp, 400, segs.status().message());
  // /api/datasources/proxy/uid/UID/... or /api/datasources/proxy/ID/...
  std::vector<std::string>& p = *segs;
  bool by_uid = p.size() > 4 && p[3] == "uid";
  size_t key = by_uid ? 4 : 3;
  if (p.size() <= key || p[0] != "api" || p[1] != "datasources" || p[2] != "proxy") {
    return Message(resp, 404, "Data source not found");
  }
  const Datasource* ds = FindDatasource(p[key], by_uid);
  if (!ds) return Message(resp, 404, "Data source not found");
  std::vector<std::string> path(p.begin() + static_cast<std::ptrdiff_t>(key + 1), p.end());
  // Grafana sends the reads as GET, or POST with the parameters as a form.
  bool form_post = req.method == "POST" &&
                   (req.body.empty() || req.headers.Get("Content-Type").starts_with("application/x-www-form-urlencoded"));
  if (!(req.method == "GET" || form_post) || !IsDatasourceRead(path)) {
    return Message(resp, 403, fmt::format("the data source proxy forwards only the Prometheus read API (GET or form "
                                          "POST to api/v1/query, query_range, series, labels, label/NAME/values, "
                                          "metadata, status/buildinfo, query_exemplars, rules, alerts); refused {} {}",
                                          req.method, Quote(Join(path, "/"))));
  }
  Proxy(ds->url, ds, path, req, resp);
}

void App::SremonProxy(std::string_view service, const std::string& base_url, http::Request& req, http::Response& resp) {
  auto segs = DecodePathSegments(req.target);
  if (!segs.ok()) return Message(resp, 400, segs.status().message());
  // /api/sremon/SERVICE/...
  std::vector<std::string> path(segs->begin() + std::min<std::ptrdiff_t>(3, std::ssize(*segs)), segs->end());
  if (req.method != "GET" || !IsSremonRead(service, path)) {
    return Message(resp, 403, fmt::format("/api/sremon/{}/ forwards only GET {}; refused {} {}", service,
                                          service == "rules" ? "api/v1/alerts" : "api/v2/alerts", req.method,
                                          Quote(Join(path, "/"))));
  }
  Proxy(base_url, nullptr, path, req, resp);
}

void App::Proxy(const std::string& base_url, const Datasource* ds, const std::vector<std::string>& path,
                http::Request& req, http::Response& resp) {
  if (Trim(base_url).empty()) return Message(resp, 502, "data source has no URL");
  std::vector<std::pair<std::string, std::string>> query;
  http::ParseQueryString(req.query, &query);
  http::ClientRequest out;
  out.method = req.method;
  out.url = UpstreamUrl(base_url, path, query);
  out.timeout = options_.proxy_timeout;
  out.body = req.body;
  for (const char* h : {"Content-Type", "Accept"}) {
    if (req.headers.Has(h)) out.headers.Set(h, std::string(req.headers.Get(h)));
  }
  // Credentials travel in a header only: a URL with userinfo ends up in error texts and logs.
  if (ds && !ds->basic_auth_user.empty()) {
    out.headers.Set("Authorization", "Basic " + http::Base64Encode(ds->basic_auth_user + ":" + ds->basic_auth_password));
  }
  auto r = http::Fetch(out);
  if (!r.ok()) return Message(resp, 502, fmt::format("data source request failed: {}", r.status().message()));
  resp.status = r->status;
  std::string_view ct = r->headers.Get("Content-Type");
  resp.content_type = ct.empty() ? "application/octet-stream" : std::string(ct);
  resp.body = std::move(r->body);
}

void App::Static(http::Request& req, http::Response& resp) {
  if (req.path.starts_with("/api/")) return Message(resp, 404, "Not found");
  const Asset* a = FindAsset(req.path);
  bool immutable = a && req.path.starts_with("/assets/");
  if (!a) a = FindAsset("/index.html");  // the app's own routes: /d/uid, /login, /explore...
  if (!a) {
    return resp.SetHtml(200, "<!doctype html><title>sremon dashboards</title><p>The web app was not built into this "
                             "binary (configure with -DSREMON_WEB=ON and npm available). The API is at /api/.</p>");
  }
  resp.status = 200;
  resp.content_type = a->content_type;
  resp.headers.Add("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  resp.headers.Add("Vary", "Accept-Encoding");
  std::string_view gz(reinterpret_cast<const char*>(a->gzip_data), a->gzip_size);
  if (req.headers.Get("Accept-Encoding").find("gzip") != std::string_view::npos) {
    resp.headers.Add("Content-Encoding", "gzip");
    resp.body.assign(gz);
  } else {
    auto plain = http::Gunzip(gz, a->size + 1);
    if (!plain.ok()) return resp.SetText(500, "cannot decompress embedded asset\n");
    resp.body = std::move(*plain);
  }
}

}  // namespace sremon::dashboards
