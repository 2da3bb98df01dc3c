// The config tree of a test stack, shared by the end-to-end suites (drills, faults, interop).
#pragma once

#include <string>

namespace sremon::testutil {

// Writes, under dir, what `sremon up --config-dir dir` reads, for a stack on these ports with
// 1-second intervals so drills take seconds:
//   prometheus/prometheus.yml     job sre_app scraping 127.0.0.1:app_port every second
//   prometheus/alert_rules.yml    the reference's AppDown and HighRequestRate, same labels and
//                                 annotations, `for: 3s` and a 10 s rate window
//   prometheus/alertmanager.yml   group_wait/group_interval 1s, webhook to the inbox
//   grafana/provisioning/...      the storage as the default data source
void WriteFastStackConfig(const std::string& dir, int app_port, int storage_port, int inbox_port);

}  // namespace sremon::testutil
