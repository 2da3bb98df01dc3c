// SendMail against a real SMTP server on 127.0.0.1 (testutil::SmtpServer): plain, STARTTLS and TLS
// from the first byte with a self-signed certificate made here, AUTH PLAIN / LOGIN, and servers
// that answer garbage, answer nothing or refuse a recipient.
#include "smtp/smtp.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "testutil/smtp_server.h"
#include "testutil/testutil.h"
#include "testutil/tls.h"

namespace sremon::smtp {
namespace {

using Cert = testutil::SelfSignedCert;  // for localhost and 127.0.0.1

Message TestMessage(const std::string& smarthost) {
  Message m;
  m.smarthost = smarthost;
  m.hello = "sremon.test";
  m.require_tls = false;
  m.from = "am@example.org";
  m.to = {"ops@example.org", "oncall@example.org"};
  m.data = "Subject: disk\r\nTo: ops@example.org\r\n\r\nfirst line\n.hidden dot line\r\n..two dots\nlast";
  m.timeout = std::chrono::milliseconds(5000);
  return m;
}

// TestMessage for a server with `cert` that requires TLS and trusts that certificate (a CA file
// written in dir).
Message TlsMessage(const testutil::SmtpServer& server, const Cert& cert, const testutil::TempDir& dir) {
  Message m = TestMessage(server.addr());
  m.require_tls = true;
  m.tls.ca_file = dir.File("ca.pem");
  cert.WritePem(m.tls.ca_file);
  return m;
}

TEST(Smtp, ReplyLines) {
  auto r = ParseReplyLine("250-test greets you");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 250);
  EXPECT_FALSE(r->last);
  EXPECT_EQ(r->text, "test greets you");
  r = ParseReplyLine("221 bye");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->last);
  EXPECT_EQ(r->text, "bye");
  r = ParseReplyLine("354");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->last);
  EXPECT_EQ(r->text, "");
  for (std::string_view bad : {"", "25", "2x0 ok", "250ok", "abc", "25-0 x"}) {
    EXPECT_FALSE(ParseReplyLine(bad)) << bad;
  }
}

TEST(Smtp, PlainDeliversWithDotStuffingAndCrlf) {
  testutil::SmtpServer server({});
  SendResult r = SendMail(TestMessage(server.addr()));
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
  testutil::SmtpServer server({.starttls = true, .auth = "LOGIN PLAIN"}, &cert);
  Message m = TlsMessage(server, cert, dir);  // the certificate names 127.0.0.1, the host dialed
  m.username = "alice";
  m.password = "s3cret";
  m.identity = "admin";
  SendResult r = SendMail(m);
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
  testutil::SmtpServer server({.starttls = true, .auth = "LOGIN"}, &cert);
  Message m = TlsMessage(server, cert, dir);
  m.tls.server_name = "localhost";
  m.username = "bob";
  m.password = "pw";
  SendResult r = SendMail(m);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(server.credentials(), "bob:pw");
  EXPECT_NE(server.transcript().find("[tls] AUTH LOGIN"), std::string::npos);
}

TEST(Smtp, ImplicitTls) {
  Cert cert;
  testutil::TempDir dir;
  testutil::SmtpServer server({.implicit_tls = true}, &cert);
  Message m = TlsMessage(server, cert, dir);
  m.implicit_tls = true;  // already TLS: require_tls needs no STARTTLS
  SendResult r = SendMail(m);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(server.transcript().find("[tls] EHLO sremon.test\n[tls] MAIL FROM"), 0u) << server.transcript();
}

TEST(Smtp, UntrustedCertificateFailsUnlessVerificationIsSkipped) {
  Cert cert;
  {
    testutil::SmtpServer server({.starttls = true}, &cert);
    Message m = TestMessage(server.addr());
    m.require_tls = true;  // system CAs do not know the test's certificate
    SendResult r = SendMail(m);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("TLS handshake"), std::string::npos) << r.status.message();
    EXPECT_TRUE(server.data().empty());
  }
  {
    testutil::TempDir dir;
    testutil::SmtpServer server({.starttls = true}, &cert);
    Message m = TlsMessage(server, cert, dir);
    m.tls.server_name = "mail.example.org";  // not a name the certificate carries
    SendResult r = SendMail(m);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("TLS handshake"), std::string::npos) << r.status.message();
  }
  {
    testutil::SmtpServer server({.starttls = true}, &cert);
    Message m = TestMessage(server.addr());
    m.require_tls = true;
    m.tls.insecure_skip_verify = true;
    SendResult r = SendMail(m);
    EXPECT_TRUE(r.status.ok()) << r.status.message();
  }
}

TEST(Smtp, RequireTlsWithoutStartTlsFails) {
  testutil::SmtpServer server({});
  Message m = TestMessage(server.addr());
  m.require_tls = true;
  SendResult r = SendMail(m);
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("STARTTLS"), std::string::npos) << r.status.message();
  EXPECT_EQ(server.transcript().find("MAIL"), std::string::npos);
}

TEST(Smtp, RejectedRecipient) {
  testutil::SmtpServer server({.rcpt_code = 550});
  SendResult r = SendMail(TestMessage(server.addr()));
  EXPECT_EQ(r.status.code(), Status::Code::kUnavailable);
  EXPECT_EQ(r.last_code, 550);
  EXPECT_NE(r.status.message().find("RCPT TO:<ops@example.org>: 550 no such user"), std::string::npos)
      << r.status.message();
  EXPECT_TRUE(server.data().empty());
}

TEST(Smtp, GarbageAndSilentServers) {
  {
    testutil::SmtpServer server({.garbage = std::string("\x01\xff garbage\r\n", 12)});
    SendResult r = SendMail(TestMessage(server.addr()));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("malformed reply"), std::string::npos) << r.status.message();
  }
  {
    testutil::SmtpServer server({.garbage = std::string(10000, 'x')});  // no line end at all
    SendResult r = SendMail(TestMessage(server.addr()));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("longer than"), std::string::npos) << r.status.message();
  }
  {
    testutil::SmtpServer server({.garbage = "250-ok\r\n999 other code\r\n"});
    SendResult r = SendMail(TestMessage(server.addr()));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("malformed reply"), std::string::npos) << r.status.message();
  }
  {
    testutil::SmtpServer server({.silent = true});
    Message m = TestMessage(server.addr());
    m.timeout = std::chrono::milliseconds(300);
    auto start = std::chrono::steady_clock::now();
    SendResult r = SendMail(m);
    EXPECT_EQ(r.status.code(), Status::Code::kTimeout) << r.status.message();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  }
}

TEST(Smtp, BadArguments) {
  testutil::SmtpServer server({});
  Message m = TestMessage(server.addr());
  m.to = {"a@b>\r\nRCPT TO:<evil@example.org"};
  EXPECT_EQ(SendMail(m).status.code(), Status::Code::kInvalidArgument);
  m = TestMessage("no-port");
  EXPECT_EQ(SendMail(m).status.code(), Status::Code::kInvalidArgument);
  m = TestMessage("127.0.0.1:1");  // nothing listens there
  SendResult r = SendMail(m);
  EXPECT_EQ(r.status.code(), Status::Code::kUnavailable) << r.status.message();
  EXPECT_NE(r.status.message().find("connect"), std::string::npos) << r.status.message();
}

}  // namespace
}  // namespace sremon::smtp
