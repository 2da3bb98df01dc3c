// The PromQL engine (Prometheus promql/engine.go): evaluates parsed expressions against a
// storage::Queryable. Thread-safety: an Engine is shared; queries run concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "promql/ast.h"
#include "promql/value.h"
#include "storage/storage.h"
#include "util/status.h"

namespace sremon::promql {

struct EngineOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;     // -search.maxStalenessInterval / -query.lookback-delta
  size_t max_samples = 50'000'000;               // Prometheus -query.max-samples: samples in memory at once
  // -search.maxSamplesPerQuery (VictoriaMetrics): raw samples one query may read from storage in
  // all, counted as each series is decoded; 0 = no limit.
  size_t max_samples_per_query = 0;
  // -search.maxMemoryPerQuery: bytes of samples one query may hold at once (16 per sample, the
  // same moments max_samples looks at); 0 = no limit.
  size_t max_memory_bytes = 0;
  // -search.maxUniqueTimeseries: series one selector may match. Asked of the storage's index
  // before any sample is read (SelectHints::max_series), and counted as series are listed.
  size_t max_series = 1'000'000;
  std::chrono::milliseconds timeout{30'000};     // -search.maxQueryDuration
  int64_t default_subquery_step_ms = 60'000;     // for [range:] without a step
};

struct QueryStats {
  int64_t total_samples = 0;     // samples loaded from storage
  int64_t peak_samples = 0;
  double exec_seconds = 0;
};

struct QueryResult {
  Value value;
  std::vector<std::string> warnings;
  QueryStats stats;
};

// Errors: InvalidArgument for a bad query (parse error, bad parameters: API bad_data, 400);
// Execution for evaluation failures (many-to-many matching, duplicate series, limits: 422);
// Timeout / Canceled (503); anything from storage keeps its code (500/503).
class Engine {
 public:
  explicit Engine(EngineOptions options = {});

  const EngineOptions& options() const { return options_; }

  Result<QueryResult> InstantQuery(storage::Queryable& db, std::string_view query, int64_t t_ms);
  Result<QueryResult> RangeQuery(storage::Queryable& db, std::string_view query, int64_t start_ms,
                                 int64_t end_ms, int64_t step_ms);
  // The same for an expression parsed once and evaluated many times (rules).
  Result<QueryResult> InstantQueryExpr(storage::Queryable& db, const Node& expr, int64_t t_ms);
  Result<QueryResult> RangeQueryExpr(storage::Queryable& db, const Node& expr, int64_t start_ms,
                                     int64_t end_ms, int64_t step_ms);

 private:
  EngineOptions options_;
};

}  // namespace sremon::promql
