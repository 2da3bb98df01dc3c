// Writes the Prometheus text format 0.0.4 (what /metrics and /api/v1/export/prometheus-style
// outputs need). Appends into the caller's buffer so hot paths reuse one allocation.
// Thread-safety: free functions, no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "expo/parser.h"
#include "model/labels.h"

namespace sremon::expo {

// Escapes a label value: backslash, double quote and newline.
void AppendEscapedLabelValue(std::string* out, std::string_view v);
// `name{a="1",b="2"}` from labels holding __name__ (labels without a name write just `{...}`).
void AppendSeriesName(std::string* out, const model::Labels& labels);
// One sample line: `name{labels} value[ timestamp_ms]\n`.
void AppendSampleLine(std::string* out, const model::Labels& labels, double v,
                      std::optional<int64_t> timestamp_ms = std::nullopt);
// `# HELP family text\n` (escaping backslash and newline) and `# TYPE family type\n`.
void AppendHelp(std::string* out, std::string_view family, std::string_view help);
void AppendType(std::string* out, std::string_view family, MetricType type);

}  // namespace sremon::expo
