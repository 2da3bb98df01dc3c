// Self-instrumentation shared by every service: one prometheus-cpp registry per process, the
// process collector (read from /proc) and sremon_build_info, rendered as text format 0.0.4.
#pragma once

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace sremon::obs {

// The process-wide registry. Thread-safe (prometheus-cpp).
prometheus::Registry& Registry();

// Everything /metrics serves: the registry, process_* metrics and sremon_build_info.
std::string RenderMetrics();

}  // namespace sremon::obs
