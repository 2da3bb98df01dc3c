#include "ingest/decode.h"

#include <snappy.h>

#include <cmath>
#include <iterator>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "expo/parser.h"
#include "ingest/csv.h"
#include "ingest/influx.h"
#include "ingest/remote_write.pb.h"
#include "obs/metrics.h"
#include "util/json.h"
#include "util/go_compat.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::ingest {
namespace {

struct LimitMetrics {
  prometheus::Counter& dropped_labels;
  prometheus::Counter& too_long;
};

LimitMetrics& Metrics() {
  static LimitMetrics m{
      prometheus::BuildCounter()
          .Name("vm_metrics_with_dropped_labels_total")
          .Help("Series that had labels dropped because of -maxLabelsPerTimeseries.")
          .Register(obs::Registry())
          .Add({}),
      prometheus::BuildCounter()
          .Name("vm_too_long_label_values_total")
          .Help("Label values truncated because of -maxLabelValueLen.")
          .Register(obs::Registry())
          .Add({}),
  };
  return m;
}

}  // namespace

model::Labels FinishLabels(std::vector<model::Label>* ls, const model::Labels& extra, const Limits& limits) {
  for (const auto& e : extra) {
    bool found = false;
    for (auto& l : *ls) {
      if (l.name == e.name) {
        l.value = e.value;
        found = true;
      }
    }
    if (!found) ls->push_back(e);
  }
  ApplyLimits(limits, ls);
  return model::Labels(std::move(*ls));
}

void NoteError(ImportResult* r, Status st) {
  if (r->first_error.ok()) r->first_error = std::move(st);
}

void AppendOne(storage::Appender* app, storage::SeriesRef* ref, const model::Labels& labels, int64_t t, double v,
               ImportResult* r, std::string_view where, size_t index) {
  Status st = app->AppendWithRef(ref, labels, t, v);
  if (st.ok()) {
    ++r->samples;
  } else {
    ++r->rejected;
    NoteError(r, st.WithContext(fmt::format("{} {}", where, index)));
  }
}

void ApplyLimits(const Limits& limits, std::vector<model::Label>* labels) {
  if (limits.max_labels_per_series > 0 && labels->size() > limits.max_labels_per_series) {
    // Keep __name__ whatever its position: drop from the end of the others.
    std::stable_partition(labels->begin(), labels->end(), [](const model::Label& l) { return l.name == model::kMetricName; });
    labels->resize(limits.max_labels_per_series);
    Metrics().dropped_labels.Increment();
  }
  if (limits.max_label_value_len > 0) {
    for (auto& l : *labels) {
      if (l.value.size() > limits.max_label_value_len) {
        l.value.resize(limits.max_label_value_len);
        Metrics().too_long.Increment();
      }
    }
  }
}

