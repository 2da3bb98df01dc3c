#include "api/prom_api.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/errors.h"
#include "api/json.h"
#include "api/params.h"
#include "api/selectors.h"
#include "promql/ast.h"
#include "util/go_compat.h"
#include "util/heap.h"
#include "util/strings.h"
#include "util/time.h"
#include "version.h"

namespace sremon::api {
namespace {

constexpr std::string_view kSuccessPrefix = "{\"status\":\"success\",\"data\":";

// Builds {"status":"success","data":...} in one buffer (results can be large: no second copy).
class SuccessWriter {
 public:
  SuccessWriter() { out_.append(kSuccessPrefix); }
  std::string* data() { return &out_; }
  void Finish(http::Response& resp, const std::vector<std::string>& warnings = {}) {
    if (!warnings.empty()) {
      out_.append(",\"warnings\":");
      AppendStringArray(&out_, warnings);
    }
    out_.push_back('}');
    resp.SetJson(200, std::move(out_));
  }

 private:
  std::string out_;
};

class PromApi {
 public:
  PromApi(storage::Queryable& db, promql::Engine& engine, PromApiOptions opts)
      : db_(db), engine_(engine), opts_(std::move(opts)), start_time_ms_(NowMs()) {
    if (opts_.version.empty()) opts_.version = kVersion;
    if (opts_.revision.empty()) opts_.revision = kRevision;
  }

  void Query(const http::Request& req, http::Response& resp);
  void QueryRange(const http::Request& req, http::Response& resp);
  void Series(const http::Request& req, http::Response& resp);
  void LabelNames(const http::Request& req, http::Response& resp);
  void LabelValues(const http::Request& req, http::Response& resp);
  void Metadata(const http::Request& req, http::Response& resp);
  void BuildInfo(const http::Request& req, http::Response& resp);
  void RuntimeInfo(const http::Request& req, http::Response& resp);
  void Flags(const http::Request& req, http::Response& resp);
  void Config(const http::Request& req, http::Response& resp);
  void TsdbStatus(const http::Request& req, http::Response& resp);
  void QueryExemplars(const http::Request& req, http::Response& resp);
  void FormatQuery(const http::Request& req, http::Response& resp);

 private:
  // The request's timeout parameter as an engine to run with: the shared engine, or a copy
  // with a shorter deadline. Engines are cheap (options only).
  Result<promql::Engine*> EngineFor(const http::Request& req, std::optional<promql::Engine>* scratch);
  void WriteQueryResult(const http::Request& req, http::Response& resp, promql::QueryResult& result,
                        double prep_seconds, double total_seconds);
  void LogIfSlow(const http::Request& req, double seconds, std::string_view what);
  // -search.maxResponseSeries and -search.maxMemoryPerQuery over an evaluated answer.
  std::optional<ApiError> CheckAnswerSize(const http::Request& req, const promql::Value& value, int64_t step_ms);
  // Parses start/end (default: all time) and match[] plus extra_label into matcher sets.
  // match_param_prefix: whether match[] errors say `invalid parameter "match[]"` (series does).
  struct MetaRequest {
    int64_t start = storage::kMinTime;
    int64_t end = storage::kMaxTime;
    std::vector<std::vector<model::Matcher>> sets;
  };
  std::optional<MetaRequest> ParseMetaRequest(const http::Request& req, http::Response& resp,
                                              bool match_param_prefix);
  // Label names or values: the shared request, series limit, union over match[] sets and cap.
  using LabelLookup =
      std::function<Result<std::vector<std::string>>(storage::Querier&, const std::vector<model::Matcher>&)>;
  void AnswerLabelList(const http::Request& req, http::Response& resp, size_t cap, const LabelLookup& lookup);

