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

// Go's tls.ClientAuthType names as exporter-toolkit reads them ("RequireClientCert" is its old
// name for RequireAnyClientCert).
bool ParseClientAuth(std::string_view name, http::ClientAuth* out) {
  static const std::pair<std::string_view, http::ClientAuth> kNames[] = {
      {"", http::ClientAuth::kNoClientCert},
      {"NoClientCert", http::ClientAuth::kNoClientCert},
      {"RequestClientCert", http::ClientAuth::kRequestClientCert},
      {"RequireAnyClientCert", http::ClientAuth::kRequireAnyClientCert},
      {"RequireClientCert", http::ClientAuth::kRequireAnyClientCert},
      {"VerifyClientCertIfGiven", http::ClientAuth::kVerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert", http::ClientAuth::kRequireAndVerifyClientCert},
  };
  for (const auto& [n, v] : kNames) {
    if (n == name) return *out = v, true;
  }
  return false;
}

// exporter-toolkit's TLSVersion names → the protocol version on the wire.
bool ParseTlsVersion(std::string_view name, int* out) {
  static const std::pair<std::string_view, int> kNames[] = {
      {"TLS10", 0x0301}, {"TLS11", 0x0302}, {"TLS12", 0x0303}, {"TLS13", 0x0304}};
  for (const auto& [n, v] : kNames) {
    if (n == name) return *out = v, true;
  }
  return false;
}

std::string JoinDir(std::string_view dir, const std::string& file) {
  if (dir.empty() || file.empty() || file[0] == '/') return file;
  return std::string(dir) + "/" + file;
}

}  // namespace

Result<WebConfig> ParseWebConfig(std::string_view yaml, std::string_view filename, std::string_view dir) {
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
      http::TlsServerOptions& tls = out.tls;
      bool any = false;  // upstream's IsEnabled: any certificate, CA or client_auth_type field
      for (const auto& t : v) {
        std::string field = t.first.IsScalar() ? t.first.Scalar() : "";
        const YAML::Node& f = t.second;
        if (field == "client_allowed_sans" || field == "cipher_suites" || field == "curve_preferences") {
          // Go's names do not map one to one onto OpenSSL's; better refused than ignored.
          if (f.IsNull() || (f.IsSequence() && f.size() == 0)) continue;
          return fail(t.first, fmt::format("tls_server_config.{} is not supported by sremon (OpenSSL's defaults are "
                                           "used); remove it",
                                           field));
        }
        if (field == "prefer_server_cipher_suites") continue;  // only matters with cipher_suites
        if (!f.IsNull() && !f.IsScalar()) return fail(f, fmt::format("tls_server_config.{}: want a string", field));
        std::string value = f.IsNull() ? "" : f.Scalar();
        if (field == "cert_file") {
          tls.cert_file = JoinDir(dir, value);
        } else if (field == "key_file") {
          tls.key_file = JoinDir(dir, value);
        } else if (field == "client_ca_file") {
          tls.client_ca_file = JoinDir(dir, value);
        } else if (field == "cert") {
          tls.cert = value;
        } else if (field == "key") {
          tls.key = value;
        } else if (field == "client_ca") {
          tls.client_ca = value;
        } else if (field == "client_auth_type") {
          if (!ParseClientAuth(value, &tls.client_auth)) {
            return fail(f, fmt::format("tls_server_config.client_auth_type: invalid ClientAuth {} (want NoClientCert, "
                                       "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
                                       "RequireAndVerifyClientCert)",
                                       Quote(value)));
          }
        } else if (field == "min_version" || field == "max_version") {
          if (!ParseTlsVersion(value, field == "min_version" ? &tls.min_version : &tls.max_version)) {
            return fail(f, fmt::format("tls_server_config.{}: unknown TLS version {} (want TLS10, TLS11, TLS12 or "
                                       "TLS13)",
                                       field, Quote(value)));
          }
          continue;
        } else {
          return fail(t.first, fmt::format("field {} not found in type web.TLSConfig", Quote(field)));
        }
        any = any || !value.empty();
      }
      if (!any) continue;
      // upstream's checks, in its words
      if (tls.cert_file.empty() == tls.cert.empty()) {
        return fail(v, tls.cert.empty() ? "tls_server_config: missing one of cert or cert_file"
                                        : "tls_server_config: at most one of cert and cert_file must be configured");
      }
      if (tls.key_file.empty() == tls.key.empty()) {
        return fail(v, tls.key.empty() ? "tls_server_config: missing one of key or key_file"
                                       : "tls_server_config: at most one of key and key_file must be configured");
      }
      if (!tls.client_ca_file.empty() && !tls.client_ca.empty()) {
        return fail(v, "tls_server_config: at most one of client_ca and client_ca_file must be configured");
      }
      if ((!tls.client_ca_file.empty() || !tls.client_ca.empty()) && tls.client_auth == http::ClientAuth::kNoClientCert) {
        return fail(v, "tls_server_config: client CA's have been configured without a Client Auth Policy");
      }
      if (tls.min_version > tls.max_version) {
        return fail(v, "tls_server_config: min_version is above max_version");
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
  size_t slash = path.rfind('/');
  return ParseWebConfig(ss.str(), path, slash == std::string::npos ? "" : std::string_view(path).substr(0, slash));
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
