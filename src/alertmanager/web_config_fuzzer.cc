// libFuzzer target for --web.config.file: any bytes must parse or be refused without a crash,
// every user accepted carries a bcrypt hash, and an accepted tls_server_config has one certificate
// and one key source, a version range, and client CAs only with a client auth policy.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "alertmanager/web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c = sremon::alertmanager::ParseWebConfig(std::string(reinterpret_cast<const char*>(data), size), "web.yml");
  if (c.ok()) {
    for (const auto& [user, hash] : c->basic_auth_users) {
      if (user.empty() || hash.size() != 60 || hash[0] != '$') std::abort();
    }
    const auto& t = c->tls;
    if (t.enabled()) {
      if (!t.cert_file.empty() && !t.cert.empty()) std::abort();
      if (t.key_file.empty() == t.key.empty()) std::abort();
      if (t.min_version > t.max_version || t.min_version < 0x0301 || t.max_version > 0x0304) std::abort();
      bool has_ca = !t.client_ca_file.empty() || !t.client_ca.empty();
      if (has_ca && t.client_auth == sremon::http::ClientAuth::kNoClientCert) std::abort();
    }
  }
  return 0;
}
