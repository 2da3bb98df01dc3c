// OTLP/HTTP protobuf bodies through ImportOtlp: read in place (memory bounded by the body, not by
// a request tree), refused whole when malformed, exemplars accepted and dropped. Bodies are
// written with ingest/protowire.h, field numbers from otlp.proto.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <malloc.h>

#include <fstream>
#include <string>

#include "ingest/otlp.h"
#include "ingest/protowire.h"
#include "storage/recording_appendable.h"
#include "util/strings.h"

namespace sremon::ingest {
namespace {

using namespace protowire;  // NOLINT: the Append* writers
using storage::testing::RecordingAppendable;

std::string Message(uint32_t number, const std::string& content) {
  std::string out;
  AppendBytesField(&out, number, content);
  return out;
}
std::string Attribute(uint32_t number, std::string_view key, std::string_view value) {
  std::string kv;
  AppendBytesField(&kv, 1, key);
  AppendBytesField(&kv, 2, Message(1, std::string(value)));  // AnyValue.string_value
  return Message(number, kv);
}
// ExportMetricsServiceRequest{resource_metrics{resource{service.name=job}, scope_metrics{metrics}}}.
std::string Request(const std::string& metrics, std::string_view job = "app") {
  std::string rm = Message(1, Attribute(1, "service.name", job)) + Message(2, metrics);
  return Message(1, rm);
}
// A gauge point: attributes, time (ns), value.
std::string GaugePoint(const std::string& attrs, uint64_t t_ns, double v, const std::string& extra = "") {
  std::string p = attrs;
  AppendFixed64Field(&p, 3, t_ns);
  AppendDoubleField(&p, 4, v);
  return Message(1, p + extra);
}
std::string Gauge(std::string_view name, const std::string& points) {
  std::string m;
  AppendBytesField(&m, 1, name);
  return Message(2, m + Message(5, points));  // ScopeMetrics.metrics{name, gauge}
}

std::string Imported(std::string_view body, bool json, ImportResult* r) {
  RecordingAppendable store;
  auto app = store.NewAppender();
  *r = json ? ImportOtlpJson(body, {}, Limits{}, app.get()) : ImportOtlp(body, {}, Limits{}, app.get());
  EXPECT_TRUE(app->Commit().ok());
  std::string out;
  for (const auto& s : store.Samples()) out += fmt::format("{} {} @{}\n", s.labels.ToString(), s.v, s.t);
  return out;
}

constexpr uint64_t kT = 1700000000000000000;

// Exemplars (NumberDataPoint field 5, HistogramDataPoint field 8) are not stored, as
// VictoriaMetrics 1.93 does not store them: the request is accepted and its samples are.
TEST(OtlpTest, ExemplarsAreAcceptedAndTheirSamplesStored) {
  std::string exemplar;
  AppendFixed64Field(&exemplar, 2, kT);            // time_unix_nano
  AppendDoubleField(&exemplar, 3, 0.25);           // as_double
  AppendBytesField(&exemplar, 4, "0123456789abcdef");  // span_id
  AppendBytesField(&exemplar, 5, std::string(16, 'T'));  // trace_id
  std::string hist = Attribute(9, "code", "200");
  AppendFixed64Field(&hist, 3, kT);
  AppendFixed64Field(&hist, 4, 2);
  AppendDoubleField(&hist, 5, 0.5);
  AppendFixed64Field(&hist, 6, 1);
  AppendFixed64Field(&hist, 6, 1);
  AppendDoubleField(&hist, 7, 0.3);
  hist += Message(8, exemplar);
  std::string hmetric;
  AppendBytesField(&hmetric, 1, "lat");
  std::string h = Message(1, hist);
  AppendVarintField(&h, 2, 2);  // cumulative
  hmetric += Message(9, h);
  std::string body = Request(Gauge("temp", GaugePoint("", kT, 21.5, Message(5, exemplar))) + Message(2, hmetric));
  ImportResult r;
  std::string got = Imported(body, false, &r);
  EXPECT_TRUE(r.first_error.ok()) << r.first_error.message();
  EXPECT_EQ(got,
            "temp{job=\"app\"} 21.5 @1700000000000\n"
            "lat_bucket{code=\"200\", job=\"app\", le=\"0.3\"} 1 @1700000000000\n"
            "lat_bucket{code=\"200\", job=\"app\", le=\"+Inf\"} 2 @1700000000000\n"
            "lat_sum{code=\"200\", job=\"app\"} 0.5 @1700000000000\n"
            "lat_count{code=\"200\", job=\"app\"} 2 @1700000000000\n");
  // The same in JSON, exemplars as the OpenTelemetry Collector writes them.
  got = Imported(R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"app"}}]},
    "scopeMetrics":[{"metrics":[{"name":"temp","gauge":{"dataPoints":[{"timeUnixNano":"1700000000000000000","asDouble":21.5,
    "exemplars":[{"timeUnixNano":"1700000000000000000","asDouble":0.25,"spanId":"MDEyMzQ1Njc4OWFiY2RlZg==",
    "traceId":"5B8EFFF798038103D269B633813FC60C","filteredAttributes":[{"key":"user","value":{"stringValue":"u1"}}]}]}]}}]}]}]})",
                 true, &r);
  EXPECT_TRUE(r.first_error.ok()) << r.first_error.message();
  EXPECT_EQ(got, "temp{job=\"app\"} 21.5 @1700000000000\n");
}

