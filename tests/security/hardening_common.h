// Shared by the hardening_* suites: start real sremon services on free ports and send requests
// with the headers a browser (or an attacker's page) would send.
#pragma once

#include <crypt.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "http/http.h"
#include "testutil/testutil.h"

namespace sremon::hardening {

// A bcrypt hash as htpasswd -B makes it (cost 4 keeps the test fast). Suites that call it link
// libcrypt.
inline std::string Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2y$", 4, nullptr, 0, salt, sizeof(salt))) return "";
  crypt_data data{};
  const char* h = crypt_r(password.c_str(), salt, &data);
  return h ? h : "";
}

// A running service and its base URL. `child` is empty when it did not come up.
struct Service {
  std::unique_ptr<testutil::Child> child;
  std::string base;  // http://127.0.0.1:PORT
  int port = 0;
  std::string log;
};

// Starts `sremon SUBCOMMAND listen_flag=127.0.0.1:PORT args...` and waits until health_path
// answers 200 (without credentials: the probes stay open when auth is on).
inline Service Start(const testutil::TempDir& dir, const std::string& subcommand, const std::string& listen_flag,
                     std::vector<std::string> args, const std::string& health_path = "/health",
                     const std::string& listen_host = "127.0.0.1") {
  Service s;
  s.port = testutil::FreePort();
  s.base = "http://127.0.0.1:" + std::to_string(s.port);
  s.log = dir.File(subcommand + "-" + std::to_string(s.port) + ".log");
  std::vector<std::string> argv = {testutil::SremonBin(), subcommand,
                                   listen_flag + "=" + listen_host + ":" + std::to_string(s.port)};
  for (auto& a : args) argv.push_back(std::move(a));
  s.child = std::make_unique<testutil::Child>(argv, s.log);
  if (!testutil::WaitHttpOk(s.base + health_path, std::chrono::milliseconds(20000))) s.child.reset();
  return s;
}

struct Answer {
  int status = 0;
  std::string body;
};

// One request; headers are added as given (Host overrides the URL's).
inline Answer Send(const std::string& method, const std::string& url, const std::string& body = "",
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::ClientRequest r;
  r.method = method;
  r.url = url;
  r.body = body;
  for (auto& [k, v] : headers) r.headers.Set(k, v);
  auto resp = http::Fetch(r);
  if (!resp.ok()) return {0, resp.status().message()};
  return {resp->status, resp->body};
}

inline const std::pair<std::string, std::string> kEvilOrigin{"Origin", "http://evil.example"};
inline const std::pair<std::string, std::string> kForm{"Content-Type", "application/x-www-form-urlencoded"};
inline const std::pair<std::string, std::string> kJson{"Content-Type", "application/json"};
// What Chromium sends with an <img> or a link from another site (no Origin on a GET).
inline const std::pair<std::string, std::string> kCrossSiteFetch{"Sec-Fetch-Site", "cross-site"};

inline std::pair<std::string, std::string> OwnOrigin(const Service& s) { return {"Origin", s.base}; }

}  // namespace sremon::hardening
