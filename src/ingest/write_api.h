// The write and export endpoints of the storage service (VictoriaMetrics-compatible):
//   POST /api/v1/import/prometheus   text format, ms timestamps, extra_label, gzip
//   POST /api/v1/write               Prometheus remote_write 1.0 (snappy + protobuf)
//   POST /api/v1/import              VictoriaMetrics JSON lines
//   GET|POST /api/v1/export          JSON lines for match[], start, end
//   POST /api/v1/import/csv, GET|POST /api/v1/export/csv   CSV with format= (ingest/csv.h)
//   POST /api/v1/import/native, GET|POST /api/v1/export/native   VictoriaMetrics' native blocks
//                                                  (ingest/native.h, docs/format/vm_native.md)
//   POST /write, /api/v2/write (and /influx/...)   InfluxDB line protocol (ingest/influx.h)
//   POST /opentelemetry/v1/metrics (+ aliases)     OTLP/HTTP protobuf or JSON (ingest/otlp.h)
//   POST /api/v1/admin/tsdb/delete_series, GET|POST /internal/force_flush, /internal/force_merge
// Every route but export changes state: a cross-site request to it answers 403 (http::StateChanging).
// Writes answer 204; 400 naming the first bad line (the valid ones are kept); 413 over the body
// limit (the server's max_body_bytes); 503 when the store is unavailable (disk full).
// Thread-safety: handlers run concurrently; the Appendable/Queryable must be thread-safe.
#pragma once

#include <functional>
#include <vector>

#include "http/http.h"
#include "ingest/decode.h"
#include "model/labels.h"
#include "storage/storage.h"

namespace sremon::ingest {

// What the admin endpoints call; the service wires them to the TSDB.
struct AdminHooks {
  // One matcher set per match[] (series matching any set are deleted).
  std::function<Status(const std::vector<std::vector<model::Matcher>>&)> delete_series;
  std::function<Status()> force_flush;
  std::function<Status()> force_merge;
};

struct WriteApiOptions {
  Limits limits;
  // Parses a match[] selector (the service passes promql::ParseMetricSelector).
  std::function<Result<std::vector<model::Matcher>>(std::string_view)> parse_selector;
  size_t max_export_series = 0;  // 0 = unlimited (-search.maxUniqueTimeseries otherwise)
  // Where the handlers run: writes in the insert lane, export in the search lane
  // (-maxConcurrentInserts, -search.maxConcurrentRequests); the shared pool by default.
  http::Exec insert_exec = true;
  http::Exec search_exec = true;
  MetadataStore* metadata = nullptr;  // keeps remote_write metadata when set; outlives the server
};

void RegisterWriteApi(http::Server& server, storage::Appendable* appendable, storage::Queryable* queryable,
                      WriteApiOptions options, AdminHooks hooks);

// The one place write paths are counted, for writers outside the HTTP API too (Graphite): `rows`
// samples of protocol `type` in vm_rows_inserted_total{type} and sremon_rows_inserted_total{type}
// and, when failed, one error in vm_http_request_errors_total{type} and
// sremon_insert_errors_total{type}. Types: prometheus, promremotewrite, vmimport, csvimport,
// influx, opentelemetry, graphite (VictoriaMetrics' names), all registered at 0 by RegisterWriteApi.
void CountWrite(const std::string& type, uint64_t rows, bool failed);

// HTTP status for a Status from the store: Unavailable → 503, InvalidArgument → 400,
// ResourceExhausted → 413... (one place, so every endpoint answers the same).
int HttpStatusFor(const Status& st);

}  // namespace sremon::ingest
