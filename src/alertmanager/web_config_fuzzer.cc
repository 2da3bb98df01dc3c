// libFuzzer target for --web.config.file: any bytes must parse or be refused without a crash,
// and every user accepted carries a bcrypt hash.
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
  }
  return 0;
}
