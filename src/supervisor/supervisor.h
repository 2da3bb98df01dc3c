// The operations of `sremon up|down|status|logs|start|stop|restart` over a StackConfig: the
// reference's up/down/status/logs scripts, natively. Each returns the process exit code and
// writes what it did to out (messages for people) and err (errors).
// Thread-safety: one operation at a time per object.
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "supervisor/stack.h"

namespace sremon::supervisor {

struct HealthAnswer {
  bool ok = false;
  int http_status = 0;  // 0 when no HTTP answer
  std::string answer;   // first line of the body, or the error ("connection refused")
};
HealthAnswer CheckHealth(const std::string& url, std::chrono::milliseconds timeout);

class Supervisor {
 public:
  using Selection = std::vector<const ServiceSpec*>;

  Supervisor(StackConfig cfg, std::ostream& out, std::ostream& err);

  // Starts what is not running yet, waits until each answers its health URL (up to timeout),
  // prints one line per service and, when print_endpoints, the endpoints table. A port taken by
  // another program is reported before anything starts; when a service nevertheless fails to
  // bind, everything this call started is stopped again. Exit 1 when a service failed.
  int Up(const Selection& services, std::chrono::milliseconds timeout, bool print_endpoints);
  // Stops the services (SIGTERM, then SIGKILL after grace) and removes their pid files.
  // Stale pid files are removed, never acted on.
  int Stop(const Selection& services, std::chrono::milliseconds grace);
  // Stop every service with a pid file and forget the stack's selection.
  int Down(std::chrono::milliseconds grace);
  int Restart(const Selection& services, std::chrono::milliseconds grace, std::chrono::milliseconds timeout);
  // Process state and health per service, [OK]/[FAIL]; exit 1 when any is not healthy.
  int Status(const Selection& services, bool json);
  // Last `tail` lines of each log (merged by timestamp, prefixed by the service name when there
  // are several), then with follow, new lines as they come until interrupted.
  int Logs(const Selection& services, bool follow, size_t tail);

  // What status/logs show when no service is named: the services `up` was asked for (recorded
  // in the state dir) and any with a pid file; every service when there is no record.
  Selection DefaultSelection() const;

 private:
  std::string RecordFile() const;
  void Record(const Selection& services) const;
  void PrintEndpoints(const Selection& services) const;

  StackConfig cfg_;
  std::string binary_name_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace sremon::supervisor
