#include "testutil/victoria_metrics.h"

#include <signal.h>
#include <unistd.h>

#include <vector>

#include "http/http.h"

namespace sremon::testutil {

std::string VictoriaMetrics::Binary() {
  for (const char* path : {"/usr/bin/victoria-metrics", "/usr/local/bin/victoria-metrics"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

VictoriaMetrics::VictoriaMetrics(const std::string& dir, int port) : dir_(dir), port_(port ? port : FreePort()) {
  child_ = std::make_unique<Child>(
      std::vector<std::string>{Binary(), "-httpListenAddr=127.0.0.1:" + std::to_string(port_),
                               "-storageDataPath=" + dir + "/vm-data", "-retentionPeriod=100y", "-search.disableCache",
                               "-search.latencyOffset=0s", "-loggerLevel=ERROR"},
      log());
  if (!WaitHttpOk(url() + "/health", std::chrono::milliseconds(15000))) child_.reset();
}

std::string VictoriaMetrics::log() const { return dir_ + "/vm.log"; }

bool VictoriaMetrics::Import(const std::string& text) {
  auto r = http::Post(url() + "/api/v1/import/prometheus", text, "text/plain");
  return r.ok() && r->status / 100 == 2;
}

void VictoriaMetrics::Flush() { (void)http::Get(url() + "/internal/force_flush"); }

bool VictoriaMetrics::Stop() {
  if (!child_) return true;
  bool exited = child_->Stop(SIGTERM) >= 0;
  child_.reset();
  return exited;
}

}  // namespace sremon::testutil
