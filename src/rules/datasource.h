// The HTTP datasource of the rules service: a Prometheus-compatible query API
// (-datasource.url / -remoteRead.url), queried as vmalert does (GET /api/v1/query).
// Thread-safety: the returned functions are safe to call from several threads.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "rules/rule.h"

namespace sremon::rules {

struct DatasourceOptions {
  std::string url;            // base URL: http://host:8428 (a trailing /api/v1/query is accepted too)
  int64_t lookback_ms = 0;    // -datasource.lookback: query at ts - lookback
  std::chrono::milliseconds timeout{30000};
};

// An instant query function over HTTP.
QueryFn MakeHttpQueryFn(DatasourceOptions options);

// Range query over HTTP (backtests): a matrix, one series per label set.
Result<promql::Matrix> HttpQueryRange(const DatasourceOptions& options, const std::string& expr, int64_t start_ms,
                                      int64_t end_ms, int64_t step_ms);

// Parses a /api/v1/query answer: vector or scalar data; Prometheus error JSON becomes the error.
Result<promql::Vector> ParseInstantResponse(std::string_view body, int http_status);
Result<promql::Matrix> ParseRangeResponse(std::string_view body, int http_status);

}  // namespace sremon::rules
