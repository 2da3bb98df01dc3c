#include "ingest/otlp.h"

#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "ingest/otlp_json.h"
#include "ingest/protowire.h"
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

using LabelMap = std::map<std::string, std::string>;

// An attribute's value as label text: the AnyValue's scalar (the last member set wins, as
// protobuf merges repeated occurrences); arrays, maps and bytes have none ("").
std::string AnyValueText(std::string_view any) {
  std::string text;
  protowire::Reader r(any);
  protowire::Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1: if (f.type == protowire::kLen) text = f.bytes; break;
      case 2: if (f.type == protowire::kVarint) text = f.value != 0 ? "true" : "false"; break;
      case 3: if (f.type == protowire::kVarint) text = std::to_string(static_cast<int64_t>(f.value)); break;
      case 4: if (f.type == protowire::kFixed64) text = fmt::format("{}", f.AsDouble()); break;
      case 5: case 6: case 7: if (f.type == protowire::kLen) text.clear(); break;
      default: break;
    }
  }
  return text;
}

// The occurrences of one singular message field, merged as protobuf merges them: parsing their
// concatenation is the same as parsing the merged message. The common single occurrence is not
// copied. REQUIRES: the viewed bytes outlive the returned view.
class Merged {
 public:
  void Add(std::string_view occurrence) {
    if (count_++ == 0) {
      view_ = occurrence;
      return;
    }
    if (count_ == 2) copy_.assign(view_);
    copy_.append(occurrence);
    view_ = copy_;
  }
  void Clear() {
    count_ = 0;
    view_ = {};
  }
  bool empty() const { return count_ == 0; }
  std::string_view bytes() const { return view_; }

 private:
  int count_ = 0;
  std::string_view view_;
  std::string copy_;
};