ImportResult ImportPrometheusText(std::string_view body, const model::Labels& extra_labels, int64_t now_ms,
                                  const Limits& limits, storage::Appender* app) {
  ImportResult r;
  std::string_view rest = body;
  int line_offset = 0;
  std::vector<model::Label> ls;
  // Backfill bodies repeat each series once per timestamp: build its labels once, and let the
  // appender find the series once. They also list the series in the same order at every
  // timestamp, so the entry after the last one matched is tried before the hash table: a
  // comparison with text read in order instead of a hash and cache misses per line.
  // Texts are views into body, which outlives this call.
  struct Known {
    std::string_view text;
    model::Labels labels;
    storage::SeriesRef ref = 0;
  };
  std::vector<Known> known;                              // in order of first appearance
  std::unordered_map<std::string_view, size_t> position; // text -> index in known
  size_t expected = 0;                                   // the index after the last match
  // The parser stops at the first error; VictoriaMetrics keeps the valid lines, so parsing
  // resumes after the bad line.
  while (!rest.empty()) {
    expo::Parser p(rest, expo::Format::kPrometheusText);
    expo::Entry e;
    while ((e = p.Next()) != expo::Entry::kEnd) {
      if (e != expo::Entry::kSeries) continue;
      std::string_view text = p.series_text();
      size_t i = expected;
      if (i >= known.size() || known[i].text != text) {
        auto [it, inserted] = position.try_emplace(text, known.size());
        if (inserted) {
          ls.clear();
          ls.push_back({std::string(model::kMetricName), std::string(p.name())});
          for (const auto& l : p.labels()) ls.push_back({std::string(l.name), std::string(l.value)});
          known.push_back({text, FinishLabels(&ls, extra_labels, limits)});
        }
        i = it->second;
      }
      expected = i + 1;
      Known& series = known[i];
      AppendOne(app, &series.ref, series.labels, p.has_timestamp() ? p.timestamp_ms() : now_ms, p.value(), &r, "line",
                static_cast<size_t>(line_offset + p.line()));
    }
    if (p.status().ok()) break;
    NoteError(&r, Status::InvalidArgument(fmt::format("cannot parse Prometheus text at line {}: {}: {}",
                                                 line_offset + p.line(),
                                                 p.status().message().substr(p.status().message().find(": ") + 2),
                                                 Quote(p.line_text().substr(0, 200)))));
    // Skip past the bad line.
    size_t consumed = static_cast<size_t>(p.line_text().data() - rest.data()) + p.line_text().size();
    size_t nl = rest.find('\n', consumed);
    line_offset += p.line();
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  return r;
}

Result<std::string> SnappyUncompress(std::string_view body, size_t max_bytes) {
  // A 7-byte body can declare 4 GiB of output: check the declared length, and that the
  // compressed data really produces it, before allocating anything.
  size_t raw_len = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &raw_len)) {
    return Status::InvalidArgument("not snappy block format");
  }
  if (max_bytes != 0 && raw_len > max_bytes) {
    return Status::ResourceExhausted(fmt::format(
        "declared uncompressed size of {} bytes exceeds -maxInsertRequestSize={}", raw_len, max_bytes));
  }
  if (!snappy::IsValidCompressedBuffer(body.data(), body.size())) return Status::InvalidArgument("corrupt snappy data");
  std::string raw;
  if (!snappy::Uncompress(body.data(), body.size(), &raw)) return Status::InvalidArgument("corrupt snappy data");
  return raw;
}

ImportResult ImportRemoteWrite(std::string_view body, const model::Labels& extra_labels, const Limits& limits,
                               storage::Appender* app, std::vector<FamilyMetadata>* metadata) {
  ImportResult r;
  if (body.empty()) return r;  // an empty WriteRequest
  auto raw = SnappyUncompress(body, limits.max_request_bytes);
  if (!raw.ok()) {
    NoteError(&r, raw.status().WithContext("cannot decompress remote_write body"));
    return r;
  }
  prompb::WriteRequest req;
  if (!req.ParseFromString(*raw)) {
    NoteError(&r, Status::InvalidArgument("cannot unmarshal remote_write WriteRequest: invalid protobuf"));
    return r;
  }
  if (metadata) {
    // prompb.MetricMetadata.MetricType, in enum order; unknown numbers read as "unknown".
    static constexpr const char* kTypes[] = {"unknown", "counter", "gauge", "histogram",
                                             "gaugehistogram", "summary", "info", "stateset"};
    for (const auto& m : req.metadata()) {
      if (m.metric_family_name().empty()) continue;
      int t = m.type();
      const char* type = t >= 0 && t < static_cast<int>(std::size(kTypes)) ? kTypes[t] : "unknown";
      metadata->push_back({m.metric_family_name(), {type, m.help(), m.unit()}});
    }
  }
  std::vector<model::Label> ls;
  for (int i = 0; i < req.timeseries_size(); ++i) {
    const auto& ts = req.timeseries(i);
    ls.clear();
    for (const auto& l : ts.labels()) ls.push_back({l.name(), l.value()});
    model::Labels labels = FinishLabels(&ls, extra_labels, limits);
    storage::SeriesRef ref = 0;
    for (const auto& s : ts.samples()) {
      AppendOne(app, &ref, labels, s.timestamp(), s.value(), &r, "timeseries", static_cast<size_t>(i));
    }
  }
  return r;
}