  storage::Queryable& db_;
  promql::Engine& engine_;
  PromApiOptions opts_;
  int64_t start_time_ms_;
};

Result<promql::Engine*> PromApi::EngineFor(const http::Request& req, std::optional<promql::Engine>* scratch) {
  std::string_view to = req.Param("timeout");
  if (to.empty()) return &engine_;
  auto ns = ParseDurationNs(to);
  if (!ns.ok()) return Status::InvalidArgument(InvalidParam("timeout", ns.status().message()).message);
  if (*ns <= 0) {
    // Prometheus runs the query under an already expired context.
    return Status::Timeout("query timed out in query queue");
  }
  auto timeout = std::chrono::milliseconds(std::max<int64_t>(1, *ns / 1'000'000));
  if (timeout >= engine_.options().timeout) return &engine_;
  promql::EngineOptions o = engine_.options();
  o.timeout = timeout;
  scratch->emplace(o);
  return &**scratch;
}

// A query handler that ran 100 ms or more has freed enough for glibc's lazy sorting to cost the
// next requests milliseconds each (util::SettleFreedHeap): settles the heap as the handler ends,
// after its evaluation, result and answer are freed (that is, in its first local's destructor).
// Costs the handler 0.05-13 ms (util/heap.h), before its answer is sent.
class HeapSettler {
 public:
  ~HeapSettler() {
    if (MonotonicSeconds() - start_ >= 0.1) ::util::SettleFreedHeap();
  }

