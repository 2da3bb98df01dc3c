// process_* metrics as the Prometheus client libraries expose them, read from /proc/self.
#pragma once

#include <string>

namespace sremon::obs {

// Appends process_start_time_seconds, process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds and process_max_fds in text format 0.0.4.
void AppendProcessMetrics(std::string* out);

}  // namespace sremon::obs
