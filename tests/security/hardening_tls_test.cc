// The alertmanager's --web.config.file tls_server_config (exporter-toolkit's web config) against
// real clients: curl, openssl s_client and Debian's amtool (its --http.config.file carries the CA,
// the client certificate and Basic auth). The certificates are made with openssl when the test
// runs: a CA, a server certificate for 127.0.0.1, a client certificate from the CA and one from
// another CA. Fails on a build that refuses tls_server_config.
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "hardening_common.h"
#include "http/http.h"
#include "testutil/testutil.h"

namespace sremon::hardening {
namespace {

using namespace std::chrono_literals;

// The CA, server and client certificates (EC P-256: quick to make), in one directory.
class Certs {
 public:
  Certs() {
    Make("ca", "");
    Make("other-ca", "");
    Make("server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    Make("client", "ca", "extendedKeyUsage=clientAuth\n");
    Make("stranger", "other-ca", "extendedKeyUsage=clientAuth\n");
  }
  std::string Crt(const std::string& name) const { return dir_.File(name + ".crt"); }
  std::string Key(const std::string& name) const { return dir_.File(name + ".key"); }
  bool ok() const { return ok_; }
  std::string errors() const { return errors_; }

 private:
  // A self-signed CA when issuer is empty, else a certificate issued by it with extensions.
  void Make(const std::string& name, const std::string& issuer, const std::string& ext = "") {
    std::string out, key = Key(name), crt = Crt(name);
    std::string newkey = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + key + " -subj /CN=" + name;
    int rc;
    if (issuer.empty()) {
      rc = testutil::RunCommand("openssl req -x509 -days 2 " + newkey + " -out " + crt + " 2>&1", &out);
    } else {
      std::string csr = dir_.File(name + ".csr"), extfile = dir_.File(name + ".ext");
      testutil::WriteFile(extfile, ext);
      rc = testutil::RunCommand("openssl req -new " + newkey + " -out " + csr + " 2>&1 && openssl x509 -req -days 2 -in " +
                                    csr + " -CA " + Crt(issuer) + " -CAkey " + Key(issuer) + " -CAcreateserial -extfile " +
                                    extfile + " -out " + crt + " 2>&1",
                                &out);
    }
    if (rc != 0) ok_ = false, errors_ += name + ": " + out;
  }
  testutil::TempDir dir_;
  bool ok_ = true;
  std::string errors_;
};

// An alertmanager serving https with web_yml as its --web.config.file. Get() presents the
// certificate `client` of certs when it is set.
struct TlsAlertmanager {
  TlsAlertmanager(const Certs& certs, const std::string& web_yml, const std::string& client = "") {
    if (!client.empty()) client_cert = certs.Crt(client), client_key = certs.Key(client);
    testutil::WriteFile(dir.File("am.yml"), "route:\n  receiver: none\nreceivers:\n- name: none\n");
    testutil::WriteFile(dir.File("web.yml"), web_yml);
    port = testutil::FreePort();
    base = "https://127.0.0.1:" + std::to_string(port);
    log = dir.File("am.log");
    child = std::make_unique<testutil::Child>(
        std::vector<std::string>{testutil::SremonBin(), "alertmanager", "--config.file=" + dir.File("am.yml"),
                                 "--storage.path=" + dir.File("data"),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                 "--web.config.file=" + dir.File("web.yml")},
        log);
    ca = certs.Crt("ca");
    for (auto deadline = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < deadline;) {
      if (Get("/-/healthy").status == 200) return;
      if (!child->Running()) break;
      std::this_thread::sleep_for(100ms);
    }
    child.reset();
  }
  // A request through sremon's own https client, trusting the test CA.
  http::ClientResponse Get(const std::string& path, const std::string& user_password = "",
                           const std::string& scheme = "https") {
    http::ClientRequest r;
    r.url = scheme + "://127.0.0.1:" + std::to_string(port) + path;
    r.tls.ca_file = ca;
    r.tls.cert_file = client_cert;
    r.tls.key_file = client_key;
    r.timeout = 5s;
    if (!user_password.empty()) r.headers.Set("Authorization", "Basic " + http::Base64Encode(user_password));
    auto resp = http::Fetch(r);
    return resp.ok() ? *resp : http::ClientResponse{0, {}, resp.status().message()};
  }
  testutil::TempDir dir;
  std::unique_ptr<testutil::Child> child;
  int port = 0;
  std::string base, log, ca, client_cert, client_key;
};

// A command's exit code, and its output in *out (replaced, not appended to).
int Shell(const std::string& cmd, std::string* out) {
  out->clear();
  return testutil::RunCommand(cmd, out);
}

// curl's exit code and output (-w prints the HTTP status last).
int Curl(const std::string& args, std::string* out) {
  return Shell("curl -sS --max-time 10 -w ' status=%{http_code}' " + args + " 2>&1", out);
}

TEST(HardeningTls, ServesHttpsWithBasicAuthAndRefusesPlainHttp) {
  Certs certs;
  ASSERT_TRUE(certs.ok()) << certs.errors();
  TlsAlertmanager am(certs, "tls_server_config:\n  cert_file: " + certs.Crt("server") + "\n  key_file: " +
                                certs.Key("server") + "\nbasic_auth_users:\n  admin: " + Bcrypt("s3cret") + "\n");
  ASSERT_TRUE(am.child) << testutil::ReadFile(am.log);

  EXPECT_EQ(am.Get("/api/v2/status").status, 401);
  EXPECT_EQ(am.Get("/api/v2/status", "admin:wrong").status, 401);
  auto ok = am.Get("/api/v2/status", "admin:s3cret");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("\"versionInfo\""), std::string::npos) << ok.body;

