#include "ingest/graphite.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/http.h"
#include "ingest/write_api.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::ingest {

namespace {

bool ParseDouble(std::string_view s, double* out) {
  auto v = ParseFloat(s);
  if (v.ok()) *out = *v;
  return v.ok();
}

// One line into labels, value and time. Errors say what is wrong with the line.
Status ParseGraphiteLine(std::string_view line, int64_t now_ms, std::vector<model::Label>* ls, double* v,
                         int64_t* t) {
  std::vector<std::string_view> parts;
  for (std::string_view p : Split(line, ' ')) {
    if (!p.empty()) parts.push_back(p);
  }
  if (parts.size() < 2 || parts.size() > 3) {
    return Status::InvalidArgument("want `name value [timestamp]`");
  }
  ls->clear();
  std::string_view name = parts[0];
  size_t semi = name.find(';');
  ls->push_back({std::string(model::kMetricName), std::string(name.substr(0, semi))});
  if (ls->back().value.empty()) return Status::InvalidArgument("empty metric name");
  if (semi != std::string_view::npos) {
    for (std::string_view tag : Split(name.substr(semi + 1), ';')) {
      size_t eq = tag.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return Status::InvalidArgument(fmt::format("tag {} is not name=value", Quote(tag)));
      }
      if (eq + 1 < tag.size()) ls->push_back({std::string(tag.substr(0, eq)), std::string(tag.substr(eq + 1))});
    }
  }
  if (!ParseDouble(parts[1], v)) return Status::InvalidArgument(fmt::format("cannot parse value {}", Quote(parts[1])));
  *t = now_ms;
  if (parts.size() == 3) {
    double secs = 0;
    if (!ParseDouble(parts[2], &secs) || !std::isfinite(secs) || std::fabs(secs) > 9.2e15) {
      return Status::InvalidArgument(fmt::format("cannot parse timestamp {}", Quote(parts[2])));
    }
    if (secs > 0) *t = static_cast<int64_t>(std::llround(secs * 1000));
  }
  return Status::Ok();
}

}  // namespace

ImportResult ImportGraphite(std::string_view body, int64_t now_ms, const Limits& limits, storage::Appender* app) {
  ImportResult r;
  std::vector<model::Label> ls;
  size_t line_no = 0;
  for (std::string_view line : Split(body, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = Trim(line);
    if (line.empty()) continue;
    double v = 0;
    int64_t t = 0;
    if (Status st = ParseGraphiteLine(line, now_ms, &ls, &v, &t); !st.ok()) {
      NoteError(&r, Status::InvalidArgument(fmt::format("cannot parse Graphite line {}: {}: {}", line_no, st.message(),
                                                        Quote(line.substr(0, 200)))));
      continue;
    }
    storage::SeriesRef ref = 0;
    AppendOne(app, &ref, FinishLabels(&ls, {}, limits), t, v, &r, "Graphite line", line_no);
  }
  return r;
}

GraphiteListener::GraphiteListener(storage::Appendable* appendable, Limits limits)
    : appendable_(appendable), limits_(limits) {}

GraphiteListener::~GraphiteListener() { Stop(); }

Status GraphiteListener::Start(const std::string& addr) {
  std::string host;
  int port = 0;
  SREMON_RETURN_IF_ERROR(http::ParseListenAddr(addr, &host, &port).WithContext("-graphiteListenAddr"));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (host.empty() || host == "0.0.0.0") {
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (host == "localhost") {
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  } else if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    return Status::InvalidArgument(fmt::format("-graphiteListenAddr {}: want an IPv4 address", Quote(addr)));
  }
  tcp_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(tcp_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(tcp_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || listen(tcp_fd_, 128) != 0) {
    Status st = Status::IOError(fmt::format("cannot listen for Graphite on TCP {}: {}", addr, std::strerror(errno)));
    close(tcp_fd_);
    tcp_fd_ = -1;
    return st;
  }
  socklen_t len = sizeof(sa);
  getsockname(tcp_fd_, reinterpret_cast<sockaddr*>(&sa), &len);  // the port, when 0 was asked
  port_ = ntohs(sa.sin_port);
  udp_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  // shutdown() does not reliably wake a recv() on an unconnected UDP socket: wake up to check.
  timeval tick{0, 200 * 1000};
  setsockopt(udp_fd_, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick));
  if (bind(udp_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    Status st = Status::IOError(fmt::format("cannot listen for Graphite on UDP {}: {}", addr, std::strerror(errno)));
    Stop();
    return st;
  }
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  udp_thread_ = std::thread([this] { UdpLoop(); });
  return Status::Ok();
}

void GraphiteListener::Stop() {
  if (stopping_.exchange(true)) return;
  if (tcp_fd_ >= 0) shutdown(tcp_fd_, SHUT_RDWR);
  if (udp_fd_ >= 0) shutdown(udp_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  if (udp_thread_.joinable()) udp_thread_.join();
  {
    std::unique_lock lock(mu_);
    for (int fd : connection_fds_) shutdown(fd, SHUT_RDWR);
    idle_.wait(lock, [this] { return connection_fds_.empty(); });
  }
  if (tcp_fd_ >= 0) close(tcp_fd_);
  if (udp_fd_ >= 0) close(udp_fd_);
  tcp_fd_ = udp_fd_ = -1;
}

void GraphiteListener::AcceptLoop() {
  while (!stopping_) {
    int fd = accept4(tcp_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_ || errno == EINVAL || errno == EBADF) return;
      continue;  // EMFILE, ECONNABORTED...: keep accepting
    }
    std::lock_guard lock(mu_);
    if (stopping_ || connection_fds_.size() >= kMaxConnections) {
      close(fd);
      continue;
    }
    connection_fds_.insert(fd);
    std::thread([this, fd] { ServeConnection(fd); }).detach();
  }
}

void GraphiteListener::ServeConnection(int fd) {
  std::string pending;
  char buf[64 * 1024];
  while (true) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t last_nl = pending.rfind('\n');
    if (last_nl == std::string::npos) {
      if (pending.size() > 1 << 20) break;  // a line over 1 MiB: not Graphite
      continue;
    }
    Ingest(std::string_view(pending).substr(0, last_nl + 1));
    pending.erase(0, last_nl + 1);
  }
  if (!pending.empty()) Ingest(pending);  // the last line may end without '\n'
  std::lock_guard lock(mu_);
  close(fd);
  connection_fds_.erase(fd);
  idle_.notify_all();
}

void GraphiteListener::UdpLoop() {
  std::string buf(64 * 1024, '\0');
  while (!stopping_) {
    ssize_t n = recv(udp_fd_, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (stopping_ || errno == EBADF) return;
      continue;
    }
    if (n == 0) {
      if (stopping_) return;
      continue;
    }
    Ingest(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
}

void GraphiteListener::Ingest(std::string_view lines) {
  auto app = appendable_->NewAppender();
  ImportResult r = ImportGraphite(lines, NowMs(), limits_, app.get());
  Status st = app->Commit();
  CountWrite("graphite", st.ok() ? r.samples : 0, !st.ok() || !r.first_error.ok());
  if (!st.ok()) spdlog::warn("graphite: cannot store {} samples: {}", r.samples, st.message());
  if (!r.first_error.ok()) spdlog::warn("graphite: {}", r.first_error.message());
}

}  // namespace sremon::ingest