 private:
  double start_ = MonotonicSeconds();
};

void PromApi::LogIfSlow(const http::Request& req, double seconds, std::string_view what) {
  if (opts_.slow_query_log.count() <= 0 || seconds * 1000 < static_cast<double>(opts_.slow_query_log.count())) return;
  spdlog::warn("slow query according to -search.logSlowQueryDuration={}: duration={:.3f}s, {} query={} time={} "
               "start={} end={} step={} remote_addr={}",
               FormatDurationMs(opts_.slow_query_log.count()), seconds, what, Quote(req.Param("query")),
               Quote(req.Param("time")), Quote(req.Param("start")), Quote(req.Param("end")), Quote(req.Param("step")),
               req.remote_ip);
}

// Bytes the answer holds as points (16 each) and will hold as JSON: at most ~40 bytes a point
// ([1700000000.123,"-1.2345678901234567e+300"]) and the labels once per series.
size_t EstimateAnswerBytes(const promql::Value& v, size_t* series, size_t* points) {
  constexpr size_t kPointBytes = 16 + 40, kSeriesBytes = 64;
  size_t bytes = 0;
  auto labels_bytes = [](const model::Labels& ls) {
    size_t n = 0;
    for (const auto& l : ls) n += l.name.size() + l.value.size() + 6;
    return n;
  };
  if (const auto* m = std::get_if<promql::Matrix>(&v)) {
    *series = m->size();
    for (const auto& s : *m) {
      *points += s.points.size();
      bytes += kSeriesBytes + labels_bytes(s.metric) + s.points.size() * kPointBytes;
    }
  } else if (const auto* vec = std::get_if<promql::Vector>(&v)) {
    *series = *points = vec->size();
    for (const auto& s : *vec) bytes += kSeriesBytes + labels_bytes(s.metric) + kPointBytes;
  }
  return bytes;
}

std::optional<ApiError> PromApi::CheckAnswerSize(const http::Request& req, const promql::Value& value, int64_t step_ms) {
  size_t series = 0, points = 0;
  size_t bytes = EstimateAnswerBytes(value, &series, &points);
  if (opts_.max_response_series && series > opts_.max_response_series) {
    return ApiError{kExecution, fmt::format("the response contains more than -search.maxResponseSeries={} time series: {} "
                                            "series; either increase -search.maxResponseSeries or change the query in "
                                            "order to return smaller number of series",
                                            opts_.max_response_series, series)};
  }
  if (opts_.max_response_bytes && bytes > opts_.max_response_bytes) {
    return ApiError{kExecution,
                    fmt::format("not enough memory for processing {}, which returns {} data points across {} time series "
                                "according to -search.maxMemoryPerQuery={}; requested memory: {} bytes; possible "
                                "solutions are: reducing the number of matching time series; increasing `step` query "
                                "arg (step={}s); increasing -search.maxMemoryPerQuery",
                                req.Param("query"), points, series, opts_.max_response_bytes, bytes,
                                static_cast<double>(step_ms) / 1000.0)};
  }
  return std::nullopt;
}

// Counts the series of each selector against `limit` from the index (SelectHints::max_series)
// without listing them: the label APIs' -search.maxLabelsAPISeries.
Status CheckSeriesLimit(storage::Querier& q, const std::vector<std::vector<model::Matcher>>& sets, int64_t start,
                        int64_t end, size_t limit) {
  if (limit == 0) return Status::Ok();
  storage::SelectHints hints;
  hints.start_ms = start;
  hints.end_ms = end;
  hints.series_only = true;
  hints.max_series = limit;
  for (const auto& set : sets) {
    if (Status st = q.Select(false, hints, set)->Err(); !st.ok()) return st;
  }
  return Status::Ok();
}

void PromApi::WriteQueryResult(const http::Request& req, http::Response& resp, promql::QueryResult& result,
                               double prep_seconds, double total_seconds) {
  SuccessWriter w;
  bool with_stats = !req.Param("stats").empty();
  StatsTimings timings;
  if (with_stats) {
    timings.query_preparation = prep_seconds;
    timings.eval_total = result.stats.exec_seconds;
    timings.inner_eval = result.stats.exec_seconds;
    timings.exec_total = total_seconds;
  }
  AppendQueryData(w.data(), result.value, with_stats ? &result.stats : nullptr, timings);
  w.Finish(resp, result.warnings);
}

void PromApi::Query(const http::Request& req, http::Response& resp) {
  HeapSettler settler;  // first: it runs after every other local is freed
  double t0 = MonotonicSeconds();
  auto t = ParseTimeParam(req, "time", NowMs());
  if (!t.ok()) return WriteError(resp, InvalidParam("time", t.status().message()));
  std::optional<promql::Engine> scratch;
  auto engine = EngineFor(req, &scratch);
  if (!engine.ok()) return WriteError(resp, FromStatus(engine.status()));
  auto extra = ParseExtraMatchers(req);
  if (!extra.ok()) return WriteError(resp, FromStatus(extra.status()));
  auto expr = promql::ParseExpr(req.Param("query"));
  if (!expr.ok()) return WriteError(resp, InvalidParam("query", expr.status().message()));
  AddMatchersToSelectors(**expr, *extra);
  double t1 = MonotonicSeconds();
  auto result = (*engine)->InstantQueryExpr(db_, **expr, *t);
  double t2 = MonotonicSeconds();
  LogIfSlow(req, t2 - t0, "instant");
  if (!result.ok()) return WriteError(resp, FromStatus(result.status(), /*from_evaluation=*/true));
  if (auto err = CheckAnswerSize(req, result->value, 0)) return WriteError(resp, *err);
  WriteQueryResult(req, resp, *result, t1 - t0, t2 - t0);
}

void PromApi::QueryRange(const http::Request& req, http::Response& resp) {
  HeapSettler settler;  // first: it runs after every other local is freed
  double t0 = MonotonicSeconds();
  auto start = ParseTime(req.Param("start"));
  if (!start.ok()) return WriteError(resp, InvalidParam("start", start.status().message()));
  auto end = ParseTime(req.Param("end"));
  if (!end.ok()) return WriteError(resp, InvalidParam("end", end.status().message()));
  if (*end < *start) return WriteError(resp, InvalidParam("end", "end timestamp must not be before start time"));
  auto step_ns = ParseDurationNs(req.Param("step"));
  if (!step_ns.ok()) return WriteError(resp, InvalidParam("step", step_ns.status().message()));
  if (*step_ns <= 0) {
    return WriteError(resp, InvalidParam("step", "zero or negative query resolution step widths are not accepted. "
                                                 "Try a positive integer"));
  }
  // Prometheus divides durations in nanoseconds: a 0.1 ms step over a second is too many points.
  __int128 points = static_cast<__int128>(*end - *start) * 1'000'000 / *step_ns;
  if (points > opts_.max_points_per_series) {
    return WriteError(resp, BadData(fmt::format("exceeded maximum resolution of {} points per timeseries. Try "
                                                "decreasing the query resolution (?step=XX)",
                                                WithThousandsSeparators(opts_.max_points_per_series))));
  }
  int64_t step_ms = std::max<int64_t>(1, *step_ns / 1'000'000);
  std::optional<promql::Engine> scratch;
  auto engine = EngineFor(req, &scratch);
  if (!engine.ok()) return WriteError(resp, FromStatus(engine.status()));
  auto extra = ParseExtraMatchers(req);
  if (!extra.ok()) return WriteError(resp, FromStatus(extra.status()));
  auto expr = promql::ParseExpr(req.Param("query"));
  if (!expr.ok()) return WriteError(resp, BadData(expr.status().message()));
  promql::ValueType type = (*expr)->type();
  if (type != promql::ValueType::kVector && type != promql::ValueType::kScalar) {
    return WriteError(resp, BadData(fmt::format("invalid expression type \"{}\" for range query, must be Scalar or "
                                                "instant Vector",
                                                promql::ValueTypeName(type))));
  }
  AddMatchersToSelectors(**expr, *extra);
  double t1 = MonotonicSeconds();
  auto result = (*engine)->RangeQueryExpr(db_, **expr, *start, *end, step_ms);
  if (result.ok()) {
    // Prometheus sorts range results by labels; do it here when the engine did not.
    if (auto* m = std::get_if<promql::Matrix>(&result->value)) {
      auto by_labels = [](const promql::SeriesPoints& a, const promql::SeriesPoints& b) { return a.metric < b.metric; };
      if (!std::is_sorted(m->begin(), m->end(), by_labels)) std::sort(m->begin(), m->end(), by_labels);
    }
  }
  double t2 = MonotonicSeconds();
  LogIfSlow(req, t2 - t0, "range");
  if (!result.ok()) return WriteError(resp, FromStatus(result.status(), /*from_evaluation=*/true));
  if (auto err = CheckAnswerSize(req, result->value, step_ms)) return WriteError(resp, *err);
  WriteQueryResult(req, resp, *result, t1 - t0, t2 - t0);
}

std::optional<PromApi::MetaRequest> PromApi::ParseMetaRequest(const http::Request& req, http::Response& resp,
                                                              bool match_param_prefix) {
  MetaRequest mr;
  auto start = ParseTimeParam(req, "start", storage::kMinTime);
  if (!start.ok()) {
    WriteError(resp, InvalidParam("start", start.status().message()));
    return std::nullopt;
  }
  auto end = ParseTimeParam(req, "end", storage::kMaxTime);
  if (!end.ok()) {
    WriteError(resp, InvalidParam("end", end.status().message()));
    return std::nullopt;
  }
  mr.start = *start;
  mr.end = *end;
  auto sets = ParseMatchSets(req.Params("match[]"));
  if (!sets.ok()) {
    WriteError(resp, match_param_prefix ? InvalidParam("match[]", sets.status().message())
                                        : BadData(sets.status().message()));
    return std::nullopt;
  }
  mr.sets = std::move(*sets);
  auto extra = ParseExtraMatchers(req);
  if (!extra.ok()) {
    WriteError(resp, FromStatus(extra.status()));
    return std::nullopt;
  }
  if (!extra->empty()) {
    if (mr.sets.empty()) mr.sets.emplace_back();
    for (auto& set : mr.sets) set.insert(set.end(), extra->begin(), extra->end());
  }
  return mr;
}

void PromApi::Series(const http::Request& req, http::Response& resp) {
  double t0 = MonotonicSeconds();
  if (!req.HasParam("match[]")) return WriteError(resp, BadData("no match[] parameter provided"));
  auto mr = ParseMetaRequest(req, resp, /*match_param_prefix=*/true);
  if (!mr) return;
  auto querier = db_.NewQuerier(mr->start, mr->end);
  if (!querier.ok()) return WriteError(resp, FromStatus(querier.status(), true));
  storage::SelectHints hints;
  hints.start_ms = mr->start;
  hints.end_ms = mr->end;
  hints.func = "series";
  hints.series_only = true;
  hints.max_series = opts_.max_series;  // -search.maxSeries, from the index first
  std::vector<model::Labels> series;
  for (const auto& set : mr->sets) {
    auto ss = (*querier)->Select(/*sorted=*/true, hints, set);
    while (ss->Next()) {
      if (opts_.max_series && series.size() >= opts_.max_series) {
        return WriteError(resp, FromStatus(storage::TooManySeries(opts_.max_series), true));
      }
      series.push_back(ss->At().labels());
    }
    if (!ss->Err().ok()) return WriteError(resp, FromStatus(ss->Err(), true));
  }
  if (mr->sets.size() > 1) {
    std::sort(series.begin(), series.end());
    series.erase(std::unique(series.begin(), series.end()), series.end());
  }
  SuccessWriter w;
  std::string* out = w.data();
  out->push_back('[');
  for (size_t i = 0; i < series.size(); ++i) {
    if (i) out->push_back(',');
    AppendLabels(out, series[i]);
  }
  out->push_back(']');
  LogIfSlow(req, MonotonicSeconds() - t0, "series");
  w.Finish(resp);
}

// /api/v1/labels and /api/v1/label/<name>/values: the sorted union of `lookup` over every
// match[] selector, or `lookup` over all series when there is none.
template <typename Lookup>
Result<std::vector<std::string>> UnionOverSets(const std::vector<std::vector<model::Matcher>>& sets,
                                               Lookup lookup) {
  if (sets.empty()) return lookup(std::vector<model::Matcher>{});
  std::set<std::string> all;
  for (const auto& set : sets) {
    auto r = lookup(set);
    if (!r.ok()) return r.status();
    all.insert(r->begin(), r->end());
  }
  return std::vector<std::string>(all.begin(), all.end());
}

void PromApi::LabelNames(const http::Request& req, http::Response& resp) {
  // VictoriaMetrics cuts the list to -search.maxTagKeys without an error.
  AnswerLabelList(req, resp, opts_.max_tag_keys,
                  [](storage::Querier& q, const std::vector<model::Matcher>& set) { return q.LabelNames(set); });
}

void PromApi::LabelValues(const http::Request& req, http::Response& resp) {
  // The prefix route leaves "<name>/values".
  std::string_view suffix = req.path_suffix;
  constexpr std::string_view kValues = "/values";
  if (!suffix.ends_with(kValues)) return resp.SetText(404, "404 page not found\n");
  std::string name(suffix.substr(0, suffix.size() - kValues.size()));
  if (!model::IsValidLabelName(name)) return WriteError(resp, BadData(fmt::format("invalid label name: {}", Quote(name))));
  // VictoriaMetrics cuts the list to -search.maxTagValues without an error; each source stops there.
  size_t cap = opts_.max_tag_values;
  AnswerLabelList(req, resp, cap, [&name, cap](storage::Querier& q, const std::vector<model::Matcher>& set) {
    return q.LabelValues(name, set, cap);
  });
}

void PromApi::AnswerLabelList(const http::Request& req, http::Response& resp, size_t cap, const LabelLookup& lookup) {
  auto mr = ParseMetaRequest(req, resp, /*match_param_prefix=*/false);
  if (!mr) return;
  auto querier = db_.NewQuerier(mr->start, mr->end);
  if (!querier.ok()) return WriteError(resp, FromStatus(querier.status(), true));
  Status st = CheckSeriesLimit(**querier, mr->sets, mr->start, mr->end, opts_.max_labels_api_series);
  if (!st.ok()) return WriteError(resp, FromStatus(st, true));
  auto list = UnionOverSets(mr->sets, [&](const auto& set) { return lookup(**querier, set); });
  if (!list.ok()) return WriteError(resp, FromStatus(list.status(), true));
  if (cap && list->size() > cap) list->resize(cap);
  SuccessWriter w;
  AppendStringArray(w.data(), *list);
  w.Finish(resp);
}

void PromApi::Metadata(const http::Request& req, http::Response& resp) {
  int64_t limit = -1;
  if (std::string_view s = req.Param("limit"); !s.empty()) {
    auto l = ParseInt(s);
    if (!l.ok()) return WriteError(resp, BadData("limit must be a number"));
    limit = *l;
  }
  std::string metric(req.Param("metric"));
  std::map<std::string, std::vector<storage::MetricMetadata>> all;
  if (opts_.metadata) all = opts_.metadata();
  SuccessWriter w;
  std::string* out = w.data();
  out->push_back('{');
  int64_t n = 0;
  for (const auto& [name, list] : all) {
    if (!metric.empty() && name != metric) continue;
    if (limit >= 0 && n >= limit) break;
    if (n++) out->push_back(',');
    AppendJsonStringHtmlSafe(out, name);
    out->append(":[");
    // Distinct entries only, as Prometheus collects them in a set.
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    bool first = true;
    for (const auto& m : list) {
      if (!seen.emplace(m.type, m.help, m.unit).second) continue;
      if (!first) out->push_back(',');
      first = false;
      out->append("{\"type\":");
      AppendJsonStringHtmlSafe(out, m.type);
      out->append(",\"help\":");
      AppendJsonStringHtmlSafe(out, m.help);
      out->append(",\"unit\":");
      AppendJsonStringHtmlSafe(out, m.unit);
      out->push_back('}');
    }
    out->push_back(']');
  }
  out->push_back('}');
  w.Finish(resp);
}

void PromApi::BuildInfo(const http::Request&, http::Response& resp) {
  SuccessWriter w;
  std::string* out = w.data();
  out->append("{\"version\":");
  AppendJsonStringHtmlSafe(out, opts_.version);
  out->append(",\"revision\":");
  AppendJsonStringHtmlSafe(out, opts_.revision);
  out->append(",\"branch\":\"HEAD\",\"buildUser\":\"\",\"buildDate\":\"\",\"goVersion\":");
  AppendJsonStringHtmlSafe(out, fmt::format("c++{}", __cplusplus / 100 % 100));
  out->push_back('}');
  w.Finish(resp);
}

void PromApi::RuntimeInfo(const http::Request&, http::Response& resp) {
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  size_t threads = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++threads;
  }
  auto flag = [&](const std::string& name) {
    auto it = opts_.flags.find(name);
    return it == opts_.flags.end() ? std::string() : it->second;
  };
  std::string retention = flag("retentionPeriod");
  if (retention.empty()) retention = flag("storage.tsdb.retention.time");
  SuccessWriter w;
  std::string* out = w.data();
  out->append("{\"startTime\":");
  AppendJsonStringHtmlSafe(out, FormatRfc3339Ms(start_time_ms_));
  out->append(",\"CWD\":");
  AppendJsonStringHtmlSafe(out, cwd);
  out->append(",\"reloadConfigSuccess\":true,\"lastConfigTime\":");
  AppendJsonStringHtmlSafe(out, FormatRfc3339Ms(start_time_ms_));
  out->append(fmt::format(",\"corruptionCount\":0,\"goroutineCount\":{},\"GOMAXPROCS\":{},\"GOGC\":\"\",\"GODEBUG\":\"\","
                          "\"storageRetention\":",
                          threads, std::thread::hardware_concurrency()));
  AppendJsonStringHtmlSafe(out, retention);
  out->push_back('}');
  w.Finish(resp);
}

void PromApi::Config(const http::Request&, http::Response& resp) {
  SuccessWriter w;
  w.data()->append("{\"yaml\":");
  AppendJsonStringHtmlSafe(w.data(), opts_.config_yaml ? opts_.config_yaml() : "");
  w.data()->push_back('}');
  w.Finish(resp);
}

void PromApi::Flags(const http::Request&, http::Response& resp) {
  SuccessWriter w;
  std::string* out = w.data();
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : opts_.flags) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonStringHtmlSafe(out, k);
    out->push_back(':');
    AppendJsonStringHtmlSafe(out, v);
  }
  out->push_back('}');
  w.Finish(resp);
}

