#include "rules/datasource.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "util/json.h"
#include "util/strings.h"

namespace sremon::rules {

namespace {

using nlohmann::json;

std::string BaseUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  for (std::string_view suffix : {"/api/v1/query_range", "/api/v1/query"}) {
    if (url.size() >= suffix.size() && url.compare(url.size() - suffix.size(), suffix.size(), suffix) == 0) {
      url.resize(url.size() - suffix.size());
    }
  }
  return url;
}

std::string FormatSeconds(int64_t ms) { return fmt::format("{}.{:03}", ms / 1000, ms % 1000); }

Result<double> ParseSampleValue(const json& v) {
  if (!v.is_string()) return Status::InvalidArgument("sample value is not a string");
  return ParseFloat(v.get<std::string>());
}

Result<model::Labels> ParseMetric(const json& m) {
  if (!m.is_object()) return Status::InvalidArgument("metric is not an object");
  std::vector<model::Label> ls;
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (!it.value().is_string()) return Status::InvalidArgument("label value is not a string");
    ls.push_back({it.key(), it.value().get<std::string>()});
  }
  return model::Labels(std::move(ls));
}

// Returns data, or the API's error.
Result<json> ParseEnvelope(std::string_view body, int http_status) {
  auto parsed = ParseJson(body);
  if (!parsed.ok() || !parsed->is_object()) {
    return Status::Unavailable(fmt::format("datasource answered {} with a body that is not JSON{}: {}", http_status,
                                           parsed.ok() ? "" : " (" + parsed.status().message() + ")",
                                           std::string(body.substr(0, 200))));
  }
  json j = std::move(*parsed);
  if (j.value("status", "") != "success") {
    std::string type = j.value("errorType", "");
    std::string msg = j.value("error", "unknown error");
    Status::Code code = http_status == 400 ? Status::Code::kInvalidArgument : http_status == 422 ? Status::Code::kExecution : Status::Code::kUnavailable;
    std::string text = fmt::format("datasource error ({} {}): {}", http_status, type, msg);
    if (code == Status::Code::kInvalidArgument) return Status::InvalidArgument(text);
    if (code == Status::Code::kExecution) return Status::Execution(text);
    return Status::Unavailable(text);
  }
  if (!j.contains("data") || !j["data"].is_object()) return Status::Unavailable("datasource answer has no data");
  return j["data"];
}

}  // namespace

Result<promql::Vector> ParseInstantResponse(std::string_view body, int http_status) {
  auto data = ParseEnvelope(body, http_status);
  if (!data.ok()) return data.status();
  const json& d = *data;
  std::string type = d.value("resultType", "");
  const json& result = d.contains("result") ? d["result"] : json();
  promql::Vector out;
  if (type == "scalar") {
    if (!result.is_array() || result.size() != 2) return Status::Unavailable("bad scalar result");
    auto v = ParseSampleValue(result[1]);
    if (!v.ok()) return v.status();
    out.push_back({model::Labels(), static_cast<int64_t>(result[0].get<double>() * 1000), *v});
    return out;
  }
  if (type != "vector") return Status::Execution(fmt::format("rule expression must return a vector or a scalar, got {}", type.empty() ? "nothing" : type));
  if (!result.is_array()) return Status::Unavailable("bad vector result");
  for (const auto& s : result) {
    if (!s.is_object() || !s.contains("value") || !s["value"].is_array() || s["value"].size() != 2) {
      return Status::Unavailable("bad sample in vector result");
    }
    auto ls = ParseMetric(s.contains("metric") ? s["metric"] : json::object());
    if (!ls.ok()) return ls.status();
    auto v = ParseSampleValue(s["value"][1]);
    if (!v.ok()) return v.status();
    if (!s["value"][0].is_number()) return Status::Unavailable("bad sample timestamp");
    out.push_back({std::move(ls).value(), static_cast<int64_t>(s["value"][0].get<double>() * 1000), *v});
  }
  return out;
}

Result<promql::Matrix> ParseRangeResponse(std::string_view body, int http_status) {
  auto data = ParseEnvelope(body, http_status);
  if (!data.ok()) return data.status();
  const json& d = *data;
  if (d.value("resultType", "") != "matrix" || !d.contains("result") || !d["result"].is_array()) {
    return Status::Execution("range query must return a matrix");
  }
  promql::Matrix out;
  for (const auto& s : d["result"]) {
    promql::SeriesPoints sp;
    auto ls = ParseMetric(s.contains("metric") ? s["metric"] : json::object());
    if (!ls.ok()) return ls.status();
    sp.metric = std::move(ls).value();
    if (!s.contains("values") || !s["values"].is_array()) return Status::Unavailable("bad series in matrix result");
    for (const auto& p : s["values"]) {
      if (!p.is_array() || p.size() != 2 || !p[0].is_number()) return Status::Unavailable("bad point in matrix result");
      auto v = ParseSampleValue(p[1]);
      if (!v.ok()) return v.status();
      sp.points.push_back({static_cast<int64_t>(std::llround(p[0].get<double>() * 1000)), *v});
    }
    out.push_back(std::move(sp));
  }
  return out;
}

QueryFn MakeHttpQueryFn(DatasourceOptions options) {
  std::string base = BaseUrl(options.url);
  return [base, options](const std::string& expr, int64_t ts) -> Result<promql::Vector> {
    http::ClientRequest req;
    req.method = "POST";
    req.url = base + "/api/v1/query";
    req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    req.body = "query=" + http::UrlEncode(expr) + "&time=" + FormatSeconds(ts - options.lookback_ms);
    req.timeout = options.timeout;
    auto resp = http::Fetch(req);
    if (!resp.ok()) return Status::Unavailable(fmt::format("cannot query datasource {}: {}", http::RedactUrl(base), resp.status().message()));
    return ParseInstantResponse(resp->body, resp->status);
  };
}

Result<promql::Matrix> HttpQueryRange(const DatasourceOptions& options, const std::string& expr, int64_t start_ms,
                                      int64_t end_ms, int64_t step_ms) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = BaseUrl(options.url) + "/api/v1/query_range";
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  req.body = "query=" + http::UrlEncode(expr) + "&start=" + FormatSeconds(start_ms) + "&end=" + FormatSeconds(end_ms) +
             "&step=" + FormatSeconds(step_ms);
  req.timeout = options.timeout;
  auto resp = http::Fetch(req);
  if (!resp.ok()) return Status::Unavailable(fmt::format("cannot query datasource: {}", resp.status().message()));
  return ParseRangeResponse(resp->body, resp->status);
}

}  // namespace sremon::rules
