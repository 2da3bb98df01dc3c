// Decoders of the write endpoints' bodies: Prometheus text import, remote_write 1.0
// (snappy + protobuf) and VictoriaMetrics JSON lines; the JSON-lines export writer; and the
// label limits (-maxLabelsPerTimeseries, -maxLabelValueLen) applied to every written series.
// Thread-safety: free functions; Limits is safe to share (counters are atomic).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/metadata_store.h"
#include "ingest/remote_write_codec.h"  // EncodeRemoteWrite, for callers of the decoders
#include "model/labels.h"
#include "storage/storage.h"
#include "util/status.h"

namespace sremon::ingest {

// VictoriaMetrics behaviour: labels past the limit are dropped, longer values truncated, and
// both are counted (vm_metrics_with_dropped_labels_total, vm_too_long_label_values_total).
struct Limits {
  size_t max_labels_per_series = 30;  // -maxLabelsPerTimeseries (0 = unlimited)
  size_t max_label_value_len = 4096;  // -maxLabelValueLen (0 = unlimited)
  // -maxInsertRequestSize: also bounds a body's decompressed size (0 = unlimited).
  size_t max_request_bytes = 32 << 20;
};

struct ImportResult {
  uint64_t samples = 0;  // appended
  uint64_t rejected = 0;  // refused by the appender (invalid labels...)
  Status first_error;    // the first malformed line or series: the request answers 400 with it
};

// Applies Limits to one series' labels (in place).
void ApplyLimits(const Limits& limits, std::vector<model::Label>* labels);

// What every decoder appends through. FinishLabels: the series' labels (consumed) with
// extra_labels overriding and the limits applied. AppendOne: one sample counted in r; a refusal
// is counted and, when it is the request's first error, kept as `where index: error`.
// NoteError keeps st when it is the request's first error.
model::Labels FinishLabels(std::vector<model::Label>* ls, const model::Labels& extra_labels, const Limits& limits);
void AppendOne(storage::Appender* app, storage::SeriesRef* ref, const model::Labels& labels, int64_t t, double v,
               ImportResult* r, std::string_view where, size_t index);
void NoteError(ImportResult* r, Status st);

// Prometheus text format (timestamps in ms, optional). Malformed lines are skipped and the first
// is reported; valid lines are appended. extra_labels override the lines' labels.
ImportResult ImportPrometheusText(std::string_view body, const model::Labels& extra_labels, int64_t now_ms,
                                  const Limits& limits, storage::Appender* app);

// remote_write 1.0: snappy block-compressed protobuf WriteRequest. A body that does not
// decompress or decode is an error before anything is appended. The request's metric metadata
// is appended to *metadata when given (Prometheus type names: counter, gauge, ...).
ImportResult ImportRemoteWrite(std::string_view body, const model::Labels& extra_labels, const Limits& limits,
                               storage::Appender* app, std::vector<FamilyMetadata>* metadata = nullptr);

// Snappy block format, refused before any allocation when the declared length exceeds
// max_bytes (ResourceExhausted, naming -maxInsertRequestSize) or the data is corrupt
// (InvalidArgument). max_bytes 0 = unlimited.
Result<std::string> SnappyUncompress(std::string_view body, size_t max_bytes);

// VictoriaMetrics JSON lines: {"metric":{...},"values":[...],"timestamps":[...]} per line.
ImportResult ImportVmJson(std::string_view body, const model::Labels& extra_labels, const Limits& limits,
                          storage::Appender* app);

// InfluxDB line protocol (/write, /api/v2/write), mapped as VictoriaMetrics does: a series per
// numeric field named MEASUREMENT_FIELD (FIELD alone when the measurement is empty), the tags as
// labels, and a `db` label from the request's db argument unless a tag sets it. Booleans are 1/0;
// string fields are not samples and are skipped (VictoriaMetrics 1.79 stores them as 0). Lines
// without a timestamp get now_ms. Bad lines are skipped and the first is reported; comments
// (#) and empty lines are ignored.
struct InfluxOptions {
  std::string db;               // the db query argument ("" = no label)
  int64_t precision_nanos = 1;  // influx::PrecisionNanos of the precision argument
  int64_t now_ms = 0;
};
ImportResult ImportInflux(std::string_view body, const InfluxOptions& options, const model::Labels& extra_labels,
                          const Limits& limits, storage::Appender* app);

// One export line (with '\n'); samples must be in time order. Stale markers are left out.
void AppendVmJsonLine(std::string* out, const model::Labels& labels, const std::vector<model::Sample>& samples);

}  // namespace sremon::ingest
