// OpenTelemetry metrics over OTLP/HTTP (ExportMetricsServiceRequest bodies, protobuf or JSON), mapped to
// Prometheus series as Prometheus's OTLP translator does (UnderscoreEscapingWithSuffixes):
//   - resource: service.namespace/service.name -> job, service.instance.id -> instance; every
//     other resource attribute goes to one target_info{job,instance,...} = 1 series per resource;
//   - names and label names: characters outside [a-zA-Z0-9_:] become '_' (label names also get a
//     "key_" prefix when they start with a digit); the unit is appended as Prometheus words
//     (s -> seconds, By -> bytes, ms -> milliseconds, X/Y -> X_per_Y, "1" -> ratio for gauges,
//     {annotations} dropped); monotonic sums end in _total;
//   - gauges and cumulative sums: one sample per point; cumulative histograms with explicit
//     buckets: NAME_bucket{le} (cumulative counts, +Inf last), NAME_sum, NAME_count; summaries:
//     NAME{quantile}, NAME_sum, NAME_count.
// Refused with an error naming the metric: delta temporality (sums and histograms: converting
// needs state across requests, which Prometheus also refuses by default) and exponential
// histograms (native histograms are not stored here); metrics without a name and data points
// without a time or a value (proto3 cannot tell those from 0). The other metrics of the request
// are kept. Number points flagged FLAG_NO_RECORDED_VALUE are skipped; exemplars are not stored
// (as VictoriaMetrics 1.93).
// The body is read in place, never built as a message tree (docs/benchmarks.md "OTLP request
// memory"): a first pass checks that all of it parses as protobuf would (a malformed body is
// refused before anything is written), a second maps and appends one data point at a time.
// Thread-safety: free functions.
#pragma once

#include <string>
#include <string_view>

#include "ingest/decode.h"

namespace sremon::ingest {

// body: a protobuf ExportMetricsServiceRequest (application/x-protobuf). REQUIRES: body outlives the call.
ImportResult ImportOtlp(std::string_view body, const model::Labels& extra_labels, const Limits& limits,
                        storage::Appender* app);
// body: the same request in OTLP's JSON encoding (application/json; ingest/otlp_json.h), transcoded
// to protobuf and mapped alike.
ImportResult ImportOtlpJson(std::string_view body, const model::Labels& extra_labels, const Limits& limits,
                            storage::Appender* app);

// The Prometheus name of an OTLP metric (exposed for tests): sanitized name plus unit words and,
// for monotonic counters, _total.
std::string OtlpMetricName(std::string_view name, std::string_view unit, bool monotonic_counter, bool gauge);
std::string OtlpLabelName(std::string_view key);

}  // namespace sremon::ingest
