// TLS for tests: a self-signed certificate for localhost and 127.0.0.1 made in memory, and a
// small HTTPS server that answers every request with one fixed response. Test helper only.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;
typedef struct ssl_ctx_st SSL_CTX;

namespace sremon::testutil {

struct SelfSignedCert {
  SelfSignedCert();
  ~SelfSignedCert();
  SelfSignedCert(const SelfSignedCert&) = delete;
  SelfSignedCert& operator=(const SelfSignedCert&) = delete;
  void WritePem(const std::string& path) const;  // the certificate, as a CA file for clients
  EVP_PKEY* key = nullptr;
  X509* x509 = nullptr;
};

class HttpsServer {
 public:
  // Answers every request with `status`, a text/plain `body`, and Connection: close.
  HttpsServer(const SelfSignedCert& cert, std::string body, int status = 200);
  ~HttpsServer();
  int port() const { return port_; }
  std::string last_request();  // request line and headers of the last request

 private:
  void Serve();
  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  std::string body_;
  int status_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string last_request_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace sremon::testutil
