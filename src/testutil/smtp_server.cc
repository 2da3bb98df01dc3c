#include "testutil/smtp_server.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil/raw_conn.h"

namespace sremon::testutil {
namespace {

std::string Unbase64(const std::string& in) {
  std::string out(in.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  size_t padding = in.ends_with("==") ? 2 : in.ends_with("=") ? 1 : 0;  // decoded as zero bytes
  out.resize(n < 0 ? 0 : static_cast<size_t>(n) - padding);
  return out;
}

}  // namespace

SmtpServer::SmtpServer(SmtpBehaviour b, const SelfSignedCert* cert) : b_(std::move(b)) {
  if (cert) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, cert->x509);
    SSL_CTX_use_PrivateKey(ctx_, cert->key);
  }
  fd_ = ListenOnLoopback(&port_);
  thread_ = std::thread([this] { Serve(); });
}

SmtpServer::~SmtpServer() {
  shutdown(fd_, SHUT_RDWR);
  close(fd_);
  thread_.join();
  if (ctx_) SSL_CTX_free(ctx_);
}

std::string SmtpServer::transcript() {
  std::lock_guard lock(mu_);
  return transcript_;
}

std::string SmtpServer::data() {
  std::lock_guard lock(mu_);
  return data_;
}

std::string SmtpServer::credentials() {
  std::lock_guard lock(mu_);
  return credentials_;
}

void SmtpServer::Serve() {
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

bool SmtpServer::StartTls() {
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, conn_);
  return SSL_accept(ssl_) == 1;
}

void SmtpServer::Close() {
  if (ssl_) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  close(conn_);
}

void SmtpServer::Send(const std::string& s) {
  if (ssl_) {
    SSL_write(ssl_, s.data(), static_cast<int>(s.size()));
  } else {
    (void)!write(conn_, s.data(), s.size());
  }
}

// A line without its CRLF; false at end of stream.
bool SmtpServer::ReadLine(std::string* line) {
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

}  // namespace sremon::testutil