// Cardinality statistics over every series (Prometheus shows the head's; we have no head/block
// split at this seam, so the whole storage is counted). Top 10 of each list, as Prometheus.
void PromApi::TsdbStatus(const http::Request& req, http::Response& resp) {
  auto querier = db_.NewQuerier(storage::kMinTime, storage::kMaxTime);
  if (!querier.ok()) return WriteError(resp, FromStatus(querier.status(), true));
  auto any = model::Matcher::Make(model::MatchType::kRegexMatch, std::string(model::kMetricName), ".+");
  storage::SelectHints hints;
  hints.series_only = true;
  hints.func = "series";
  std::map<std::string, int64_t> by_metric, by_pair, mem_by_name;
  std::map<std::string, std::set<std::string>> values_by_name;
  int64_t num_series = 0;
  auto ss = (*querier)->Select(false, hints, {*any});
  while (ss->Next()) {
    ++num_series;
    const auto& ls = ss->At().labels();
    ++by_metric[std::string(ls.MetricName())];
    for (const auto& l : ls) {
      ++by_pair[l.name + "=" + l.value];
      if (values_by_name[l.name].insert(l.value).second) mem_by_name[l.name] += static_cast<int64_t>(l.value.size());
    }
  }
  if (!ss->Err().ok()) return WriteError(resp, FromStatus(ss->Err(), true));
  auto append_top = [](std::string* out, std::string_view key, std::vector<std::pair<std::string, int64_t>> items) {
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (items.size() > 10) items.resize(10);
    out->append(fmt::format(",\"{}\":[", key));
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out->push_back(',');
      out->append("{\"name\":");
      AppendJsonStringHtmlSafe(out, items[i].first);
      out->append(fmt::format(",\"value\":{}}}", items[i].second));
    }
    out->push_back(']');
  };
  std::vector<std::pair<std::string, int64_t>> value_counts;
  for (const auto& [name, vals] : values_by_name) value_counts.emplace_back(name, static_cast<int64_t>(vals.size()));
  SuccessWriter w;
  std::string* out = w.data();
  out->append(fmt::format("{{\"headStats\":{{\"numSeries\":{},\"numLabelPairs\":{},\"chunkCount\":0,"
                          "\"minTime\":{},\"maxTime\":{}}}",
                          num_series, by_pair.size(), std::numeric_limits<int64_t>::max(),
                          std::numeric_limits<int64_t>::min()));
  append_top(out, "seriesCountByMetricName", {by_metric.begin(), by_metric.end()});
  append_top(out, "labelValueCountByLabelName", value_counts);
  append_top(out, "memoryInBytesByLabelName", {mem_by_name.begin(), mem_by_name.end()});
  append_top(out, "seriesCountByLabelValuePair", {by_pair.begin(), by_pair.end()});
  out->push_back('}');
  w.Finish(resp);
}

