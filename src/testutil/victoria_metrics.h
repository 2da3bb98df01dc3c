// Debian's victoria-metrics single-node as a real counterpart in end-to-end suites (storage
// interop, rules datasource and remote_write receiver, alertmanager interop): one launcher, so
// every suite starts it with the same flags. Test helper only.
// Thread-safety: one owner; url()/port() from any thread.
#pragma once

#include <memory>
#include <string>

#include "testutil/testutil.h"

namespace sremon::testutil {

class VictoriaMetrics {
 public:
  // The installed binary, or "" when victoria-metrics is not installed (the caller skips).
  static std::string Binary();

  // Starts it on 127.0.0.1:port (0 = a free port) with its data in dir/vm-data and its log in
  // dir/vm.log, and waits up to 15 s for /health. Restarting on the same dir and port finds the
  // data of the last run. Flags: unlimited retention, no query cache and no latency offset, so
  // that what was just written is what a query answers.
  explicit VictoriaMetrics(const std::string& dir, int port = 0);
  bool ok() const { return child_ != nullptr; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const;

  // Prometheus text lines (timestamps in ms) through /api/v1/import/prometheus; true on 2xx.
  bool Import(const std::string& text);
  // Makes what was written searchable now rather than after the next in-memory flush.
  void Flush();
  // Graceful stop (SIGTERM: a kill -9 loses the last seconds of data); false if it did not exit.
  bool Stop();

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<Child> child_;
};

}  // namespace sremon::testutil
