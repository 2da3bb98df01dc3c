// The Prometheus HTTP query API (Prometheus 2.42 web/api/v1 shapes) over a storage::Queryable
// and a promql::Engine: query, query_range, series, labels, label values, metadata, status,
// config, query_exemplars, format_query; mounted under /api/v1 and VictoriaMetrics's /prometheus/api/v1.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "http/http.h"
#include "promql/engine.h"
#include "storage/storage.h"

namespace sremon::api {

struct PromApiOptions {
  int64_t max_points_per_series = 11000;            // -search.maxPointsPerTimeseries
  // VictoriaMetrics' limits; 0 = none. Series counts are asked of the storage's index first
  // (SelectHints::max_series), so a refusal comes before any work that grows with the data.
  size_t max_series = 0;             // -search.maxSeries: series /api/v1/series may return
  size_t max_tag_keys = 0;           // -search.maxTagKeys: /api/v1/labels answers are cut to it
  size_t max_tag_values = 0;         // -search.maxTagValues: label values answers are cut to it
  size_t max_labels_api_series = 0;  // -search.maxLabelsAPISeries: series a label API match[] may match
  size_t max_response_series = 0;    // -search.maxResponseSeries: series a query may return
  // -search.maxMemoryPerQuery: a query's answer (its points held, and their JSON, estimated)
  // larger than this is refused before the JSON is written.
  size_t max_response_bytes = 0;
  std::chrono::milliseconds slow_query_log{5000};   // -search.logSlowQueryDuration; 0 disables
  std::string version;                              // buildinfo (default: sremon's version)
  std::string revision;
  std::map<std::string, std::string> flags;         // /api/v1/status/flags
  // Where the handlers that touch storage run (a lane bounds them: -search.maxConcurrentRequests).
  http::Exec search_exec = true;
  // The scrape config as YAML for /api/v1/status/config (empty when unset, as VictoriaMetrics).
  std::function<std::string()> config_yaml;
  // Metric name → metadata seen in scrapes, for /api/v1/metadata. May be empty.
  std::function<std::map<std::string, std::vector<storage::MetricMetadata>>()> metadata;
};

// Registers every endpoint on server. db and engine must outlive the server.
// Query handlers are registered as blocking, on opts.search_exec.
void RegisterPrometheusApi(http::Server& server, storage::Queryable& db, promql::Engine& engine,
                           PromApiOptions opts);

}  // namespace sremon::api
