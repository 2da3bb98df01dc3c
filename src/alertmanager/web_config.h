// The web configuration Alertmanager reads from --web.config.file (Prometheus exporter-toolkit,
// docs/web-configuration.md upstream): Basic auth users with bcrypt hashes, and HTTPS through
// tls_server_config (certificate, client certificates, TLS versions). Read once at start; upstream
// re-reads it on every request, here a change needs a restart (docs/security.md).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "http/http.h"
#include "util/status.h"

namespace sremon::alertmanager {

struct WebConfig {
  std::map<std::string, std::string> basic_auth_users;  // name → bcrypt hash ($2a$, $2b$, $2y$)
  http::TlsServerOptions tls;                           // tls.enabled(): serve HTTPS
};

// Strict as upstream (unknown fields are errors); errors name the file and field. Relative file
// names in tls_server_config are taken from dir (upstream: the web config file's directory).
Result<WebConfig> ParseWebConfig(std::string_view yaml, std::string_view filename, std::string_view dir = "");
Result<WebConfig> LoadWebConfigFile(const std::string& path);

// Checks Basic credentials against the bcrypt hashes of a WebConfig. bcrypt is slow on purpose
// (tens of ms), so successful checks are remembered by a SHA-256 of user, hash and password;
// an unknown user is checked against a real hash anyway, so timing does not reveal user names.
// Thread-safe.
class BasicAuthChecker {
 public:
  explicit BasicAuthChecker(WebConfig config);
  bool enabled() const { return !config_.basic_auth_users.empty(); }
  // True when the Authorization header carries a configured user and its password.
  bool Check(std::string_view authorization) const;
  // A gate for http::Server::SetGate: 401 with WWW-Authenticate unless Check passes. The
  // liveness probes (/-/healthy, /-/ready) stay open so that supervisors need no secret.
  http::Gate Gate() const;

 private:
  WebConfig config_;
  mutable std::mutex mu_;
  mutable std::set<std::string> verified_;  // GUARDED_BY(mu_)
};

// bcrypt via the C library's crypt_r (libxcrypt): true when password hashes to hash.
bool BcryptMatches(std::string_view hash, std::string_view password);

}  // namespace sremon::alertmanager
