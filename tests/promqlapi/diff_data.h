// Deterministic data and queries for the differential suite (ours vs Debian's prometheus).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/labels.h"

namespace sremon::difftest {

struct GenSeries {
  model::Labels labels;
  std::vector<model::Sample> samples;
};

// Fixed start of the data (2023-11-14T22:13:20Z) so that runs are reproducible.
inline constexpr int64_t kDataStartMs = 1'700'000'000'000;
inline constexpr int64_t kDataEndMs = kDataStartMs + 2 * 3600 * 1000;

// node_exporter/app-like series over 2 h: counters with resets, gauges with gaps and negative
// values, histogram buckets, irregular scrape times, NaN and ±Inf samples. Same seed, same data.
std::vector<GenSeries> GenerateData();

// The data as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.
std::string ToOpenMetrics(const std::vector<GenSeries>& data);

// Queries exercising every function, operator and aggregation, with ranges, offsets, @ and
// subqueries. `range_ok` is false for expressions that only make sense as instant queries.
struct GenQuery {
  std::string expr;
  bool range_ok = true;
};
std::vector<GenQuery> GenerateQueries();

}  // namespace sremon::difftest
