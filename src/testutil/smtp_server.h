// A real SMTP server on 127.0.0.1 for tests of SMTP clients (the SMTP client's own tests, the
// alertmanager's e-mail receiver): one connection at a time, plain, STARTTLS or TLS from the
// first byte (with a testutil::SelfSignedCert), AUTH PLAIN / LOGIN, and misbehaviours (garbage,
// silence, a refused recipient). Everything received is kept. Test helper only.
#pragma once

#include <mutex>
#include <string>
#include <thread>

#include "testutil/tls.h"

typedef struct ssl_st SSL;

namespace sremon::testutil {

struct SmtpBehaviour {
  bool starttls = false;      // offers STARTTLS
  bool implicit_tls = false;  // TLS from the first byte
  std::string auth;           // AUTH mechanisms offered, e.g. "PLAIN LOGIN"
  int rcpt_code = 250;
  std::string garbage;        // answers this to everything instead of SMTP
  bool silent = false;        // never answers
};

class SmtpServer {
 public:
  explicit SmtpServer(SmtpBehaviour b, const SelfSignedCert* cert = nullptr);
  ~SmtpServer();
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // Commands received, one a line, "[tls] " before those received over TLS.
  std::string transcript();
  // The DATA section as sent (CRLF line ends), dot-stuffing included, without the final ".".
  std::string data();
  std::string credentials();  // AUTH PLAIN: authzid\0user\0pass; AUTH LOGIN: user:pass

 private:
  void Serve();
  bool StartTls();
  void Close();
  void Send(const std::string& s);
  bool ReadLine(std::string* line);

  SmtpBehaviour b_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1, conn_ = -1, port_ = 0;
  std::string buf_;
  std::thread thread_;
  std::mutex mu_;
  std::string transcript_, data_, credentials_;
};

}  // namespace sremon::testutil