void PromApi::QueryExemplars(const http::Request& req, http::Response& resp) {
  auto start = ParseTimeParam(req, "start", storage::kMinTime);
  if (!start.ok()) return WriteError(resp, InvalidParam("start", start.status().message()));
  auto end = ParseTimeParam(req, "end", storage::kMaxTime);
  if (!end.ok()) return WriteError(resp, InvalidParam("end", end.status().message()));
  if (*end < *start) return WriteError(resp, InvalidParam("end", "end timestamp must not be before start time"));
  auto expr = promql::ParseExpr(req.Param("query"));
  if (!expr.ok()) return WriteError(resp, BadData(expr.status().message()));
  // We store no exemplars. Prometheus omits "data" when the query has no selector.
  if (!HasSelectors(**expr)) return resp.SetJson(200, "{\"status\":\"success\"}");
  resp.SetJson(200, SuccessJson("[]"));
}

void PromApi::FormatQuery(const http::Request& req, http::Response& resp) {
  auto expr = promql::ParseExpr(req.Param("query"));
  if (!expr.ok()) return WriteError(resp, InvalidParam("query", expr.status().message()));
  SuccessWriter w;
  AppendJsonStringHtmlSafe(w.data(), promql::Prettify(**expr));  // Prometheus: parser.Prettify
  w.Finish(resp);
}

}  // namespace

