// OTLP/JSON bodies (ingest/otlp_json.h) through ImportOtlpJson: the protobuf JSON mapping as OTLP
// uses it, and hostile bodies refused whole with the field's path. The real OpenTelemetry JS
// exporter is tests/otlp's.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "ingest/import_testing.h"
#include "ingest/otlp.h"

namespace sremon::ingest {
namespace {

using testing::Imported;

Imported Import(std::string_view body) {
  return testing::Import([&](storage::Appender* app) { return ImportOtlpJson(body, {}, Limits{}, app); });
}

// Every form the mapping allows: camelCase and snake_case keys, 64-bit integers as strings and
// numbers, doubles as "NaN"/"-Infinity", the enum by number and by name, base64 bytes, nested
// values, null fields, and fields we do not read (exemplars, min/max, schemaUrl, a future kind).
TEST(OtlpJsonTest, DecodesTheProtobufJsonMapping) {
  Imported got = Import(R"({
    "resourceMetrics": [{
      "resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "api"}},
        {"key": "host.id", "value": {"intValue": "42"}},
        {"key": "blob", "value": {"bytesValue": "aGk_"}},
        {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"kvlistValue": {"values": []}}]}}}
      ], "droppedAttributesCount": 0},
      "schemaUrl": "https://opentelemetry.io/schemas/1.21.0",
      "scope_metrics": [{
        "scope": {"name": "lib", "version": "1", "attributes": []},
        "metrics": [
          {"name": "reqs", "unit": "{request}", "description": null,
           "sum": {"aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [
             {"asInt": "-9007199254740993", "timeUnixNano": "1700000000000000000",
              "attributes": [{"key": "code", "value": {"intValue": 200}}],
              "exemplars": [{"traceId": "5B8EFFF798038103D269B633813FC60C", "asDouble": 1}]}]}},
          {"name": "temp", "gauge": {"data_points": [
             {"as_double": "NaN", "time_unix_nano": 1700000000000000000},
             {"asDouble": "-Infinity", "timeUnixNano": "1700000001000000000", "flags": 0},
             {"timeUnixNano": "1700000002000000000", "flags": 1}]}},
          {"name": "lat", "unit": "ms", "histogram": {
             "aggregationTemporality": "AGGREGATION_TEMPORALITY_CUMULATIVE",
             "dataPoints": [{"timeUnixNano": "1700000000000000000", "count": "3", "sum": 12.5,
                             "bucketCounts": ["1", 1, 1e0], "explicitBounds": [1, "10"], "min": 0.5, "max": 9}]}},
          {"name": "rpc", "unit": "s", "summary": {"dataPoints": [
             {"timeUnixNano": "1700000000000000000", "count": 4, "sum": 2,
              "quantileValues": [{"quantile": 0.5, "value": 0.25}, {"quantile": 0.99}]}]}},
          {"name": "future", "metadata": [{"key": "x"}], "someNewKind": {"x": [1, 2, 3]}}
        ]}]}]})");
  EXPECT_TRUE(got.result.first_error.ok()) << got.result.first_error.message();
  EXPECT_EQ(got.samples,
            "reqs_total{code=\"200\", job=\"api\"} -9007199254740992.000000 @1700000000000\n"
            "temp{job=\"api\"} nan @1700000000000\n"
            "temp{job=\"api\"} -inf @1700000001000\n"
            "lat_milliseconds_bucket{job=\"api\", le=\"1\"} 1.000000 @1700000000000\n"
            "lat_milliseconds_bucket{job=\"api\", le=\"10\"} 2.000000 @1700000000000\n"
            "lat_milliseconds_bucket{job=\"api\", le=\"+Inf\"} 3.000000 @1700000000000\n"
            "lat_milliseconds_sum{job=\"api\"} 12.500000 @1700000000000\n"
            "lat_milliseconds_count{job=\"api\"} 3.000000 @1700000000000\n"
            "rpc_seconds{job=\"api\", quantile=\"0.5\"} 0.250000 @1700000000000\n"
            "rpc_seconds{job=\"api\", quantile=\"0.99\"} 0.000000 @1700000000000\n"
            "rpc_seconds_sum{job=\"api\"} 2.000000 @1700000000000\n"
            "rpc_seconds_count{job=\"api\"} 4.000000 @1700000000000\n"
            "target_info{host_id=\"42\", job=\"api\"} 1.000000 @1700000001000\n");
}

