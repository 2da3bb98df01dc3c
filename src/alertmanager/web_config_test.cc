// --web.config.file: parsing, and bcrypt checks through libxcrypt.
#include <crypt.h>
#include <gtest/gtest.h>

#include "alertmanager/web_config.h"
#include "http/http.h"

namespace sremon::alertmanager {
namespace {

// A fresh bcrypt hash (cost 4: fast) of password.
std::string Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof(salt)), nullptr);
  crypt_data data{};
  return crypt_r(password.c_str(), salt, &data);
}

TEST(WebConfigTest, Parse) {
  std::string hash = Bcrypt("secret");
  auto c = ParseWebConfig("basic_auth_users:\n  alice: " + hash + "\n", "web.yml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->basic_auth_users.at("alice"), hash);
  EXPECT_TRUE(ParseWebConfig("", "web.yml").ok());
  EXPECT_TRUE(ParseWebConfig("tls_server_config: {}\nhttp_server_config:\n  http2: true\n", "web.yml").ok());

  auto bad = [](const std::string& yaml, const std::string& want) {
    auto c = ParseWebConfig(yaml, "web.yml");
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_NE(c.status().message().find(want), std::string::npos) << c.status().message();
  };
  bad("basic_auth_users:\n  alice: plaintext\n", "web.yml:2: basic_auth_users.alice: not a bcrypt hash");
  bad("tls_server_config:\n  cert_file: a.crt\n", "web.yml:2: tls_server_config: missing one of key or key_file");
  bad("tls_server_config:\n  client_auth_type: NoClientCert\n", "missing one of cert or cert_file");
  bad("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca\n",
      "client CA's have been configured without a Client Auth Policy");
  bad("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Maybe\n", "invalid ClientAuth \"Maybe\"");
  bad("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n", "unknown TLS version \"TLS14\"");
  bad("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n",
      "min_version is above max_version");
  bad("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
      "tls_server_config.cipher_suites is not supported");
  bad("tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n", "field \"certfile\" not found in type web.TLSConfig");
  bad("nope: 1\n", "field \"nope\" not found");

  // Files relative to the config's directory, upstream's names for the client auth types.
  auto tls = ParseWebConfig(
      "tls_server_config:\n  cert_file: a.crt\n  key_file: /abs/a.key\n  client_ca_file: ca.pem\n"
      "  client_auth_type: RequireAndVerifyClientCert\n  min_version: TLS13\n",
      "web.yml", "/etc/am");
  ASSERT_TRUE(tls.ok()) << tls.status().message();
  EXPECT_TRUE(tls->tls.enabled());
  EXPECT_EQ(tls->tls.cert_file, "/etc/am/a.crt");
  EXPECT_EQ(tls->tls.key_file, "/abs/a.key");
  EXPECT_EQ(tls->tls.client_ca_file, "/etc/am/ca.pem");
  EXPECT_EQ(tls->tls.client_auth, http::ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(tls->tls.min_version, 0x0304);
  EXPECT_EQ(tls->tls.max_version, 0x0304);
  auto any = ParseWebConfig("tls_server_config:\n  cert: x\n  key: y\n  client_auth_type: RequireClientCert\n", "w");
  ASSERT_TRUE(any.ok()) << any.status().message();
  EXPECT_EQ(any->tls.client_auth, http::ClientAuth::kRequireAnyClientCert);
  EXPECT_FALSE(ParseWebConfig("tls_server_config:\n  min_version: TLS13\n", "w")->tls.enabled());
  bad("basic_auth_users: [a]\n", "want a mapping");
  bad("[", "web.yml");
}

TEST(WebConfigTest, CheckCredentials) {
  WebConfig c;
  c.basic_auth_users["alice"] = Bcrypt("secret");
  c.basic_auth_users["bob"] = Bcrypt("hunter2");
  BasicAuthChecker checker(c);
  auto header = [](const std::string& cred) { return "Basic " + http::Base64Encode(cred); };
  EXPECT_TRUE(checker.Check(header("alice:secret")));
  EXPECT_TRUE(checker.Check(header("alice:secret")));  // cached
  EXPECT_TRUE(checker.Check(header("bob:hunter2")));
  EXPECT_FALSE(checker.Check(header("alice:hunter2")));
  EXPECT_FALSE(checker.Check(header("carol:secret")));
  EXPECT_FALSE(checker.Check(header("alice:")));
  EXPECT_FALSE(checker.Check(""));
  EXPECT_FALSE(BcryptMatches("$2b$04$short", "secret"));
  EXPECT_FALSE(BasicAuthChecker(WebConfig{}).Check(header("alice:secret")));
}

}  // namespace
}  // namespace sremon::alertmanager