void RegisterPrometheusApi(http::Server& server, storage::Queryable& db, promql::Engine& engine,
                           PromApiOptions opts) {
  http::Exec search = opts.search_exec;
  auto api = std::make_shared<PromApi>(db, engine, std::move(opts));
  using Method = void (PromApi::*)(const http::Request&, http::Response&);
  struct Endpoint {
    const char* path;
    Method method;
    bool blocking;  // touches storage or evaluates: runs on the worker pool
  };
  static const Endpoint kEndpoints[] = {
      {"/api/v1/query", &PromApi::Query, true},
      {"/api/v1/query_range", &PromApi::QueryRange, true},
      {"/api/v1/series", &PromApi::Series, true},
      {"/api/v1/labels", &PromApi::LabelNames, true},
      {"/api/v1/metadata", &PromApi::Metadata, false},
      {"/api/v1/status/buildinfo", &PromApi::BuildInfo, false},
      {"/api/v1/status/runtimeinfo", &PromApi::RuntimeInfo, false},
      {"/api/v1/status/flags", &PromApi::Flags, false},
      {"/api/v1/status/config", &PromApi::Config, false},
      {"/api/v1/status/tsdb", &PromApi::TsdbStatus, true},
      {"/api/v1/query_exemplars", &PromApi::QueryExemplars, false},
      {"/api/v1/format_query", &PromApi::FormatQuery, false},
  };
  // Every endpoint answers GET and POST alike, as VictoriaMetrics does (Prometheus refuses POST
  // on some, e.g. label values, which Grafana-world clients then cannot use).
  for (std::string prefix : {"", "/prometheus"}) {
    for (const char* verb : http::kReadMethods) {
      for (const auto& e : kEndpoints) {
        Method m = e.method;
        auto handler = [api, m](http::Request& req, http::Response& resp) { ((*api).*m)(req, resp); };
        server.Route(verb, prefix + e.path, handler, e.blocking ? search : http::Exec(false));
      }
      auto values = [api](http::Request& req, http::Response& resp) { api->LabelValues(req, resp); };
      server.RoutePrefix(verb, prefix + "/api/v1/label/", values, search);
    }
  }
}

}  // namespace sremon::api