// One KeyValue (attribute) added as a label, unless its value has no text.
void AddAttribute(std::string_view kv, LabelMap* out) {
  std::string_view key;
  Merged value;
  protowire::Reader r(kv);
  protowire::Field f;
  while (r.Next(&f)) {
    if (f.type != protowire::kLen) continue;
    if (f.number == 1) key = f.bytes;
    if (f.number == 2) value.Add(f.bytes);
  }
  std::string text = AnyValueText(value.bytes());
  if (text.empty()) return;
  auto [it, fresh] = out->emplace(OtlpLabelName(key), text);
  if (!fresh) it->second += ";" + text;  // keys that sanitize alike are joined, as Prometheus does
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

using protowire::Field;
using protowire::Reader;

// ---- pass 1: the whole body is well-formed protobuf --------------------------------------------

// The messages of otlp.proto whose length-delimited fields we look into.
enum class Msg {
  kRequest, kResourceMetrics, kResource, kScopeMetrics, kScope, kMetric, kGauge, kSum, kHistogram,
  kSummary, kNumberPoint, kHistogramPoint, kSummaryPoint, kKeyValue, kAnyValue, kArrayValue, kKvList,
  kOpaque,  // no length-delimited fields of ours (ExponentialHistogram, ValueAtQuantile)
};
enum class Kind { kMessage, kString, kPacked64 };
struct Rule {
  Kind kind;
  Msg msg = Msg::kOpaque;
};

// What a length-delimited field `number` of `m` holds; nullopt for fields otlp.proto does not
// declare (skipped, as protobuf keeps unknown fields).
std::optional<Rule> RuleFor(Msg m, uint32_t n) {
  using enum Msg;
  auto message = [](Msg sub) { return Rule{Kind::kMessage, sub}; };
  const Rule string{Kind::kString}, packed{Kind::kPacked64};
  switch (m) {
    case kRequest: if (n == 1) return message(kResourceMetrics); break;
    case kResourceMetrics: if (n == 1) return message(kResource); if (n == 2) return message(kScopeMetrics); break;
    case kResource: if (n == 1) return message(kKeyValue); break;
    case kScopeMetrics: if (n == 1) return message(kScope); if (n == 2) return message(kMetric); break;
    case kScope: if (n == 1 || n == 2) return string; break;
    case kMetric:
      if (n >= 1 && n <= 3) return string;
      if (n == 5) return message(kGauge);
      if (n == 7) return message(kSum);
      if (n == 9) return message(kHistogram);
      if (n == 10) return message(kOpaque);
      if (n == 11) return message(kSummary);
      break;
    case kGauge: case kSum: if (n == 1) return message(kNumberPoint); break;
    case kHistogram: if (n == 1) return message(kHistogramPoint); break;
    case kSummary: if (n == 1) return message(kSummaryPoint); break;
    case kNumberPoint: if (n == 7) return message(kKeyValue); break;
    case kHistogramPoint: if (n == 9) return message(kKeyValue); if (n == 6 || n == 7) return packed; break;
    case kSummaryPoint: if (n == 7) return message(kKeyValue); if (n == 6) return message(kOpaque); break;
    case kKeyValue: if (n == 1) return string; if (n == 2) return message(kAnyValue); break;
    case kAnyValue:
      if (n == 1) return string;
      if (n == 5) return message(kArrayValue);
      if (n == 6) return message(kKvList);
      break;
    case kArrayValue: if (n == 1) return message(kAnyValue); break;
    case kKvList: if (n == 1) return message(kKeyValue); break;
    case kOpaque: break;
  }
  return std::nullopt;
}

// Nested messages deeper than this are refused (protobuf's parser stops at 100; attribute values
// nest arrays and maps without bound otherwise).
constexpr int kMaxDepth = 64;

// OK when `bytes` (a message of kind m, starting at byte `offset` of the body) parses as protobuf
// would parse it: well-formed fields, valid UTF-8 strings, whole packed values. Else the reason.
Status Validate(std::string_view bytes, Msg m, size_t offset, int depth) {
  if (depth > kMaxDepth) {
    return Status::InvalidArgument(fmt::format("messages nest deeper than {} levels at byte {}", kMaxDepth, offset));
  }
  Reader r(bytes);
  Field f;
  while (r.Next(&f)) {
    if (f.type != protowire::kLen) continue;
    auto rule = RuleFor(m, f.number);
    if (!rule) continue;
    size_t at = offset + static_cast<size_t>(f.bytes.data() - bytes.data());
    switch (rule->kind) {
      case Kind::kString:
        if (!IsValidUtf8(f.bytes)) return Status::InvalidArgument(fmt::format("invalid UTF-8 in a string at byte {}", at));
        break;
      case Kind::kPacked64:
        if (f.bytes.size() % 8 != 0) {
          return Status::InvalidArgument(fmt::format("packed 64-bit values of {} bytes at byte {}", f.bytes.size(), at));
        }
        break;
      case Kind::kMessage:
        if (Status st = Validate(f.bytes, rule->msg, at, depth + 1); !st.ok()) return st;
        break;
    }
  }
  if (!r.ok()) return Status::InvalidArgument(fmt::format("{} at byte {}", r.error(), offset + r.offset()));
  return Status::Ok();
}

// ---- pass 2: the mapping, one data point at a time ----------------------------------------------

// The data points' fields we map, read in place (one point at a time: nothing of the request is
// built but the labels of the sample being appended).
struct NumberPoint {
  uint64_t time = 0;
  bool has_value = false;
  double value = 0;
  uint32_t flags = 0;
};

// What histogram and summary points share: count (field 4) and sum (5). A summary's sum is
// never unset (proto3 `double sum`: absent is 0); a histogram's may be (`optional double sum`).
struct Totals {
  uint64_t count = 0;
  std::optional<double> sum;
  // False for the other fields.
  bool Read(const Field& f) {
    if (f.number == 4 && f.type == protowire::kFixed64) count = f.value;
    if (f.number == 5 && f.type == protowire::kFixed64) sum = f.AsDouble();
    return f.number == 4 || f.number == 5;
  }
};

struct HistogramPoint : Totals {
  uint64_t time = 0;
  std::vector<uint64_t> buckets;
  std::vector<double> bounds;
  void Reset() {
    time = count = 0;
    sum.reset();
    buckets.clear();
    bounds.clear();
  }
};

struct SummaryPoint : Totals {
  uint64_t time = 0;
  std::vector<std::pair<double, double>> quantiles;  // (quantile, value)
  void Reset() {
    time = count = 0;
    sum = 0;
    quantiles.clear();
  }
};

// Appends a repeated fixed64/double field's values, packed or not (protobuf accepts both).
template <typename T>
void AppendRepeated64(const Field& f, std::vector<T>* out) {
  auto push = [out](uint64_t bits) {
    T v;
    std::memcpy(&v, &bits, sizeof v);
    out->push_back(v);
  };
  if (f.type == protowire::kFixed64) push(f.value);
  if (f.type == protowire::kLen) {
    for (size_t i = 0; i < f.bytes.size() / 8; ++i) push(protowire::Fixed64At(f.bytes, i));
  }
}

// Calls fn(point bytes) for every data point of the merged occurrences of a Gauge, Sum,
// Histogram or Summary (field 1 of each), and reads their temporality and monotonicity.
struct Data {
  int temporality = 0;
  bool monotonic = false;
  template <typename Fn>
  void Points(std::string_view merged, Fn&& fn) {
    Reader r(merged);
    Field f;
    while (r.Next(&f)) {
      if (f.number == 1 && f.type == protowire::kLen) fn(f.bytes);
      if (f.number == 2 && f.type == protowire::kVarint) temporality = static_cast<int32_t>(f.value);
      if (f.number == 3 && f.type == protowire::kVarint) monotonic = f.value != 0;
    }
  }
  void Read(std::string_view merged) {
    Points(merged, [](std::string_view) {});
  }
};

class Converter {
 public:
  Converter(const model::Labels& extra, const Limits& limits, storage::Appender* app, ImportResult* r)
      : w_(extra, limits, app, r) {}

  void Request(std::string_view body) {
    Reader r(body);
    Field f;
    while (r.Next(&f)) {
      if (f.number == 1 && f.type == protowire::kLen) ResourceMetrics(f.bytes);
    }
  }

 private:
  void ResourceMetrics(std::string_view rm) {
    // The resource (its occurrences merge): job and instance, the rest for target_info.
    std::string service, ns, instance;
    LabelMap info;
    Reader r(rm);
    Field f;
    while (r.Next(&f)) {
      if (f.number != 1 || f.type != protowire::kLen) continue;
      Reader res(f.bytes);
      Field a;
      while (res.Next(&a)) {
        if (a.number != 1 || a.type != protowire::kLen) continue;
        std::string_view key;
        Merged value;
        Reader kv(a.bytes);
        Field k;
        while (kv.Next(&k)) {
          if (k.number == 1 && k.type == protowire::kLen) key = k.bytes;
          if (k.number == 2 && k.type == protowire::kLen) value.Add(k.bytes);
        }
        if (key == "service.name") service = AnyValueText(value.bytes());
        if (key == "service.namespace") ns = AnyValueText(value.bytes());
        if (key == "service.instance.id") instance = AnyValueText(value.bytes());
        AddAttribute(a.bytes, &info);
      }
    }
    for (const char* k : {"service_name", "service_namespace", "service_instance_id"}) info.erase(k);
    target_.clear();
    std::string job = ns.empty() ? service : ns + "/" + service;
    if (!job.empty()) target_["job"] = job;
    if (!instance.empty()) target_["instance"] = instance;
    latest_ = 0;
    Reader scopes(rm);
    while (scopes.Next(&f)) {
      if (f.number != 2 || f.type != protowire::kLen) continue;
      Reader sm(f.bytes);
      Field m;
      while (sm.Next(&m)) {
        if (m.number == 2 && m.type == protowire::kLen) Metric(m.bytes);
      }
    }
    // target_info: the resource's other attributes, once per resource, at its latest point.
    if (!info.empty() && latest_ > 0 && !target_.empty()) {
      LabelMap l = target_;
      for (const auto& [k, v] : info) l.emplace(k, v);
      w_.Add(l, "target_info", nullptr, "", latest_, 1);
    }
  }

  void Metric(std::string_view metric) {
    size_t index = w_.NextMetric();
    std::string_view name_bytes, unit;
    uint32_t data_field = 0;  // the `data` oneof's member: the last one seen wins
    Merged data;
    Reader r(metric);
    Field f;
    while (r.Next(&f)) {
      if (f.type != protowire::kLen) continue;
      if (f.number == 1) name_bytes = f.bytes;
      if (f.number == 3) unit = f.bytes;
      if (f.number == 5 || f.number == 7 || f.number == 9 || f.number == 10 || f.number == 11) {
        if (f.number != data_field) data.Clear();
        data_field = f.number;
        data.Add(f.bytes);
      }
    }
    if (name_bytes.empty()) {
      w_.Refuse(fmt::format("metric {} of the request has no name", index));
      return;
    }
    metric_.assign(name_bytes);
    const std::string& mname = metric_;
    Data d;
    switch (data_field) {
      case 5: {
        std::string name = OtlpMetricName(mname, unit, false, true);
        d.Points(data.bytes(), [&](std::string_view p) { Number(p, name); });
        break;
      }
      case 7: {
        d.Read(data.bytes());
        if (!Cumulative(d.temporality, "sums")) break;
        // A non-monotonic sum (an UpDownCounter) is a gauge in Prometheus.
        std::string name = OtlpMetricName(mname, unit, d.monotonic, !d.monotonic);
        d.Points(data.bytes(), [&](std::string_view p) { Number(p, name); });
        break;
      }
      case 9: {
        d.Read(data.bytes());
        if (!Cumulative(d.temporality, "histograms")) break;
        std::string name = OtlpMetricName(mname, unit, false, false);
        d.Points(data.bytes(), [&](std::string_view p) { Histogram(p, name); });
        break;
      }
      case 11: {
        std::string name = OtlpMetricName(mname, unit, false, false);
        d.Points(data.bytes(), [&](std::string_view p) { Summary(p, name); });
        break;
      }
      case 10:
        w_.Refuse(fmt::format("metric {}: exponential histograms are not accepted (no native histograms here); "
                              "use explicit bucket boundaries",
                              Quote(mname)));
        break;
      default:
        break;  // a metric without data
    }
  }

  // Sums and histograms must be cumulative: converting deltas needs state across requests.
  bool Cumulative(int t, const char* kind) {
    if (t == 2) return true;
    std::string what = t == 1 ? fmt::format("delta {}", kind)
                              : fmt::format("{} without a cumulative aggregation temporality ({})", kind, t);
    w_.Refuse(fmt::format("metric {}: {} are not accepted; export cumulative temporality "
                          "(OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative)",
                          Quote(metric_), what));
    return false;
  }

  // proto3 cannot tell an unset time from 0: a point without one is refused, not put at 1970.
  bool Timed(uint64_t time) {
    if (time == 0) w_.Refuse(fmt::format("metric {}: a data point without a time (timeUnixNano)", Quote(metric_)));
    return time != 0;
  }

  // Reads a data point: its time (field 3, returned) and its attributes (field `attributes`) into
  // labels_ here, each other field by fn(field). The point's labels are the resource's, its
  // attributes, and the resource's job/instance again (FinishLabels), which win.
  template <typename Fn>
  uint64_t ReadPoint(std::string_view bytes, uint32_t attributes, Fn&& fn) {
    uint64_t time = 0;
    labels_ = target_;
    Reader r(bytes);
    Field f;
    while (r.Next(&f)) {
      if (f.number == 3) {
        if (f.type == protowire::kFixed64) time = f.value;
      } else if (f.number == attributes) {
        if (f.type == protowire::kLen) AddAttribute(f.bytes, &labels_);
      } else {
        fn(f);
      }
    }
    return time;
  }
  void FinishLabels() {
    for (const auto& [k, v] : target_) labels_[k] = v;
  }

  // The last series of a histogram or summary point: its _sum (when set) and _count.
  void AddTotals(const std::string& name, uint64_t time, const Totals& t) {
    if (t.sum) w_.Add(labels_, name + "_sum", nullptr, "", time, *t.sum);
    w_.Add(labels_, name + "_count", nullptr, "", time, static_cast<double>(t.count));
    latest_ = std::max(latest_, time);
  }

  void Number(std::string_view bytes, const std::string& name) {
    NumberPoint p;
    p.time = ReadPoint(bytes, 7, [&](const Field& f) {
      switch (f.number) {
        case 4: if (f.type == protowire::kFixed64) p.has_value = true, p.value = f.AsDouble(); break;
        case 6: if (f.type == protowire::kFixed64) p.has_value = true, p.value = static_cast<double>(static_cast<int64_t>(f.value)); break;
        case 8: if (f.type == protowire::kVarint) p.flags = static_cast<uint32_t>(f.value); break;
        default: break;  // start time, exemplars (not stored, as VictoriaMetrics)...
      }
    });
    if (!Timed(p.time)) return;
    if (!p.has_value) {
      // FLAG_NO_RECORDED_VALUE (bit 0) says so: such a point is skipped, others are refused.
      if ((p.flags & 1) == 0) {
        w_.Refuse(fmt::format("metric {}: a data point without a value (asDouble or asInt)", Quote(metric_)));
      }
      return;
    }
    FinishLabels();
    w_.Add(labels_, name, nullptr, "", p.time, p.value);
    latest_ = std::max(latest_, p.time);
  }

  void Histogram(std::string_view bytes, const std::string& name) {
    HistogramPoint& p = histogram_;
    p.Reset();
    p.time = ReadPoint(bytes, 9, [&](const Field& f) {
      if (p.Read(f)) return;
      if (f.number == 6) AppendRepeated64(f, &p.buckets);
      if (f.number == 7) AppendRepeated64(f, &p.bounds);
    });
    if (!Timed(p.time)) return;
    if (!p.buckets.empty() && p.buckets.size() != p.bounds.size() + 1) {
      w_.Refuse(fmt::format("metric {}: {} bucket counts for {} bounds (want bounds + 1)", Quote(metric_),
                            p.buckets.size(), p.bounds.size()));
      return;
    }
    FinishLabels();
    uint64_t cumulative = 0;
    for (size_t i = 0; i < p.buckets.size(); ++i) {
      cumulative += p.buckets[i];
      double bound = i < p.bounds.size() ? p.bounds[i] : INFINITY;
      w_.Add(labels_, name + "_bucket", "le", FormatLe(bound), p.time, static_cast<double>(cumulative));
    }
    AddTotals(name, p.time, p);
  }

  void Summary(std::string_view bytes, const std::string& name) {
    SummaryPoint& p = summary_;
    p.Reset();
    p.time = ReadPoint(bytes, 7, [&](const Field& f) {
      if (p.Read(f)) return;
      if (f.number == 6 && f.type == protowire::kLen) p.quantiles.push_back(ReadQuantile(f.bytes));
    });
    if (!Timed(p.time)) return;
    FinishLabels();
    for (const auto& [q, v] : p.quantiles) w_.Add(labels_, name, "quantile", fmt::format("{}", q), p.time, v);
    AddTotals(name, p.time, p);
  }

  // A ValueAtQuantile: (quantile, value).
  static std::pair<double, double> ReadQuantile(std::string_view bytes) {
    std::pair<double, double> q{0, 0};
    Reader r(bytes);
    Field f;
    while (r.Next(&f)) {
      if (f.number == 1 && f.type == protowire::kFixed64) q.first = f.AsDouble();
      if (f.number == 2 && f.type == protowire::kFixed64) q.second = f.AsDouble();
    }
    return q;
  }

  Writer w_;
  LabelMap target_;             // the current resource's job and instance
  uint64_t latest_ = 0;         // the current resource's latest point
  std::string metric_;          // the current metric's name, for errors
  LabelMap labels_;             // the current point's
  HistogramPoint histogram_;    // reused across points
  SummaryPoint summary_;
};

}  // namespace

ImportResult ImportOtlp(std::string_view body, const model::Labels& extra_labels, const Limits& limits,
                        storage::Appender* app) {
  ImportResult r;
  // Two passes over the body in place: a malformed request is refused before anything of it is
  // written, and nothing of it is built but the sample being appended (a request tree costs
  // several times the body: docs/benchmarks.md).
  if (Status st = Validate(body, Msg::kRequest, 0, 0); !st.ok()) {
    r.first_error = st.WithContext("cannot parse the OTLP ExportMetricsServiceRequest protobuf body");
    return r;
  }
  Converter(extra_labels, limits, app, &r).Request(body);
  return r;
}

ImportResult ImportOtlpJson(std::string_view body, const model::Labels& extra_labels, const Limits& limits,
                            storage::Appender* app) {
  std::string wire;
  if (Status st = OtlpJsonToProtobuf(body, &wire); !st.ok()) {
    ImportResult r;
    r.first_error = std::move(st);
    return r;
  }
  return ImportOtlp(wire, extra_labels, limits, app);
}

}  // namespace sremon::ingest