// A body that is not protobuf past its first metric writes nothing: the whole body is checked
// before the first sample is appended (the request then answers 400 with nothing half-written).
TEST(OtlpTest, MalformedBodiesAreRefusedBeforeAnythingIsWritten) {
  std::string good = Gauge("a", GaugePoint("", kT, 1));
  struct Case {
    std::string body;
    std::string want;
  };
  std::string bad_utf8 = Gauge("b\xff", GaugePoint("", kT, 2));
  std::string truncated = Request(good + Gauge("b", GaugePoint("", kT, 2)));
  truncated.resize(truncated.size() - 3);
  std::string packed = Attribute(9, "k", "v");
  AppendFixed64Field(&packed, 3, kT);
  AppendBytesField(&packed, 6, "1234567");  // 7 bytes of packed fixed64
  std::string deep = Message(1, "x");
  for (int i = 0; i < 80; ++i) deep = Message(5, Message(1, deep));  // AnyValue.array_value.values
  const Case kCases[] = {
      {truncated, "at byte"},
      {Request(good + bad_utf8), "invalid UTF-8 in a string at byte"},
      {Request(good + Message(2, Message(9, Message(1, packed)))), "packed 64-bit values of 7 bytes"},
      {Request(good + Gauge("c", GaugePoint(Message(7, Message(2, deep)), kT, 1))), "nest deeper than 64 levels"},
      {Request(good) + "\x0b", "invalid wire type at byte"},  // a group start (proto2's, not OTLP's)
  };
  for (const Case& c : kCases) {
    ImportResult r;
    std::string got = Imported(c.body, false, &r);
    EXPECT_EQ(got, "") << c.want;
    EXPECT_NE(r.first_error.message().find("cannot parse the OTLP ExportMetricsServiceRequest protobuf body"),
              std::string::npos)
        << r.first_error.message();
    EXPECT_NE(r.first_error.message().find(c.want), std::string::npos) << r.first_error.message();
  }
}

// Protobuf's merge rules, which the generated parser applied: a singular message field sent
// twice merges (two `resource`s, two `gauge`s), the last member of a oneof wins, scalars take
// the last value, repeated fixed64 fields come packed or not.
TEST(OtlpTest, RepeatedSingularFieldsMergeAsProtobufDoes) {
  std::string metric;
  AppendBytesField(&metric, 1, "first");
  AppendBytesField(&metric, 1, "m");  // the last name wins
  metric += Message(7, Message(1, "")) + Message(5, GaugePoint("", kT, 1)) + Message(5, GaugePoint("", kT + 1000000, 2));
  std::string point;
  AppendFixed64Field(&point, 3, kT);
  AppendDoubleField(&point, 4, 5);
  AppendFixed64Field(&point, 6, static_cast<uint64_t>(-7));  // as_int after as_double: -7
  metric += Message(5, Message(1, point + Attribute(7, "k", "a") + Message(7, std::string("\x0a\x01k\x12\x02\x10\x01", 7))));
  std::string rm = Message(1, Attribute(1, "service.name", "x")) + Message(1, Attribute(1, "service.name", "app")) +
                   Message(2, Message(2, metric));
  ImportResult r;
  std::string got = Imported(Message(1, rm), false, &r);
  EXPECT_TRUE(r.first_error.ok()) << r.first_error.message();
  EXPECT_EQ(got,
            "m{job=\"app\"} 1 @1700000000000\n"
            "m{job=\"app\"} 2 @1700000000001\n"
            "m{job=\"app\", k=\"a;true\"} -7 @1700000000000\n");
}

// Peak RSS of this process (VmHWM, reset through /proc/self/clear_refs) above its RSS before fn.
size_t PeakRiseBytes(const std::function<void()>& fn) {
  auto kb = [](std::string_view key) {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
      if (line.starts_with(key)) return std::stoul(line.substr(key.size() + 1)) * 1024;
    }
    return 0ul;
  };
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
  size_t before = kb("VmRSS");
  fn();
  return kb("VmHWM") - before;
}

// An appender that only counts: the memory measured is the decoder's.
class Counter : public storage::Appender {
 public:
  Status Append(const model::Labels&, int64_t, double) override {
    ++n;
    return Status::Ok();
  }
  Status Commit() override { return Status::Ok(); }
  void Rollback() override {}
  uint64_t n = 0;
};

