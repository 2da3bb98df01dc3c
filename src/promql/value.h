// Values that PromQL evaluation produces (Prometheus promql/value.go).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "model/labels.h"

namespace sremon::promql {

struct Scalar {
  int64_t t = 0;
  double v = 0;
};

struct String {
  int64_t t = 0;
  std::string v;
};

// One element of an instant vector.
struct VectorSample {
  model::Labels metric;
  int64_t t = 0;
  double v = 0;
};
using Vector = std::vector<VectorSample>;

// One series of a range vector / range query result: points in increasing time.
struct SeriesPoints {
  model::Labels metric;
  std::vector<model::Sample> points;
};
using Matrix = std::vector<SeriesPoints>;

using Value = std::variant<Scalar, String, Vector, Matrix>;

// "scalar", "string", "vector", "matrix": the API's resultType.
const char* ResultTypeName(const Value& v);

}  // namespace sremon::promql
