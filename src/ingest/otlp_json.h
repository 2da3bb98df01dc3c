// OTLP/HTTP JSON bodies ("JSON Protobuf Encoding" of the OTLP specification) transcoded to the
// protobuf encoding of the same ExportMetricsServiceRequest, so that ImportOtlp maps both alike
// (the request is never built as objects: ImportOtlp reads the bytes in place). The proto3 JSON mapping as OTLP uses it:
//   - keys are lowerCamelCase field names; the original snake_case names are accepted too, as
//     protobuf's JSON parsers and the OpenTelemetry Collector accept them;
//   - 64-bit integers are decimal strings or JSON numbers (exact integers only: 1.5, 1e30 or
//     a string past the type's range are refused, never rounded); 32-bit ones are numbers;
//   - doubles are numbers or the strings "NaN", "Infinity", "-Infinity" (or a decimal string);
//   - enums are integers (the OTLP rule) or their proto names (what protobuf parsers accept);
//   - bytes are base64 (standard or URL-safe); null is the field's default;
//   - fields we do not read (exemplars, min/max, schemaUrl, metadata...) are ignored whatever
//     they hold, as the specification requires for unknown fields; the ones we check but do not
//     map (scope, description, start times, bytes, array and map values) are left out of the output.
// A body that is not JSON, nests deeper than kMaxJsonDepth, or has a field of the wrong type is
// refused as a whole, with the field's path: nothing of it is written.
// Thread-safety: a free function.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace sremon::ingest {

// InvalidArgument "resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints[0].timeUnixNano:
// want ..." on the first bad field (*out is then left empty). Appends the protobuf encoding to *out
// (nested lengths as padded varints, which protobuf decoders accept).
Status OtlpJsonToProtobuf(std::string_view body, std::string* out);

}  // namespace sremon::ingest
