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
  std::chrono::milliseconds slow_query_log{5000};   // -search.logSlowQueryDuration; 0 disables
  std::string version;                              // buildinfo (default: sremon's version)
  std::string revision;
  std::map<std::string, std::string> flags;         // /api/v1/status/flags
  // The scrape config as YAML for /api/v1/status/config (empty when unset, as VictoriaMetrics).
  std::function<std::string()> config_yaml;
  // Metric name → metadata seen in scrapes, for /api/v1/metadata. May be empty.
  std::function<std::map<std::string, std::vector<storage::MetricMetadata>>()> metadata;
};

// Registers every endpoint on server. db and engine must outlive the server.
// Query handlers are registered as blocking (they run on the server's worker pool).
void RegisterPrometheusApi(http::Server& server, storage::Queryable& db, promql::Engine& engine,
                           PromApiOptions opts);

}  // namespace sremon::api
