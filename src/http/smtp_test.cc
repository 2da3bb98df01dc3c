// SendMail against a real SMTP server on 127.0.0.1, run by the test: plain, STARTTLS and TLS from
// the first byte with a self-signed certificate made here, AUTH PLAIN / LOGIN, and servers
// that answer garbage, answer nothing or refuse a recipient.
#include "http/smtp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "testutil/raw_conn.h"
#include "testutil/testutil.h"
#include "testutil/tls.h"

namespace sremon::http {
namespace {

using Cert = testutil::SelfSignedCert;  // for localhost and 127.0.0.1

std::string Unbase64(const std::string& in) {
  std::string out(in.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  size_t padding = in.ends_with("==") ? 2 : in.ends_with("=") ? 1 : 0;  // decoded as zero bytes
  out.resize(n < 0 ? 0 : static_cast<size_t>(n) - padding);
  return out;
}

struct ServerBehaviour {
  bool starttls = false;      // offers STARTTLS
  bool implicit_tls = false;  // TLS from the first byte
  std::string auth;           // AUTH mechanisms offered, e.g. "PLAIN LOGIN"
  int rcpt_code = 250;
  std::string garbage;        // answers this to everything instead of SMTP
  bool silent = false;        // never answers
};

// One connection at a time, lines in and out; everything received is kept.
class TestSmtpServer {
 public:
  TestSmtpServer(ServerBehaviour b, const Cert* cert = nullptr) : b_(std::move(b)) {
    if (cert) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      SSL_CTX_use_certificate(ctx_, cert->x509);
      SSL_CTX_use_PrivateKey(ctx_, cert->key);
    }
    fd_ = testutil::ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestSmtpServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    if (ctx_) SSL_CTX_free(ctx_);
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  // Commands received, one a line, "[tls] " before those received over TLS.
  std::string transcript() {
    std::lock_guard lock(mu_);
    return transcript_;
  }
  std::string data() {  // the DATA section as sent, dot-stuffing included, without the final "."
    std::lock_guard lock(mu_);
    return data_;
  }
  std::string credentials() {
    std::lock_guard lock(mu_);
    return credentials_;
  }

 private:
  void Serve() {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    conn_ = c;
    if (b_.implicit_tls && !StartTls()) return Close();
    if (b_.silent) {
      char tmp[256];
      while (read(c, tmp, sizeof(tmp)) > 0) {
      }
      return Close();
    }
    if (!b_.garbage.empty()) {
      Send(b_.garbage);
      std::string line;
      while (ReadLine(&line)) Send(b_.garbage);
      return Close();
    }
    Send("220 test ESMTP\r\n");
    std::string line;
    while (ReadLine(&line)) {
      {
        std::lock_guard lock(mu_);
        transcript_ += (ssl_ ? "[tls] " : "") + line + "\n";
      }
      if (line.starts_with("EHLO")) {
        std::string r = "250-test greets you\r\n";
        if (b_.starttls && !ssl_) r += "250-STARTTLS\r\n";
        if (!b_.auth.empty()) r += "250-AUTH " + b_.auth + "\r\n";
        Send(r + "250 8BITMIME\r\n");
      } else if (line == "STARTTLS") {
        Send("220 ready\r\n");
        if (!StartTls()) break;
      } else if (line.starts_with("AUTH PLAIN ")) {
        std::lock_guard lock(mu_);
        credentials_ = Unbase64(line.substr(11));
        Send("235 ok\r\n");
      } else if (line == "AUTH LOGIN") {
        std::string user, pass;
        Send("334 VXNlcm5hbWU6\r\n");
        if (!ReadLine(&user)) break;
        Send("334 UGFzc3dvcmQ6\r\n");
        if (!ReadLine(&pass)) break;
        std::lock_guard lock(mu_);
        credentials_ = Unbase64(user) + ":" + Unbase64(pass);
        Send("235 ok\r\n");
      } else if (line.starts_with("MAIL FROM:")) {
        Send("250 ok\r\n");
      } else if (line.starts_with("RCPT TO:")) {
        Send(std::to_string(b_.rcpt_code) + (b_.rcpt_code == 250 ? " ok\r\n" : " no such user\r\n"));
      } else if (line == "DATA") {
        Send("354 go ahead\r\n");
        std::string d;
        while (ReadLine(&d) && d != ".") {
          std::lock_guard lock(mu_);
          data_ += d + "\r\n";
        }
        Send("250 queued\r\n");
      } else if (line == "QUIT") {
        Send("221 bye\r\n");
        break;
      } else {
        Send("502 unknown command\r\n");
      }
    }
    Close();
  }
  bool StartTls() {
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, conn_);
    return SSL_accept(ssl_) == 1;
  }
  void Close() {
    if (ssl_) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    close(conn_);
  }
  void Send(const std::string& s) {
    if (ssl_) {
      SSL_write(ssl_, s.data(), static_cast<int>(s.size()));
    } else {
      (void)!write(conn_, s.data(), s.size());
    }
  }
  // A line without its CRLF; false at end of stream.
  bool ReadLine(std::string* line) {
    while (true) {
      size_t pos = buf_.find("\r\n");
      if (pos != std::string::npos) {
        *line = buf_.substr(0, pos);
        buf_.erase(0, pos + 2);
        return true;
      }
      char tmp[4096];
      int n = ssl_ ? SSL_read(ssl_, tmp, sizeof(tmp)) : static_cast<int>(read(conn_, tmp, sizeof(tmp)));
      if (n <= 0) return false;
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

  ServerBehaviour b_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1, conn_ = -1, port_ = 0;
  std::string buf_;
  std::thread thread_;
  std::mutex mu_;
  std::string transcript_, data_, credentials_;
};

SmtpMessage Message(const std::string& smarthost) {
  SmtpMessage m;
  m.smarthost = smarthost;
  m.hello = "sremon.test";
  m.require_tls = false;
  m.from = "am@example.org";
  m.to = {"ops@example.org", "oncall@example.org"};
  m.data = "Subject: disk\r\nTo: ops@example.org\r\n\r\nfirst line\n.hidden dot line\r\n..two dots\nlast";
  m.timeout = std::chrono::milliseconds(5000);
  return m;
}

TEST(Smtp, PlainDeliversWithDotStuffingAndCrlf) {
  TestSmtpServer server({});
  SmtpResult r = SendMail(Message(server.addr()));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.last_code, 221);
  EXPECT_EQ(server.transcript(),
            "EHLO sremon.test\nMAIL FROM:<am@example.org>\nRCPT TO:<ops@example.org>\n"
            "RCPT TO:<oncall@example.org>\nDATA\nQUIT\n");
  EXPECT_EQ(server.data(),
            "Subject: disk\r\nTo: ops@example.org\r\n\r\nfirst line\r\n..hidden dot line\r\n...two dots\r\nlast\r\n");
}

TEST(Smtp, StartTlsThenAuthPlain) {
  Cert cert;
  testutil::TempDir dir;
  cert.WritePem(dir.File("ca.pem"));
  TestSmtpServer server({.starttls = true, .auth = "LOGIN PLAIN"}, &cert);
  SmtpMessage m = Message(server.addr());
  m.require_tls = true;
  m.tls.ca_file = dir.File("ca.pem");  // the certificate names 127.0.0.1, the host dialed
  m.username = "alice";
  m.password = "s3cret";
  m.identity = "admin";
  SmtpResult r = SendMail(m);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  std::string t = server.transcript();
  EXPECT_EQ(t.find("EHLO sremon.test\nSTARTTLS\n[tls] EHLO sremon.test\n[tls] AUTH PLAIN "), 0u) << t;
  EXPECT_NE(t.find("[tls] MAIL FROM:<am@example.org>"), std::string::npos) << t;
  EXPECT_EQ(server.credentials(), std::string("admin\0alice\0s3cret", 18));
  EXPECT_NE(server.data().find("..hidden"), std::string::npos);
}

TEST(Smtp, AuthLoginAndServerName) {
  Cert cert;
  testutil::TempDir dir;
  cert.WritePem(dir.File("ca.pem"));
  TestSmtpServer server({.starttls = true, .auth = "LOGIN"}, &cert);
  SmtpMessage m = Message(server.addr());
  m.require_tls = true;
  m.tls.ca_file = dir.File("ca.pem");
  m.tls.server_name = "localhost";
  m.username = "bob";
  m.password = "pw";
  SmtpResult r = SendMail(m);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(server.credentials(), "bob:pw");
  EXPECT_NE(server.transcript().find("[tls] AUTH LOGIN"), std::string::npos);
}

TEST(Smtp, ImplicitTls) {
  Cert cert;
  testutil::TempDir dir;
  cert.WritePem(dir.File("ca.pem"));
  TestSmtpServer server({.implicit_tls = true}, &cert);
  SmtpMessage m = Message(server.addr());
  m.implicit_tls = true;
  m.require_tls = true;  // already TLS: no STARTTLS needed
  m.tls.ca_file = dir.File("ca.pem");
  SmtpResult r = SendMail(m);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(server.transcript().find("[tls] EHLO sremon.test\n[tls] MAIL FROM"), 0u) << server.transcript();
}

TEST(Smtp, UntrustedCertificateFailsUnlessVerificationIsSkipped) {
  Cert cert;
  {
    TestSmtpServer server({.starttls = true}, &cert);
    SmtpMessage m = Message(server.addr());
    m.require_tls = true;  // system CAs do not know the test's certificate
    SmtpResult r = SendMail(m);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("TLS handshake"), std::string::npos) << r.status.message();
    EXPECT_TRUE(server.data().empty());
  }
  {
    testutil::TempDir dir;
    cert.WritePem(dir.File("ca.pem"));
    TestSmtpServer server({.starttls = true}, &cert);
    SmtpMessage m = Message(server.addr());
    m.require_tls = true;
    m.tls.ca_file = dir.File("ca.pem");
    m.tls.server_name = "mail.example.org";  // not a name the certificate carries
    SmtpResult r = SendMail(m);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("TLS handshake"), std::string::npos) << r.status.message();
  }
  {
    TestSmtpServer server({.starttls = true}, &cert);
    SmtpMessage m = Message(server.addr());
    m.require_tls = true;
    m.tls.insecure_skip_verify = true;
    SmtpResult r = SendMail(m);
    EXPECT_TRUE(r.status.ok()) << r.status.message();
  }
}

TEST(Smtp, RequireTlsWithoutStartTlsFails) {
  TestSmtpServer server({});
  SmtpMessage m = Message(server.addr());
  m.require_tls = true;
  SmtpResult r = SendMail(m);
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("STARTTLS"), std::string::npos) << r.status.message();
  EXPECT_EQ(server.transcript().find("MAIL"), std::string::npos);
}

