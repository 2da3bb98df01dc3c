#include "ingest/otlp.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "ingest/otlp.pb.h"
#include "ingest/otlp_json.h"
#include "util/strings.h"

namespace sremon::ingest {

namespace {

bool IsNameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

// Runs of invalid characters become one '_' (Prometheus collapses them too).
std::string Sanitize(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool ok = IsNameChar(c, false);
    if (ok) {
      out.push_back(c);
    } else if (out.empty() || out.back() != '_') {
      out.push_back('_');
    }
  }
  return out;
}

std::string_view UnitWord(std::string_view u) {
  static const std::map<std::string_view, std::string_view> kUnits = {
      {"d", "days"},           {"h", "hours"},          {"min", "minutes"},     {"s", "seconds"},
      {"ms", "milliseconds"},  {"us", "microseconds"},  {"ns", "nanoseconds"},  {"By", "bytes"},
      {"KiBy", "kibibytes"},   {"MiBy", "mebibytes"},   {"GiBy", "gibibytes"},  {"TiBy", "tibibytes"},
      {"KBy", "kilobytes"},    {"MBy", "megabytes"},    {"GBy", "gigabytes"},   {"TBy", "terabytes"},
      {"m", "meters"},         {"V", "volts"},          {"A", "amperes"},       {"J", "joules"},
      {"W", "watts"},          {"g", "grams"},          {"Cel", "celsius"},     {"Hz", "hertz"},
      {"%", "percent"}};
  auto it = kUnits.find(u);
  return it == kUnits.end() ? u : it->second;
}

std::string_view PerUnitWord(std::string_view u) {
  static const std::map<std::string_view, std::string_view> kPer = {
      {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"}, {"w", "week"}, {"mo", "month"}, {"y", "year"}};
  auto it = kPer.find(u);
  return it == kPer.end() ? u : it->second;
}

std::string AnyValueText(const otlp::AnyValue& v) {
  switch (v.value_case()) {
    case otlp::AnyValue::kStringValue: return v.string_value();
    case otlp::AnyValue::kBoolValue: return v.bool_value() ? "true" : "false";
    case otlp::AnyValue::kIntValue: return std::to_string(v.int_value());
    case otlp::AnyValue::kDoubleValue: return fmt::format("{}", v.double_value());
    default: return "";  // arrays, maps and bytes: no Prometheus label value
  }
}

using LabelMap = std::map<std::string, std::string>;

void AddAttributes(const google::protobuf::RepeatedPtrField<otlp::KeyValue>& attrs, LabelMap* out) {
  for (const auto& kv : attrs) {
    std::string value = AnyValueText(kv.value());
    if (value.empty()) continue;
    std::string name = OtlpLabelName(kv.key());
    auto [it, fresh] = out->emplace(name, value);
    if (!fresh) it->second += ";" + value;  // keys that sanitize alike are joined, as Prometheus does
  }
}

class Writer {
 public:
  Writer(const model::Labels& extra, const Limits& limits, storage::Appender* app, ImportResult* r)
      : extra_(extra), limits_(limits), app_(app), r_(r) {}

  void Add(const LabelMap& base, const std::string& name, const char* extra_name, const std::string& extra_value,
           uint64_t time_unix_nano, double v) {
    ls_.clear();
    ls_.push_back({std::string(model::kMetricName), name});
    for (const auto& [k, val] : base) ls_.push_back({k, val});
    if (extra_name) ls_.push_back({extra_name, extra_value});
    storage::SeriesRef ref = 0;
    AppendOne(app_, &ref, FinishLabels(&ls_, extra_, limits_), static_cast<int64_t>(time_unix_nano / 1000000), v, r_,
              "metric", metric_index_);
  }
  // The metric of the request being written (1-based), for errors.
  size_t NextMetric() { return ++metric_index_; }
  void Refuse(std::string msg) { NoteError(r_, Status::InvalidArgument(std::move(msg))); }

 private:
  const model::Labels& extra_;
  const Limits& limits_;
  storage::Appender* app_;
  ImportResult* r_;
  std::vector<model::Label> ls_;
  size_t metric_index_ = 0;
};

std::string FormatLe(double bound) {
  if (std::isinf(bound)) return "+Inf";
  return fmt::format("{}", bound);
}

}  // namespace

std::string OtlpLabelName(std::string_view key) {
  std::string name = Sanitize(key);
  if (!name.empty() && name[0] >= '0' && name[0] <= '9') name = "key_" + name;
  if (name.empty()) name = "key_";
  return name;
}

std::string OtlpMetricName(std::string_view name, std::string_view unit, bool monotonic_counter, bool gauge) {
  std::string out = Sanitize(name);
  if (!out.empty() && out[0] >= '0' && out[0] <= '9') out = "_" + out;
  // Units: {annotations} are dropped; "X/Y" is X_per_Y; "1" means a ratio (gauges only).
  std::string words;
  size_t brace = unit.find('{');
  std::string_view u = brace == std::string_view::npos ? unit : unit.substr(0, brace);
  if (u == "1") {
    if (gauge) words = "ratio";
  } else if (!u.empty()) {
    size_t slash = u.find('/');
    std::string_view main = u.substr(0, slash);
    if (!main.empty()) words = Sanitize(UnitWord(main));
    if (slash != std::string_view::npos && slash + 1 < u.size()) {
      words += (words.empty() ? "per_" : "_per_") + Sanitize(PerUnitWord(u.substr(slash + 1)));
    }
  }
  auto ends_with_word = [&out](const std::string& w) { return out.size() >= w.size() + 1 && out.ends_with("_" + w); };
  if (!words.empty() && words != "_" && !ends_with_word(words)) out += "_" + words;
  if (monotonic_counter && !ends_with_word("total")) out += "_total";
  return out;
}

namespace {

// The mapping both encodings share.
ImportResult ImportRequest(const otlp::ExportMetricsServiceRequest& req, const model::Labels& extra_labels,
                           const Limits& limits, storage::Appender* app) {
  ImportResult r;
  Writer w(extra_labels, limits, app, &r);
  for (const auto& rm : req.resource_metrics()) {
    // The resource: job and instance, the rest for target_info.
    std::string service, ns, instance;
    LabelMap info;
    for (const auto& kv : rm.resource().attributes()) {
      std::string v = AnyValueText(kv.value());
      if (kv.key() == "service.name") {
        service = v;
      } else if (kv.key() == "service.namespace") {
        ns = v;
      } else if (kv.key() == "service.instance.id") {
        instance = v;
      }
    }
    AddAttributes(rm.resource().attributes(), &info);
    for (const char* k : {"service_name", "service_namespace", "service_instance_id"}) info.erase(k);
    LabelMap target;
    std::string job = ns.empty() ? service : ns + "/" + service;
    if (!job.empty()) target["job"] = job;
    if (!instance.empty()) target["instance"] = instance;
    uint64_t latest = 0;
    for (const auto& sm : rm.scope_metrics()) {
      for (const auto& m : sm.metrics()) {
        size_t index = w.NextMetric();
        if (m.name().empty()) {
          w.Refuse(fmt::format("metric {} of the request has no name", index));
          continue;
        }
        // proto3 cannot tell an unset time from 0: a point without one is refused, not put at 1970.
        auto timed = [&](const auto& p) {
          if (p.time_unix_nano() == 0) {
            w.Refuse(fmt::format("metric {}: a data point without a time (timeUnixNano)", Quote(m.name())));
          }
          return p.time_unix_nano() != 0;
        };
        auto valued = [&](const otlp::NumberDataPoint& p) {
          if (p.value_case() != otlp::NumberDataPoint::VALUE_NOT_SET) return true;
          // FLAG_NO_RECORDED_VALUE (bit 0) says so: such a point is skipped, others are refused.
          if ((p.flags() & 1) == 0) {
            w.Refuse(fmt::format("metric {}: a data point without a value (asDouble or asInt)", Quote(m.name())));
          }
          return false;
        };
        // Sums and histograms must be cumulative: converting deltas needs state across requests.
        auto cumulative = [&](otlp::AggregationTemporality t, const char* kind) {
          if (t == otlp::AGGREGATION_TEMPORALITY_CUMULATIVE) return true;
          std::string what = t == otlp::AGGREGATION_TEMPORALITY_DELTA
                                 ? fmt::format("delta {}", kind)
                                 : fmt::format("{} without a cumulative aggregation temporality ({})", kind, static_cast<int>(t));
          w.Refuse(fmt::format("metric {}: {} are not accepted; export cumulative temporality "
                               "(OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative)",
                               Quote(m.name()), what));
          return false;
        };
        auto labels_of = [&](const auto& attrs) {
          LabelMap l = target;
          AddAttributes(attrs, &l);
          for (const auto& [k, v] : target) l[k] = v;  // the resource's job/instance win
          return l;
        };
        switch (m.data_case()) {
          case otlp::Metric::kGauge: {
            std::string name = OtlpMetricName(m.name(), m.unit(), false, true);
            for (const auto& p : m.gauge().data_points()) {
              if (!timed(p) || !valued(p)) continue;
              double v = p.value_case() == otlp::NumberDataPoint::kAsInt ? static_cast<double>(p.as_int()) : p.as_double();
              w.Add(labels_of(p.attributes()), name, nullptr, "", p.time_unix_nano(), v);
              latest = std::max(latest, p.time_unix_nano());
            }
            break;
          }
          case otlp::Metric::kSum: {
            const auto& s = m.sum();
            if (!cumulative(s.aggregation_temporality(), "sums")) break;
            // A non-monotonic sum (an UpDownCounter) is a gauge in Prometheus.
            std::string name = OtlpMetricName(m.name(), m.unit(), s.is_monotonic(), !s.is_monotonic());
            for (const auto& p : s.data_points()) {
              if (!timed(p) || !valued(p)) continue;
              double v = p.value_case() == otlp::NumberDataPoint::kAsInt ? static_cast<double>(p.as_int()) : p.as_double();
              w.Add(labels_of(p.attributes()), name, nullptr, "", p.time_unix_nano(), v);
              latest = std::max(latest, p.time_unix_nano());
            }
            break;
          }
          case otlp::Metric::kHistogram: {
            const auto& h = m.histogram();
            if (!cumulative(h.aggregation_temporality(), "histograms")) break;
            std::string name = OtlpMetricName(m.name(), m.unit(), false, false);
            for (const auto& p : h.data_points()) {
              if (!timed(p)) continue;
              if (p.bucket_counts_size() != 0 && p.bucket_counts_size() != p.explicit_bounds_size() + 1) {
                w.Refuse(fmt::format("metric {}: {} bucket counts for {} bounds (want bounds + 1)", Quote(m.name()),
                                     p.bucket_counts_size(), p.explicit_bounds_size()));
                continue;
              }
              LabelMap l = labels_of(p.attributes());
              uint64_t cumulative = 0;
              for (int i = 0; i < p.bucket_counts_size(); ++i) {
                cumulative += p.bucket_counts(i);
                double bound = i < p.explicit_bounds_size() ? p.explicit_bounds(i) : INFINITY;
                w.Add(l, name + "_bucket", "le", FormatLe(bound), p.time_unix_nano(), static_cast<double>(cumulative));
              }
              if (p.has_sum()) w.Add(l, name + "_sum", nullptr, "", p.time_unix_nano(), p.sum());
              w.Add(l, name + "_count", nullptr, "", p.time_unix_nano(), static_cast<double>(p.count()));
              latest = std::max(latest, p.time_unix_nano());
            }
            break;
          }
          case otlp::Metric::kSummary: {
            std::string name = OtlpMetricName(m.name(), m.unit(), false, false);
            for (const auto& p : m.summary().data_points()) {
              if (!timed(p)) continue;
              LabelMap l = labels_of(p.attributes());
              for (const auto& q : p.quantile_values()) {
                w.Add(l, name, "quantile", fmt::format("{}", q.quantile()), p.time_unix_nano(), q.value());
              }
              w.Add(l, name + "_sum", nullptr, "", p.time_unix_nano(), p.sum());
              w.Add(l, name + "_count", nullptr, "", p.time_unix_nano(), static_cast<double>(p.count()));
              latest = std::max(latest, p.time_unix_nano());
            }
            break;
          }
          case otlp::Metric::kExponentialHistogram:
            w.Refuse(fmt::format("metric {}: exponential histograms are not accepted (no native histograms here); "
                                 "use explicit bucket boundaries",
                                 Quote(m.name())));
            break;
          default:
            break;  // a metric without data
        }
      }
    }
    // target_info: the resource's other attributes, once per resource, at its latest point.
    if (!info.empty() && latest > 0 && !target.empty()) {
      LabelMap l = target;
      for (const auto& [k, v] : info) l.emplace(k, v);
      w.Add(l, "target_info", nullptr, "", latest, 1);
    }
  }
  return r;
}

}  // namespace

ImportResult ImportOtlp(std::string_view body, const model::Labels& extra_labels, const Limits& limits,
                        storage::Appender* app) {
  otlp::ExportMetricsServiceRequest req;
  if (!req.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    ImportResult r;
    r.first_error = Status::InvalidArgument("cannot parse the OTLP ExportMetricsServiceRequest protobuf body");
    return r;
  }
  return ImportRequest(req, extra_labels, limits, app);
}

ImportResult ImportOtlpJson(std::string_view body, const model::Labels& extra_labels, const Limits& limits,
                            storage::Appender* app) {
  otlp::ExportMetricsServiceRequest req;
  if (Status st = OtlpFromJson(body, &req); !st.ok()) {
    ImportResult r;
    r.first_error = std::move(st);
    return r;
  }
  return ImportRequest(req, extra_labels, limits, app);
}

}  // namespace sremon::ingest
