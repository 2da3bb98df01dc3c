// Hand-written JSON for the Prometheus query API, byte-compatible with Prometheus 2.42's answers
// (json-iterator with Go encoding/json string rules). Results can hold millions of points, so
// everything appends into the caller's buffer and never builds a DOM.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "promql/engine.h"
#include "promql/value.h"

namespace sremon::api {

// A sample timestamp as Prometheus's marshalTimestamp: seconds, then ".mmm" when the
// milliseconds are not zero (1500 → 1.500, 2000 → 2, -1500 → -1.500).
void AppendTimestamp(std::string* out, int64_t t_ms);

// A JSON number as Go's encoding/json writes a float64 (shortest digits; exponent form below
// 1e-6 and from 1e21). Used for scalar/string result timestamps and stats timings.
void AppendGoFloat(std::string* out, double v);

// {"name":"value",...} in label order (byte order of names, as Prometheus sorts them).
void AppendLabels(std::string* out, const model::Labels& labels);

// What the query endpoints put under "data": {"resultType":"...","result":...[,"stats":...]}.
// The sample value rules differ by type as in Prometheus: vector/matrix points use the API float
// format ("1e-07"), scalar and string results use Go 'f' format ("0.0000001") and a float
// timestamp (1.5 instead of 1.500).
struct StatsTimings {
  double eval_total = 0;
  double result_sort = 0;
  double query_preparation = 0;
  double inner_eval = 0;
  double exec_queue = 0;
  double exec_total = 0;
};
void AppendQueryData(std::string* out, const promql::Value& value, const promql::QueryStats* stats,
                     const StatsTimings& timings);

// {"status":"success","data":<data_json>[,"warnings":[...]]}
std::string SuccessJson(std::string_view data_json, const std::vector<std::string>& warnings = {});
// {"status":"error","errorType":"bad_data","error":"..."}
std::string ErrorJson(std::string_view error_type, std::string_view message);

// A JSON array of strings: ["a","b"].
void AppendStringArray(std::string* out, const std::vector<std::string>& items);

}  // namespace sremon::api
