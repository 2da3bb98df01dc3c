// Graphite plaintext protocol, as VictoriaMetrics' -graphiteListenAddr accepts it: one sample per
// line, `name value [timestamp]`, where the name is a dotted path (`servers.web1.cpu.load`) or
// a tagged series (`cpu.load;host=web1;dc=eu`, Graphite 1.1) and the timestamp is in Unix
// seconds (fractions allowed; missing, 0 or -1 = now). The name becomes __name__ unchanged and
// the tags become labels.
// GraphiteListener serves it over TCP (one line stream per connection) and UDP (whole lines per
// datagram). Thread-safety: ImportGraphite is a free function; the listener is started and
// stopped from one thread, its connections run on threads of their own.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ingest/decode.h"
#include "storage/storage.h"
#include "util/status.h"

namespace sremon::ingest {

// Appends every valid line of body; bad lines are skipped and the first is reported.
ImportResult ImportGraphite(std::string_view body, int64_t now_ms, const Limits& limits, storage::Appender* app);

class GraphiteListener {
 public:
  GraphiteListener(storage::Appendable* appendable, Limits limits);
  ~GraphiteListener();  // Stop()

  // Binds TCP and UDP on addr ("127.0.0.1:2003", ":2003" = every interface) and starts serving.
  Status Start(const std::string& addr);
  // Closes the sockets and every connection; waits for their threads.
  void Stop();
  int port() const { return port_; }

 private:
  void AcceptLoop();
  void ServeConnection(int fd);
  void UdpLoop();
  void Ingest(std::string_view lines);

  storage::Appendable* appendable_;
  Limits limits_;
  int tcp_fd_ = -1;
  int udp_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_, udp_thread_;
  std::mutex mu_;
  std::condition_variable idle_;
  std::set<int> connection_fds_;  // GUARDED_BY(mu_): open connections (detached threads), shut down by Stop()
  static constexpr size_t kMaxConnections = 512;
};

}  // namespace sremon::ingest
