#include "testutil/raw_conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace sremon::testutil {

int ListenOnLoopback(int* port, int backlog) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || listen(fd, backlog) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

RawConn::RawConn(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

RawConn::~RawConn() {
  if (fd_ >= 0) close(fd_);
}

bool RawConn::Send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void RawConn::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

bool RawConn::ReadSome(std::chrono::steady_clock::time_point deadline, std::string* buf, bool* closed) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[4096];
  ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
  if (n <= 0) {
    *closed = true;
    return false;
  }
  buf->append(chunk, static_cast<size_t>(n));
  return true;
}

int RawConn::ReadStatus(std::chrono::milliseconds timeout) {
  std::string buf;
  bool closed = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (buf.find("\r\n") == std::string::npos) {
    if (!ReadSome(deadline, &buf, &closed)) return closed ? 0 : -1;
  }
  // "HTTP/1.1 400 Bad Request"
  if (buf.size() < 12 || buf.compare(0, 5, "HTTP/") != 0) return 0;
  return std::atoi(buf.c_str() + 9);
}

std::string RawConn::ReadUntilClose(std::chrono::milliseconds timeout) {
  std::string buf;
  bool closed = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (ReadSome(deadline, &buf, &closed)) {
  }
  return buf;
}

}  // namespace sremon::testutil
