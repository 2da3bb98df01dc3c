#include "alertmanager/web_config.h"

#include <crypt.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "http/access.h"
#include "util/strings.h"
#include "util/yaml.h"

namespace sremon::alertmanager {

namespace {

bool IsBcryptHash(std::string_view h) {
  return h.size() == 60 && (h.starts_with("$2a$") || h.starts_with("$2b$") || h.starts_with("$2y$"));
}

}  // namespace

Result<WebConfig> ParseWebConfig(std::string_view yaml, std::string_view filename) {
  auto fail = [&](const YAML::Node& n, std::string msg) { return YamlError(filename, n, msg); };
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("{}: {}", filename, e.what()));
  }
  WebConfig out;
  if (root.IsNull()) return out;
  if (!root.IsMap()) return fail(root, "want a mapping of tls_server_config, http_server_config, basic_auth_users");
  for (const auto& kv : root) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    const YAML::Node& v = kv.second;
    if (key == "basic_auth_users") {
      if (v.IsNull()) continue;
      if (!v.IsMap()) return fail(v, "basic_auth_users: want a mapping of user name to bcrypt hash");
      for (const auto& u : v) {
        if (!u.first.IsScalar() || !u.second.IsScalar()) return fail(u.first, "basic_auth_users: want name: hash");
        std::string name = u.first.Scalar(), hash = u.second.Scalar();
        if (name.empty() || name.find(':') != std::string::npos) {
          return fail(u.first, fmt::format("basic_auth_users: invalid user name {}", Quote(name)));
        }
        if (!IsBcryptHash(hash)) {
          return fail(u.second, fmt::format("basic_auth_users.{}: not a bcrypt hash (want $2y$..., e.g. from "
                                            "htpasswd -nBC 10 {})",
                                            name, name));
        }
        out.basic_auth_users[name] = hash;
      }
    } else if (key == "tls_server_config") {
      if (v.IsNull()) continue;
      if (!v.IsMap()) return fail(v, "tls_server_config: want a mapping");
      for (const auto& t : v) {
        std::string field = t.first.IsScalar() ? t.first.Scalar() : "";
        if (field == "cert_file" || field == "key_file" || field == "cert" || field == "key") {
          if (t.second.IsScalar() && !t.second.Scalar().empty()) {
            return fail(t.first, fmt::format("tls_server_config.{}: sremon serves plain HTTP only; terminate TLS in a "
                                             "proxy in front of the alertmanager (docs/security.md)",
                                             field));
          }
        }
      }
    } else if (key == "http_server_config") {
      // http2 and extra response headers: nothing sremon needs to act on.
      if (!v.IsNull() && !v.IsMap()) return fail(v, "http_server_config: want a mapping");
    } else {
      return fail(kv.first, fmt::format("field {} not found in type web.Config", Quote(key)));
    }
  }
  return out;
}

Result<WebConfig> LoadWebConfigFile(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Status::NotFound(fmt::format("cannot read --web.config.file {}", Quote(path)));
  std::stringstream ss;
  ss << f.rdbuf();
  return ParseWebConfig(ss.str(), path);
}

bool BcryptMatches(std::string_view hash, std::string_view password) {
  if (!IsBcryptHash(hash) || password.find('\0') != std::string_view::npos) return false;
  auto data = std::make_unique<crypt_data>();  // ~32 KB: not on the I/O thread's stack
  std::string h(hash), p(password);
  const char* out = crypt_r(p.c_str(), h.c_str(), data.get());
  return out != nullptr && http::SecretEquals(out, hash);
}

BasicAuthChecker::BasicAuthChecker(WebConfig config) : config_(std::move(config)) {}

bool BasicAuthChecker::Check(std::string_view authorization) const {
  std::string user, password;
  if (!enabled() || !http::ParseBasicAuth(authorization, &user, &password)) return false;
  auto it = config_.basic_auth_users.find(user);
  const std::string& hash = it != config_.basic_auth_users.end() ? it->second : config_.basic_auth_users.begin()->second;
  std::string key = user + '\0' + hash + '\0' + password;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  std::string cache_key(reinterpret_cast<const char*>(digest), sizeof(digest));
  if (it != config_.basic_auth_users.end()) {
    std::lock_guard lock(mu_);
    if (verified_.count(cache_key)) return true;
  }
  bool ok = BcryptMatches(hash, password) && it != config_.basic_auth_users.end();
  if (ok) {
    std::lock_guard lock(mu_);
    if (verified_.size() >= 1024) verified_.clear();  // bounded: a few users, a few passwords
    verified_.insert(std::move(cache_key));
  }
  return ok;
}

http::Gate BasicAuthChecker::Gate() const {
  return [this](const http::Request& req, http::Response* resp) {
    if (req.path == "/-/healthy" || req.path == "/-/ready") return true;
    if (Check(req.headers.Get("Authorization"))) return true;
    http::SetUnauthorized(resp, "Alertmanager", "Unauthorized");
    return false;
  };
}

}  // namespace sremon::alertmanager