TEST(Smtp, RejectedRecipient) {
  TestSmtpServer server({.rcpt_code = 550});
  SmtpResult r = SendMail(Message(server.addr()));
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.last_code, 550);
  EXPECT_NE(r.status.message().find("RCPT TO:<ops@example.org>: 550 no such user"), std::string::npos)
      << r.status.message();
  EXPECT_TRUE(server.data().empty());
}

TEST(Smtp, GarbageAndSilentServers) {
  {
    TestSmtpServer server({.garbage = std::string("\x01\xff garbage\r\n", 12)});
    SmtpResult r = SendMail(Message(server.addr()));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("malformed reply"), std::string::npos) << r.status.message();
  }
  {
    TestSmtpServer server({.garbage = std::string(10000, 'x')});  // no line end at all
    SmtpResult r = SendMail(Message(server.addr()));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("longer than"), std::string::npos) << r.status.message();
  }
  {
    TestSmtpServer server({.garbage = "250-ok\r\n999 other code\r\n"});
    SmtpResult r = SendMail(Message(server.addr()));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("malformed reply"), std::string::npos) << r.status.message();
  }
  {
    TestSmtpServer server({.silent = true});
    SmtpMessage m = Message(server.addr());
    m.timeout = std::chrono::milliseconds(300);
    auto start = std::chrono::steady_clock::now();
    SmtpResult r = SendMail(m);
    EXPECT_EQ(r.status.code(), Status::Code::kTimeout) << r.status.message();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  }
}

TEST(Smtp, BadArguments) {
  TestSmtpServer server({});
  SmtpMessage m = Message(server.addr());
  m.to = {"a@b>\r\nRCPT TO:<evil@example.org"};
  EXPECT_EQ(SendMail(m).status.code(), Status::Code::kInvalidArgument);
  m = Message("no-port");
  EXPECT_EQ(SendMail(m).status.code(), Status::Code::kInvalidArgument);
  m = Message("127.0.0.1:1");  // nothing listens there
  SmtpResult r = SendMail(m);
  EXPECT_EQ(r.status.code(), Status::Code::kUnavailable) << r.status.message();
  EXPECT_NE(r.status.message().find("connect"), std::string::npos) << r.status.message();
}

}  // namespace
}  // namespace sremon::http