  // Plain HTTP on the TLS port: a clean 400 saying why, as Go's server answers, then close.
  auto plain = am.Get("/api/v2/status", "admin:s3cret", "http");
  EXPECT_EQ(plain.status, 400) << plain.body;
  EXPECT_NE(plain.body.find("Client sent an HTTP request to an HTTPS server"), std::string::npos) << plain.body;

  std::string out;
  if (testutil::Installed("curl")) {
    // Two requests on one keep-alive TLS connection, the second a POST with a body.
    const std::string silence =
        R"({"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2020-01-01T00:00:00Z",)"
        R"("endsAt":"2099-01-01T00:00:00Z","createdBy":"t","comment":"c"})";
    testutil::WriteFile(am.dir.File("silence.json"), silence);
    EXPECT_EQ(Curl("--cacert " + am.ca + " -u admin:s3cret " + am.base + "/api/v2/status --next --cacert " + am.ca +
                       " -u admin:s3cret -H 'Content-Type: application/json' --data-binary @" +
                       am.dir.File("silence.json") + " " + am.base + "/api/v2/silences",
                   &out),
              0)
        << out;
    EXPECT_NE(out.find("silenceID"), std::string::npos) << out;
    EXPECT_NE(out.find("status=200"), std::string::npos) << out;
    // Without the CA, curl does not trust the server.
    EXPECT_NE(Curl(am.base + "/-/healthy", &out), 0) << out;
    EXPECT_EQ(Curl("http://127.0.0.1:" + std::to_string(am.port) + "/-/healthy", &out), 0) << out;
    EXPECT_NE(out.find("status=400"), std::string::npos) << out;
  }
  if (testutil::Installed("amtool")) {
    // amtool 0.25 takes the CA and the credentials from an http_config file.
    testutil::WriteFile(am.dir.File("amtool.yml"),
                        "basic_auth:\n  username: admin\n  password: s3cret\ntls_config:\n  ca_file: " + am.ca + "\n");
    std::string amtool = "amtool --alertmanager.url=" + am.base + " --http.config.file=" + am.dir.File("amtool.yml");
    int rc = Shell(amtool + " silence add alertname=AmtoolTls --comment=c --author=t --duration=1h 2>&1", &out);
    EXPECT_EQ(rc, 0) << out;
    rc = Shell(amtool + " silence query -o json 2>&1", &out);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("AmtoolTls"), std::string::npos) << out;
    // Without credentials amtool is refused, and over plain HTTP it gets the 400.
    testutil::WriteFile(am.dir.File("nocreds.yml"), "tls_config:\n  ca_file: " + am.ca + "\n");
    rc = Shell("amtool --alertmanager.url=" + am.base + " --http.config.file=" + am.dir.File("nocreds.yml") +
                                  " silence query 2>&1",
                              &out);
    EXPECT_NE(rc, 0) << out;
  } else {
    GTEST_LOG_(INFO) << "amtool not installed: checked with curl and sremon's client only";
  }
  EXPECT_TRUE(am.child->Running());
}

TEST(HardeningTls, RequireAndVerifyClientCert) {
  Certs certs;
  ASSERT_TRUE(certs.ok()) << certs.errors();
  TlsAlertmanager am(certs, "tls_server_config:\n  cert_file: " + certs.Crt("server") + "\n  key_file: " +
                                certs.Key("server") + "\n  client_auth_type: RequireAndVerifyClientCert\n"
                                "  client_ca_file: " + certs.Crt("ca") + "\n",
                     "client");
  ASSERT_TRUE(am.child) << testutil::ReadFile(am.log);
  EXPECT_EQ(am.Get("/api/v2/status").status, 200);
  am.client_cert = am.client_key = "";
  auto refused = am.Get("/api/v2/status");
  EXPECT_EQ(refused.status, 0) << refused.body;
  ASSERT_TRUE(testutil::Installed("curl"));
  std::string out;
  const std::string with_cert = "--cacert " + certs.Crt("ca") + " --cert " + certs.Crt("client") + " --key " +
                                certs.Key("client") + " ";
  EXPECT_EQ(Curl(with_cert + am.base + "/api/v2/status", &out), 0) << out;
  EXPECT_NE(out.find("status=200"), std::string::npos) << out;
  // No certificate, or one from a CA the server does not trust: the handshake fails.
  EXPECT_NE(Curl("--cacert " + certs.Crt("ca") + " " + am.base + "/api/v2/status", &out), 0) << out;
  EXPECT_EQ(out.find("status=200"), std::string::npos) << out;
  EXPECT_NE(Curl("--cacert " + certs.Crt("ca") + " --cert " + certs.Crt("stranger") + " --key " +
                     certs.Key("stranger") + " " + am.base + "/api/v2/status",
                 &out),
            0)
      << out;
  EXPECT_EQ(out.find("status=200"), std::string::npos) << out;
  if (testutil::Installed("amtool")) {
    testutil::WriteFile(am.dir.File("amtool.yml"), "tls_config:\n  ca_file: " + certs.Crt("ca") + "\n  cert_file: " +
                                                       certs.Crt("client") + "\n  key_file: " + certs.Key("client") + "\n");
    int rc = Shell("amtool --alertmanager.url=" + am.base + " --http.config.file=" +
                                      am.dir.File("amtool.yml") + " silence query 2>&1",
                                  &out);
    EXPECT_EQ(rc, 0) << out;
    testutil::WriteFile(am.dir.File("nocert.yml"), "tls_config:\n  ca_file: " + certs.Crt("ca") + "\n");
    rc = Shell("amtool --alertmanager.url=" + am.base + " --http.config.file=" +
                                  am.dir.File("nocert.yml") + " silence query 2>&1",
                              &out);
    EXPECT_NE(rc, 0) << out;
  }
  std::this_thread::sleep_for(1500ms);  // spdlog flushes every second
  EXPECT_NE(testutil::ReadFile(am.log).find("TLS handshake error from 127.0.0.1"), std::string::npos);
  EXPECT_TRUE(am.child->Running());
}

TEST(HardeningTls, MinVersionRefusesOlderClients) {
  Certs certs;
  ASSERT_TRUE(certs.ok()) << certs.errors();
  TlsAlertmanager am(certs, "tls_server_config:\n  cert_file: " + certs.Crt("server") + "\n  key_file: " +
                                certs.Key("server") + "\n  min_version: TLS13\n");
  ASSERT_TRUE(am.child) << testutil::ReadFile(am.log);
  std::string out;
  auto s_client = [&](const std::string& version) {
    return Shell("openssl s_client -connect 127.0.0.1:" + std::to_string(am.port) + " -CAfile " +
                                    certs.Crt("ca") + " -verify_return_error " + version + " </dev/null 2>&1",
                                &out);
  };
  EXPECT_EQ(s_client("-tls1_3"), 0) << out;
  EXPECT_NE(out.find("TLSv1.3"), std::string::npos) << out;
  EXPECT_NE(s_client("-tls1_2"), 0) << out;
  EXPECT_NE(out.find("alert protocol version"), std::string::npos) << out;
}

// A key that does not belong to the certificate, or a missing file: exit 1 at start, naming the
// field, instead of a server that fails every handshake.
TEST(HardeningTls, BadCertificateRefusedAtStart) {
  Certs certs;
  ASSERT_TRUE(certs.ok()) << certs.errors();
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("am.yml"), "route:\n  receiver: none\nreceivers:\n- name: none\n");
  auto run = [&](const std::string& web) {
    testutil::WriteFile(dir.File("web.yml"), web);
    std::string out;
    int rc = Shell(testutil::SremonBin() + " alertmanager --config.file=" + dir.File("am.yml") +
                                      " --storage.path=" + dir.File("data") + " --web.listen-address=127.0.0.1:" +
                                      std::to_string(testutil::FreePort()) + " --web.config.file=" + dir.File("web.yml") +
                                      " 2>&1",
                                  &out);
    EXPECT_EQ(rc, 1) << out;
    return out;
  };
  std::string out = run("tls_server_config:\n  cert_file: " + certs.Crt("server") + "\n  key_file: " +
                        certs.Key("client") + "\n");
  EXPECT_NE(out.find("tls_server_config key_file"), std::string::npos) << out;
  out = run("tls_server_config:\n  cert_file: missing.crt\n  key_file: " + certs.Key("server") + "\n");
  EXPECT_NE(out.find("tls_server_config cert_file"), std::string::npos) << out;
  EXPECT_NE(out.find(dir.File("missing.crt")), std::string::npos) << out;  // relative to web.yml
}

}  // namespace
}  // namespace sremon::hardening
