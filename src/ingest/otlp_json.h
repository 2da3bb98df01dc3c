// OTLP/HTTP JSON bodies ("JSON Protobuf Encoding" of the OTLP specification) decoded into the
// same ExportMetricsServiceRequest message the protobuf path parses, so that ImportOtlp maps both
// alike. The proto3 JSON mapping as OTLP uses it:
//   - keys are lowerCamelCase field names; the original snake_case names are accepted too, as
//     protobuf's JSON parsers and the OpenTelemetry Collector accept them;
//   - 64-bit integers are decimal strings or JSON numbers (exact integers only: 1.5, 1e30 or
//     a string past the type's range are refused, never rounded); 32-bit ones are numbers;
//   - doubles are numbers or the strings "NaN", "Infinity", "-Infinity" (or a decimal string);
//   - enums are integers (the OTLP rule) or their proto names (what protobuf parsers accept);
//   - bytes are base64 (standard or URL-safe); null is the field's default;
//   - fields we do not read (exemplars, min/max, schemaUrl, metadata...) are ignored whatever
//     they hold, as the specification requires for unknown fields.
// A body that is not JSON, nests deeper than kMaxJsonDepth, or has a field of the wrong type is
// refused as a whole, with the field's path: nothing of it is written.
// Thread-safety: a free function.
#pragma once

#include <string_view>

#include "ingest/otlp.pb.h"
#include "util/status.h"

namespace sremon::ingest {

// InvalidArgument "resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints[0].timeUnixNano:
// want ..." on the first bad field. REQUIRES: *req is empty.
Status OtlpFromJson(std::string_view body, otlp::ExportMetricsServiceRequest* req);

}  // namespace sremon::ingest