// Wrong types, numbers out of range, deep nesting and missing fields: a 400 that names the field.
// A decoding error refuses the whole body; the mapping's refusals keep the other metrics.
TEST(OtlpJsonTest, HostileBodiesAreRefusedByField) {
  auto point = [](std::string_view fields) {
    return fmt::format(
        R"({{"resourceMetrics":[{{"scopeMetrics":[{{"metrics":[{{"name":"x","gauge":{{"dataPoints":[{{{}}}]}}}}]}}]}}]}})",
        fields);
  };
  const std::string where = "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].";
  std::string deep = R"({"stringValue":"leaf"})";
  for (int i = 0; i < 60; ++i) deep = R"({"arrayValue":{"values":[)" + deep + "]}}";
  struct Case {
    std::string body;
    std::string want;
  };
  const Case kCases[] = {
      {"", "cannot parse the OTLP/JSON body: invalid JSON at byte"},
      {"{\"resourceMetrics\":[", "invalid JSON at byte"},
      {"[]", "cannot parse the OTLP/JSON body: the body: want an object, got an array"},
      {R"({"resourceMetrics":{}})", "resourceMetrics: want an array, got an object"},
      {R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":5}]}]}]})",
       "resourceMetrics[0].scopeMetrics[0].metrics[0].name: want a string, got the number 5"},
      {point(R"("asDouble":"abc","timeUnixNano":"1")"), where + "asDouble: want a double"},
      {point(R"("asDouble":1e400)"), "number out of range"},
      {point(R"("asDouble":1,"timeUnixNano":"18446744073709551616")"),
       where + "timeUnixNano: want an unsigned 64-bit integer (a decimal string or a number), got "
               "\"18446744073709551616\""},
      {point(R"("asDouble":1,"timeUnixNano":18446744073709551616)"),
       where + "timeUnixNano: want an unsigned 64-bit"},
      {point(R"("asDouble":1,"timeUnixNano":-1)"), where + "timeUnixNano: want an unsigned 64-bit"},
      {point(R"("asDouble":1,"timeUnixNano":1.5)"), where + "timeUnixNano: want an unsigned 64-bit"},
      {point(R"("asDouble":1,"timeUnixNano":1.7e18)"), where + "timeUnixNano: want an unsigned 64-bit"},
      {point(R"("asDouble":1,"timeUnixNano":" 1")"), where + "timeUnixNano: want an unsigned 64-bit"},
      {point(R"("asInt":"9223372036854775808")"), where + "asInt: want a signed 64-bit integer"},
      {point(R"("asInt":1,"flags":4294967296)"), where + "flags: want an unsigned 32-bit integer"},
      {point(R"("asInt":1,"asDouble":1)"),
       where.substr(0, where.size() - 1) + ": want only one of asDouble, asInt"},
      {point(R"("asDouble":"\u0000\n")"), where +
                                              "asDouble: want a double (a number, \"NaN\", \"Infinity\" or "
                                              "\"-Infinity\"), got \"\\x00\\n\""},
      {point(R"("asDouble":")" + std::string(1000, '7') + "x\""), "got \"7777777777"},
      {point(R"("attributes":[{"key":"k","value":{"bytesValue":"!!"}}])"),
       where + "attributes[0].value.bytesValue: want base64 bytes"},
      {point(R"("attributes":[{"key":"k","value":{"stringValue":"a","intValue":1}}])"),
       "want only one of stringValue"},
      {point(R"("attributes":[{"key":"k","value":)" + deep + "}]"),
       "JSON nesting exceeds the limit of 100 levels"},
      {R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{},"sum":{}}]}]}]})",
       "metrics[0]: want only one of gauge, sum"},
      {R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","sum":{"isMonotonic":"true"}}]}]}]})",
       "sum.isMonotonic: want true or false, got \"true\""},
      {R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","sum":{"aggregationTemporality":"CUMULATIVE"}}]}]}]})",
       "sum.aggregationTemporality: want an aggregation temporality"},
      // Missing fields: refused by the mapping, which both encodings share.
      {R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"asInt":1,"timeUnixNano":"1"}]}}]}]}]})",
       "metric 1 of the request has no name"},
      {point(R"("asDouble":1)"), "metric \"x\": a data point without a time (timeUnixNano)"},
      {point(R"("timeUnixNano":"1")"), "metric \"x\": a data point without a value (asDouble or asInt)"},
      {R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","sum":{"dataPoints":[{"asInt":1,"timeUnixNano":"1"}]}}]}]}]})",
       "metric \"x\": sums without a cumulative aggregation temporality (0) are not accepted"},
  };
  for (const Case& c : kCases) {
    Imported got = Import(c.body);
    EXPECT_EQ(got.result.first_error.code(), Status::Code::kInvalidArgument) << c.body;
    EXPECT_NE(got.result.first_error.message().find(c.want), std::string::npos)
        << c.body.substr(0, 300) << "\n  got: " << got.result.first_error.message() << "\n want: " << c.want;
    EXPECT_LT(got.result.first_error.message().size(), 400u) << "messages quote a bounded part of the input";
    EXPECT_EQ(got.samples, "") << c.body.substr(0, 300);
  }
}

}  // namespace
}  // namespace sremon::ingest