// A 16 MB JSON body (6 MB as protobuf) used to cost many times its size as a request tree and a
// whole JSON document (protobuf: 9x, JSON: 12x); read in place it costs a fraction of it (JSON:
// its protobuf form and one element's JSON values at a time).
TEST(OtlpTest, LargeBodiesAreDecodedWithinAFewTimesTheirSize) {
  std::string metrics, json = R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"app"}}]},"scopeMetrics":[{"metrics":[)";
  int samples = 0;
  for (int m = 0; json.size() < (16u << 20); ++m) {
    std::string points;
    json += fmt::format(R"({}{{"name":"g{}","gauge":{{"dataPoints":[)", m ? "," : "", m);
    for (int p = 0; p < 1000; ++p, ++samples) {
      std::string attrs = Attribute(7, "pod", fmt::format("pod-{}", p % 20)) + Attribute(7, "route", "/api/items");
      points += GaugePoint(attrs, kT + static_cast<uint64_t>(p / 20) * 10000000000, p);
      json += fmt::format(
          R"({}{{"attributes":[{{"key":"pod","value":{{"stringValue":"pod-{}"}}}},{{"key":"route","value":{{"stringValue":"/api/items"}}}}],"timeUnixNano":"{}","asDouble":{}}})",
          p ? "," : "", p % 20, kT + static_cast<uint64_t>(p / 20) * 10000000000, p);
    }
    json += "]}}";
    metrics += Gauge(fmt::format("g{}", m), points);
  }
  json += "]}]}]}";
  std::string proto = Request(metrics);
  for (bool is_json : {false, true}) {
    const std::string& body = is_json ? json : proto;
    Counter app;
    ImportResult r;
    size_t rise = PeakRiseBytes([&] {
      r = is_json ? ImportOtlpJson(body, {}, Limits{}, &app) : ImportOtlp(body, {}, Limits{}, &app);
    });
    EXPECT_TRUE(r.first_error.ok()) << r.first_error.message();
    EXPECT_EQ(app.n, static_cast<uint64_t>(samples));
    double ratio = static_cast<double>(rise) / static_cast<double>(body.size());
    RecordProperty(is_json ? "json_peak_ratio" : "proto_peak_ratio", fmt::format("{:.2f}", ratio));
    EXPECT_LT(ratio, is_json ? 3.0 : 1.0) << (is_json ? "JSON" : "protobuf") << " body of " << body.size()
                                          << " bytes raised the peak RSS by " << rise;
  }
}

// Tiny messages cost the most as values (an empty JSON object is ~80 bytes for its 3: such bodies
// used to cost 15x to 63x): at every level of the request, a long run of them stays within a few times
// the body (about 4x: the elements' frames, their copy, the protobuf form).
TEST(OtlpTest, LongRunsOfTinyMessagesStayWithinAFewTimesTheBody) {
  constexpr size_t kSize = 4 << 20;
  auto repeat = [](std::string_view head, std::string_view item, std::string_view tail) {
    std::string out(head);
    for (bool first = true; out.size() < kSize; first = false) out.append(first ? "" : ",").append(item);
    return out.append(tail);
  };
  std::string empty_rms_proto;
  while (empty_rms_proto.size() < kSize) empty_rms_proto += std::string("\x0a\x00", 2);
  struct Case {
    const char* what;
    std::string body;
    bool json;
  };
  const std::string point_head = R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[)";
  const Case kCases[] = {
      {"empty resourceMetrics (protobuf)", empty_rms_proto, false},
      {"empty resourceMetrics", repeat(R"({"resourceMetrics":[)", "{}", "]}"), true},
      {"empty metrics", repeat(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[)", "{}", "]}]}]}"), true},
      {"points of one metric", repeat(point_head, R"({"timeUnixNano":"1","asInt":1})", "]}}]}]}]}"), true},
      {"attributes of one point",
       repeat(point_head + R"({"timeUnixNano":"1","asInt":1,"attributes":[)", R"({"key":"k"})", "]}]}}]}]}]}"), true},
      {"an unknown field of one point",
       repeat(point_head + R"({"timeUnixNano":"1","asInt":1,"exemplars":[)", "{}", "]}]}}]}]}]}"), true},
      {"values of one array attribute",
       repeat(point_head + R"({"timeUnixNano":"1","asInt":1,"attributes":[{"key":"k","value":{"arrayValue":{"values":[)",
              "{}", "]}}}]}]}}]}]}]}"),
       true},
  };
  for (const Case& c : kCases) {
    Counter app;
    ImportResult r;
    size_t rise = PeakRiseBytes([&] {
      r = c.json ? ImportOtlpJson(c.body, {}, Limits{}, &app) : ImportOtlp(c.body, {}, Limits{}, &app);
    });
    EXPECT_FALSE(r.first_error.message().starts_with("cannot parse")) << c.what << ": " << r.first_error.message();
    double ratio = static_cast<double>(rise) / static_cast<double>(c.body.size());
    EXPECT_LT(ratio, 6.0) << c.what << ": a body of " << c.body.size() << " bytes raised the peak RSS by " << rise;
  }
}

}  // namespace
}  // namespace sremon::ingest