ImportResult ImportVmJson(std::string_view body, const model::Labels& extra_labels, const Limits& limits,
                          storage::Appender* app) {
  ImportResult r;
  int line_no = 0;
  std::vector<model::Label> ls;
  for (std::string_view line : Split(body, '\n')) {
    ++line_no;
    line = Trim(line);
    if (line.empty()) continue;
    auto bad = [&](std::string_view what) {
      NoteError(&r, Status::InvalidArgument(fmt::format("cannot parse JSON line {}: {}: {}", line_no, what,
                                                   Quote(line.substr(0, 200)))));
    };
    auto parsed = ParseJson(line);
    if (!parsed.ok() || !parsed->is_object()) {
      bad(parsed.ok() ? "invalid JSON" : parsed.status().message());
      continue;
    }
    const nlohmann::json& j = *parsed;
    auto m = j.find("metric");
    auto vs = j.find("values");
    auto ts = j.find("timestamps");
    if (m == j.end() || !m->is_object()) {
      bad("missing \"metric\" object");
      continue;
    }
    if (vs == j.end() || ts == j.end() || !vs->is_array() || !ts->is_array()) {
      bad("missing \"values\" or \"timestamps\" array");
      continue;
    }
    if (vs->size() != ts->size()) {
      bad(fmt::format("{} values but {} timestamps", vs->size(), ts->size()));
      continue;
    }
    ls.clear();
    bool ok = true;
    for (auto it = m->begin(); it != m->end(); ++it) {
      if (!it.value().is_string()) {
        ok = false;
        break;
      }
      ls.push_back({it.key(), it.value().get<std::string>()});
    }
    if (!ok) {
      bad("label values must be strings");
      continue;
    }
    model::Labels labels = FinishLabels(&ls, extra_labels, limits);
    for (size_t i = 0; i < vs->size(); ++i) {
      const auto& v = (*vs)[i];
      const auto& t = (*ts)[i];
      if (!t.is_number_integer() || !(v.is_number() || v.is_null())) {
        bad(fmt::format("values[{}]/timestamps[{}] must be numbers", i, i));
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    storage::SeriesRef ref = 0;
    for (size_t i = 0; i < vs->size(); ++i) {
      const auto& v = (*vs)[i];
      if (v.is_null()) continue;
      AppendOne(app, &ref, labels, (*ts)[i].get<int64_t>(), v.get<double>(), &r, "line", static_cast<size_t>(line_no));
    }
  }
  return r;
}

ImportResult ImportInflux(std::string_view body, const InfluxOptions& options, const model::Labels& extra_labels,
                          const Limits& limits, storage::Appender* app) {
  ImportResult r;
  influx::Point p;
  std::vector<model::Label> ls;
  size_t line_no = 0;
  for (std::string_view line : Split(body, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (Status st = influx::ParseLine(line, &p); !st.ok()) {
      NoteError(&r, Status::InvalidArgument(fmt::format("cannot parse InfluxDB line {}: {}: {}", line_no, st.message(),
                                                   Quote(line.substr(0, 200)))));
      continue;
    }
    int64_t t = options.now_ms;
    if (p.has_timestamp) {
      constexpr int64_t kNanosPerMs = 1000000;
      if (options.precision_nanos >= kNanosPerMs) {
        int64_t factor = options.precision_nanos / kNanosPerMs;
        if (p.timestamp > INT64_MAX / factor || p.timestamp < INT64_MIN / factor) {
          NoteError(&r, Status::InvalidArgument(fmt::format("InfluxDB line {}: timestamp {} is out of range", line_no,
                                                       p.timestamp)));
          continue;
        }
        t = p.timestamp * factor;
      } else {
        t = p.timestamp / (kNanosPerMs / options.precision_nanos);
      }
    }
    bool has_db = false;
    for (const auto& [k, v] : p.tags) has_db |= k == "db";
    for (const auto& f : p.fields) {
      if (f.is_string) continue;
      ls.clear();
      ls.push_back({std::string(model::kMetricName), p.measurement.empty() ? f.key : p.measurement + "_" + f.key});
      for (const auto& [k, v] : p.tags) ls.push_back({k, v});
      if (!has_db && !options.db.empty()) ls.push_back({"db", options.db});
      storage::SeriesRef ref = 0;
      AppendOne(app, &ref, FinishLabels(&ls, extra_labels, limits), t, f.value, &r, "line", line_no);
    }
  }
  return r;
}

void AppendVmJsonLine(std::string* out, const model::Labels& labels, const std::vector<model::Sample>& samples) {
  out->append("{\"metric\":{");
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, l.name);
    out->push_back(':');
    AppendJsonString(out, l.value);
  }
  out->append("},\"values\":[");
  first = true;
  for (const auto& s : samples) {
    if (!std::isfinite(s.v)) continue;  // JSON has no NaN/Inf; stale markers are not data
    if (!first) out->push_back(',');
    first = false;
    AppendFloatF(out, s.v);  // VictoriaMetrics 1.79 writes 1e300 as 1 and 300 zeros
  }
  out->append("],\"timestamps\":[");
  first = true;
  for (const auto& s : samples) {
    if (!std::isfinite(s.v)) continue;
    if (!first) out->push_back(',');
    first = false;
    fmt::format_to(std::back_inserter(*out), "{}", s.t);
  }
  out->append("]}\n");
}

ImportResult ImportCsv(std::string_view body, const std::vector<CsvImportColumn>& columns,
                       const model::Labels& extra_labels, int64_t now_ms, const Limits& limits,
                       storage::Appender* app) {
  ImportResult r;
  std::vector<std::string> fields;
  std::vector<model::Label> ls;
  int line_no = 0;
  for (std::string_view line : Split(body, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) continue;
    auto bad = [&](std::string_view what) {
      NoteError(&r, Status::InvalidArgument(
                   fmt::format("cannot parse CSV line {}: {}: {}", line_no, what, Quote(line.substr(0, 200)))));
    };
    if (!SplitCsvLine(line, &fields)) {
      bad("unterminated quote");
      continue;
    }
    int64_t t = now_ms;
    std::vector<model::Label> labels;
    bool ok = true;
    for (const auto& c : columns) {
      if (c.index >= fields.size()) {
        bad(fmt::format("missing column {}", c.index + 1));
        ok = false;
        break;
      }
      const std::string& f = fields[c.index];
      if (c.kind == CsvImportColumn::kLabel) {
        if (!f.empty()) labels.push_back({c.name, f});
      } else if (c.kind == CsvImportColumn::kTime) {
        Result<int64_t> ms = Status::InvalidArgument("");
        if (c.time == CsvTime::kRfc3339) {
          ms = ParseRfc3339(f);
        } else if (auto v = ParseFloat(f); v.ok() && std::isfinite(*v)) {
          double scale = c.time == CsvTime::kUnixS ? 1e3 : c.time == CsvTime::kUnixMs ? 1 : 1e-6;
          if (std::fabs(*v * scale) < 9e18) ms = static_cast<int64_t>(*v * scale);
        }
        if (!ms.ok()) {
          bad(fmt::format("invalid time {} in column {}", Quote(f), c.index + 1));
          ok = false;
          break;
        }
        t = *ms;
      }
    }
    if (!ok) continue;
    // Every metric column of the line must hold a number before any is stored.
    std::vector<std::pair<const CsvImportColumn*, double>> values;
    for (const auto& c : columns) {
      if (c.kind != CsvImportColumn::kMetric) continue;
      auto v = ParseFloat(fields[c.index]);
      if (!v.ok()) {
        bad(fmt::format("invalid value {} in column {}", Quote(fields[c.index]), c.index + 1));
        ok = false;
        break;
      }
      values.push_back({&c, *v});
    }
    if (!ok) continue;
    for (const auto& [c, v] : values) {
      ls = labels;
      ls.push_back({std::string(model::kMetricName), c->name});
      model::Labels series = FinishLabels(&ls, extra_labels, limits);
      storage::SeriesRef ref = 0;
      AppendOne(app, &ref, series, t, v, &r, "line", static_cast<size_t>(line_no));
    }
  }
  return r;
}

}  // namespace sremon::ingest
