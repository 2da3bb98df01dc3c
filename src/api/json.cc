#include "api/json.h"

#include <charconv>
#include <cmath>

#include "util/go_compat.h"
#include "util/strings.h"

namespace sremon::api {
namespace {

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, res.ptr);
}

void AppendPoint(std::string* out, int64_t t_ms, double v) {
  out->push_back('[');
  AppendTimestamp(out, t_ms);
  out->append(",\"");
  AppendFloatApi(out, v);
  out->append("\"]");
}

void AppendVector(std::string* out, const promql::Vector& vec) {
  out->push_back('[');
  bool first = true;
  for (const auto& s : vec) {
    if (!first) out->push_back(',');
    first = false;
    out->append("{\"metric\":");
    AppendLabels(out, s.metric);
    out->append(",\"value\":");
    AppendPoint(out, s.t, s.v);
    out->push_back('}');
  }
  out->push_back(']');
}

void AppendMatrix(std::string* out, const promql::Matrix& mat) {
  size_t points = 0;
  for (const auto& s : mat) points += s.points.size();
  // ~24 bytes per point ("[1700000000.123,\"12.5\"],") and ~100 per series header.
  out->reserve(out->size() + points * 26 + mat.size() * 128);
  out->push_back('[');
  bool first = true;
  for (const auto& s : mat) {
    if (!first) out->push_back(',');
    first = false;
    out->append("{\"metric\":");
    AppendLabels(out, s.metric);
    out->append(",\"values\":[");
    bool first_point = true;
    for (const auto& p : s.points) {
      if (!first_point) out->push_back(',');
      first_point = false;
      AppendPoint(out, p.t, p.v);
    }
    out->append("]}");
  }
  out->push_back(']');
}

void AppendStats(std::string* out, const promql::QueryStats& stats, const StatsTimings& t) {
  out->append(",\"stats\":{\"timings\":{\"evalTotalTime\":");
  AppendGoFloat(out, t.eval_total);
  out->append(",\"resultSortTime\":");
  AppendGoFloat(out, t.result_sort);
  out->append(",\"queryPreparationTime\":");
  AppendGoFloat(out, t.query_preparation);
  out->append(",\"innerEvalTime\":");
  AppendGoFloat(out, t.inner_eval);
  out->append(",\"execQueueTime\":");
  AppendGoFloat(out, t.exec_queue);
  out->append(",\"execTotalTime\":");
  AppendGoFloat(out, t.exec_total);
  out->append("},\"samples\":{\"totalQueryableSamples\":");
  AppendInt(out, stats.total_samples);
  out->append(",\"peakSamples\":");
  AppendInt(out, stats.peak_samples);
  out->append("}}");
}

}  // namespace

void AppendTimestamp(std::string* out, int64_t t_ms) {
  if (t_ms < 0) {
    out->push_back('-');
    t_ms = -t_ms;
  }
  AppendInt(out, t_ms / 1000);
  int frac = static_cast<int>(t_ms % 1000);
  if (frac != 0) {
    out->push_back('.');
    out->push_back(static_cast<char>('0' + frac / 100));
    out->push_back(static_cast<char>('0' + frac / 10 % 10));
    out->push_back(static_cast<char>('0' + frac % 10));
  }
}

void AppendGoFloat(std::string* out, double v) {
  if (!std::isfinite(v)) {  // not representable in JSON; Go would fail the whole answer
    out->push_back('0');
    return;
  }
  AppendFloatApi(out, v);
}

void AppendLabels(std::string* out, const model::Labels& labels) {
  out->push_back('{');
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonStringHtmlSafe(out, l.name);
    out->push_back(':');
    AppendJsonStringHtmlSafe(out, l.value);
  }
  out->push_back('}');
}

void AppendQueryData(std::string* out, const promql::Value& value, const promql::QueryStats* stats,
                     const StatsTimings& timings) {
  out->append("{\"resultType\":\"");
  if (const auto* s = std::get_if<promql::Scalar>(&value)) {
    out->append("scalar\",\"result\":[");
    AppendGoFloat(out, static_cast<double>(s->t) / 1000.0);
    out->append(",\"");
    AppendFloatF(out, s->v);
    out->append("\"]");
  } else if (const auto* str = std::get_if<promql::String>(&value)) {
    out->append("string\",\"result\":[");
    AppendGoFloat(out, static_cast<double>(str->t) / 1000.0);
    out->push_back(',');
    AppendJsonStringHtmlSafe(out, str->v);
    out->push_back(']');
  } else if (const auto* vec = std::get_if<promql::Vector>(&value)) {
    out->append("vector\",\"result\":");
    AppendVector(out, *vec);
  } else {
    out->append("matrix\",\"result\":");
    AppendMatrix(out, std::get<promql::Matrix>(value));
  }
  if (stats) AppendStats(out, *stats, timings);
  out->push_back('}');
}

std::string SuccessJson(std::string_view data_json, const std::vector<std::string>& warnings) {
  std::string out;
  out.reserve(data_json.size() + 40);
  out.append("{\"status\":\"success\",\"data\":");
  out.append(data_json);
  if (!warnings.empty()) {
    out.append(",\"warnings\":");
    AppendStringArray(&out, warnings);
  }
  out.push_back('}');
  return out;
}

std::string ErrorJson(std::string_view error_type, std::string_view message) {
  std::string out = "{\"status\":\"error\",\"errorType\":";
  AppendJsonStringHtmlSafe(&out, error_type);
  out.append(",\"error\":");
  AppendJsonStringHtmlSafe(&out, message);
  out.push_back('}');
  return out;
}

void AppendStringArray(std::string* out, const std::vector<std::string>& items) {
  out->push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out->push_back(',');
    AppendJsonStringHtmlSafe(out, items[i]);
  }
  out->push_back(']');
}

}  // namespace sremon::api
