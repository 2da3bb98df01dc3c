// A raw TCP connection to 127.0.0.1:port, for requests no HTTP client would send (hostile input,
// bodies sent in pieces, pipelining). Test helper only.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace sremon::testutil {

// A TCP socket listening on 127.0.0.1 at a port the kernel picks (*port); the fd, -1 on error.
// For test servers written against raw sockets (SMTP, TLS).
int ListenOnLoopback(int* port, int backlog = 16);

class RawConn {
 public:
  explicit RawConn(int port);
  ~RawConn();
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool ok() const { return fd_ >= 0; }
  // Sends everything; false when the peer closed (which is an acceptable answer).
  bool Send(std::string_view data);
  void ShutdownWrite();
  // The HTTP status of the first response, 0 when the connection closed without one, -1 on timeout.
  int ReadStatus(std::chrono::milliseconds timeout);
  // Everything the peer sends until it closes the connection or the timeout passes.
  std::string ReadUntilClose(std::chrono::milliseconds timeout);

 private:
  // Appends what arrives within the deadline; false on timeout, or when the peer closed (*closed).
  bool ReadSome(std::chrono::steady_clock::time_point deadline, std::string* buf, bool* closed);
  int fd_ = -1;
};

}  // namespace sremon::testutil
