// Self-instrumentation shared by every service: one registry per process, the process
// collector (read from /proc) and sremon_build_info, rendered as text format 0.0.4.
#pragma once

#include <string>

#include "obs/prom.h"

// The modules spell the client `prometheus::BuildCounter()`, `prometheus::Counter&`...: the API
// of prometheus-cpp, which obs/prom.h now implements (see there why).
namespace prometheus = sremon::obs::prom;

namespace sremon::obs {

// The process-wide registry. Thread-safe.
prometheus::Registry& Registry();

// Everything /metrics serves: the registry, process_* metrics and sremon_build_info.
std::string RenderMetrics();

}  // namespace sremon::obs
