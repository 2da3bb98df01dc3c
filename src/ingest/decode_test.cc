#include "ingest/decode.h"

#include "ingest/csv.h"
#include "ingest/remote_write.pb.h"

#include <snappy.h>

#include <cmath>

#include <gtest/gtest.h>

#include "ingest/graphite.h"
#include "ingest/influx.h"
#include "ingest/import_testing.h"
#include "ingest/otlp.h"
#include "storage/recording_appendable.h"

namespace sremon::ingest {
namespace {

using storage::testing::RecordingAppendable;
using testing::Import;

TEST(ImportTextTest, KeepsValidLinesAndNamesTheBadOne) {
  auto [r, samples] = Import([](storage::Appender* app) {
    return ImportPrometheusText("a{x=\"1\"} 1 1000\nbad line here\n\nb 2\nc{ 3\nd 4 2000\n",
                                model::Labels{{"env", "t"}}, 5000, Limits{}, app);
  });
  EXPECT_EQ(r.samples, 3u);
  EXPECT_NE(r.first_error.message().find("line 2"), std::string::npos) << r.first_error.message();
  EXPECT_NE(r.first_error.message().find("bad line here"), std::string::npos);
  EXPECT_EQ(samples,
            "a{env=\"t\", x=\"1\"} 1.000000 @1000\n"
            "b{env=\"t\"} 2.000000 @5000\n"
            "d{env=\"t\"} 4.000000 @2000\n");
}

TEST(ImportTextTest, ExtraLabelOverridesAndLimits) {
  RecordingAppendable store;
  auto app = store.NewAppender();
  Limits limits{.max_labels_per_series = 3, .max_label_value_len = 4};
  ImportResult r = ImportPrometheusText("m{job=\"a\",b=\"longvalue\",c=\"1\",d=\"2\"} 1 1\n", model::Labels{{"job", "x"}},
                                        0, limits, app.get());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_TRUE(r.first_error.ok());
  auto s = store.Samples();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].labels.size(), 3u);
  EXPECT_EQ(s[0].labels.MetricName(), "m");
  EXPECT_EQ(s[0].labels.Get("b"), "long");
}

TEST(RemoteWriteTest, RoundTripAndGarbage) {
  std::vector<SeriesSamples> in = {
      {model::Labels{{"__name__", "a"}, {"x", "1"}}, {{1000, 1.5}, {2000, 2.5}}},
      {model::Labels{{"__name__", "b"}}, {{3000, -1}}},
  };
  std::string body = EncodeRemoteWrite(in);
  auto [r, samples] =
      Import([&](storage::Appender* app) { return ImportRemoteWrite(body, {}, Limits{}, app); });
  EXPECT_TRUE(r.first_error.ok()) << r.first_error.message();
  EXPECT_EQ(samples, "a{x=\"1\"} 1.500000 @1000\na{x=\"1\"} 2.500000 @2000\nb -1.000000 @3000\n");

  auto check_bad = [](std::string body, const std::string& want) {
    ImportResult res =
        Import([&](storage::Appender* app) { return ImportRemoteWrite(body, {}, Limits{}, app); }).result;
    EXPECT_EQ(res.samples, 0u);
    EXPECT_NE(res.first_error.message().find(want), std::string::npos) << res.first_error.message();
  };
  check_bad("not snappy at all \xff\xff\xff\xff", "cannot decompress");
  std::string junk_proto;
  std::string raw = "\x0a\xff\xff\xff\xff\x0f garbage";
  snappy::Compress(raw.data(), raw.size(), &junk_proto);
  check_bad(junk_proto, "cannot unmarshal");
}

TEST(VmJsonTest, ImportExportRoundTrip) {
  std::string line;
  AppendVmJsonLine(&line, model::Labels{{"__name__", "m"}, {"q", "a\"b"}},
                   {{1000, 1}, {2000, model::StaleNaN()}, {3000, 0.25}, {4000, 1e6}});
  EXPECT_EQ(line, "{\"metric\":{\"__name__\":\"m\",\"q\":\"a\\\"b\"},\"values\":[1,0.25,1000000],\"timestamps\":[1000,3000,4000]}\n");
  auto [r, samples] = Import([&](storage::Appender* app) {
    return ImportVmJson(line + "{\"metric\":{}}\nnot json\n", {}, Limits{}, app);
  });
  EXPECT_EQ(r.samples, 3u);
  EXPECT_NE(r.first_error.message().find("line 2"), std::string::npos) << r.first_error.message();
  EXPECT_EQ(samples,
            "m{q=\"a\\\"b\"} 1.000000 @1000\nm{q=\"a\\\"b\"} 0.250000 @3000\nm{q=\"a\\\"b\"} 1000000.000000 @4000\n");
}

TEST(VmJsonTest, Garbage) {
  auto check = [](const std::string& in, const std::string& want) {
    ImportResult r =
        Import([&](storage::Appender* app) { return ImportVmJson(in, {}, Limits{}, app); }).result;
    EXPECT_NE(r.first_error.message().find(want), std::string::npos) << in << " → " << r.first_error.message();
  };
  check("{\"metric\":{\"a\":1},\"values\":[1],\"timestamps\":[1]}", "label values must be strings");
  check("{\"metric\":{\"__name__\":\"a\"},\"values\":[1,2],\"timestamps\":[1]}", "2 values but 1 timestamps");
  check("{\"metric\":{\"__name__\":\"a\"},\"values\":[\"x\"],\"timestamps\":[1]}", "must be numbers");
  check("[1,2]", "invalid JSON");
  check("{\"metric\":{\"__name__\":\"a\"}}", "missing \"values\"");
}

// InfluxDB line protocol, mapped as VictoriaMetrics 1.79 maps it (checked against Debian's
// victoria-metrics; tests/storage/interop_test.cc compares the two on the same body).
TEST(InfluxTest, MapsFieldsTagsEscapesTypesAndTimestamps) {
  InfluxOptions o{"mydb", 1, 5000};
  auto [r, samples] = Import([&](storage::Appender* app) {
    return ImportInflux(
        "cpu,host=a\\ b,region=us usage=1.5,idle=2i,ok=true,s=\"a \\\"q\\\" b\",flag=F,u=3u 7000000000\n"
        "# a comment\n\n"
        "only,t=1 value=7\r\n"
        "weird\\,m\\ x,k\\=1=v\\,2 f\\ 1=4 1000000\n"
        "wdb,db=own v=1 1000000\n"
        "sci v=1e3,neg=-2.5E-1 1000000\n"
        ",t=x fld=5 1000000\n",
        o, model::Labels{}, Limits{}, app);
  });
  EXPECT_TRUE(r.first_error.ok()) << r.first_error.message();
  EXPECT_EQ(samples,
            "cpu_usage{db=\"mydb\", host=\"a b\", region=\"us\"} 1.500000 @7000\n"
            "cpu_idle{db=\"mydb\", host=\"a b\", region=\"us\"} 2.000000 @7000\n"
            "cpu_ok{db=\"mydb\", host=\"a b\", region=\"us\"} 1.000000 @7000\n"
            "cpu_flag{db=\"mydb\", host=\"a b\", region=\"us\"} 0.000000 @7000\n"
            "cpu_u{db=\"mydb\", host=\"a b\", region=\"us\"} 3.000000 @7000\n"
            "only_value{db=\"mydb\", t=\"1\"} 7.000000 @5000\n"
            "weird,m x_f 1{db=\"mydb\", k=1=\"v,2\"} 4.000000 @1\n"
            "wdb_v{db=\"own\"} 1.000000 @1\n"
            "sci_v{db=\"mydb\"} 1000.000000 @1\n"
            "sci_neg{db=\"mydb\"} -0.250000 @1\n"
            "fld{db=\"mydb\", t=\"x\"} 5.000000 @1\n");
}

TEST(InfluxTest, PrecisionAndBadLines) {
  InfluxOptions o{"", *influx::PrecisionNanos("s"), 0};
  auto [r, samples] = Import([&](storage::Appender* app) {
    return ImportInflux("m v=1 1700000000\nm v= 1\nm v=abc 1\nm\nm,t v=1\nm v=\"open\nm v=2 9223372036854775807\nm v=3 1700000001\n",
                        o, model::Labels{}, Limits{}, app);
  });
  EXPECT_EQ(r.samples, 2u);
  EXPECT_NE(r.first_error.message().find("line 2"), std::string::npos) << r.first_error.message();
  EXPECT_NE(r.first_error.message().find("missing field value for \"v\""), std::string::npos) << r.first_error.message();
  EXPECT_EQ(samples, "m_v 1.000000 @1700000000000\nm_v 3.000000 @1700000001000\n");
  auto check = [](std::string_view line, std::string_view want) {
    influx::Point p;
    Status st = influx::ParseLine(line, &p);
    ASSERT_FALSE(st.ok()) << line;
    EXPECT_NE(st.message().find(want), std::string::npos) << line << ": " << st.message();
  };
  check("m v=abc", "cannot parse value \"abc\" of field \"v\"");
  check("m", "missing field set");
  check("m,t v=1", "missing '=' after tag key \"t\"");
  check("m v=\"open", "unterminated string value of field \"v\"");
  check("m v=1 12x", "cannot parse timestamp \"12x\"");
  check("m v=nan", "cannot parse value \"nan\"");
  check("m v=-1u", "cannot parse value \"-1u\"");
  EXPECT_FALSE(influx::PrecisionNanos("d").ok());
}

// Graphite plaintext, as VictoriaMetrics' -graphiteListenAddr stores it (tests/storage's
// graphite_client_test sends it with collectd's write_graphite plugin).
TEST(GraphiteTest, DottedAndTaggedNamesSecondsAndBadLines) {
  auto [r, samples] = Import([](storage::Appender* app) {
    return ImportGraphite(
        "servers.web1.cpu.load 1.5 1700000000\r\n"
        "  cpu.load;host=web1;dc=eu 2 1700000000.25\n"
        "no.timestamp 3\n"
        "neg.timestamp 4 -1\n"
        "\n"
        "bad\n"
        "x 1 2 3\n"
        "x abc 1\n"
        "x;broken 1 1\n"
        "x 1 1e300\n",
        5000, Limits{}, app);
  });
  EXPECT_EQ(r.samples, 4u);
  EXPECT_NE(r.first_error.message().find("Graphite line 6"), std::string::npos) << r.first_error.message();
  EXPECT_EQ(samples,
            "servers.web1.cpu.load 1.500000 @1700000000000\n"
            "cpu.load{dc=\"eu\", host=\"web1\"} 2.000000 @1700000000250\n"
            "no.timestamp 3.000000 @5000\n"
            "neg.timestamp 4.000000 @5000\n");
}

// OTLP metric and label names as Prometheus's OTLP translator writes them (the JS SDK test in
// tests/otlp sends real requests).
TEST(OtlpTest, NamesAsPrometheusTranslatesThem) {
  auto check = [](std::string_view name, std::string_view unit, bool counter, bool gauge, std::string_view want) {
    EXPECT_EQ(OtlpMetricName(name, unit, counter, gauge), want) << name << " [" << unit << "]";
  };
  check("http.server.duration", "s", false, false, "http_server_duration_seconds");
  check("http.server.requests", "{request}", true, false, "http_server_requests_total");
  check("process.runtime.memory", "By", false, true, "process_runtime_memory_bytes");
  check("queue.depth", "1", false, true, "queue_depth_ratio");
  check("errors", "1", true, false, "errors_total");
  check("net.io", "By/s", false, true, "net_io_bytes_per_second");
  check("rate", "/m", false, true, "rate_per_minute");
  check("already_seconds", "s", false, false, "already_seconds");
  check("requests_total", "", true, false, "requests_total");
  check("9lives", "", false, true, "_9lives");
  check("weird--name!!x", "ms", false, true, "weird_name_x_milliseconds");
  EXPECT_EQ(OtlpLabelName("service.version"), "service_version");
  EXPECT_EQ(OtlpLabelName("2xx"), "key_2xx");
  EXPECT_EQ(OtlpLabelName("a/b c"), "a_b_c");
}

TEST(CsvTest, ImportsEveryMetricColumnWithTheLabelColumns) {
  auto cols = ParseCsvImportFormat("2:metric:ask,3:metric:bid,1:label:ticker,4:label:market,5:time:unix_s");
  ASSERT_TRUE(cols.ok()) << cols.status().message();
  auto [r, samples] = Import([&](storage::Appender* app) {
    return ImportCsv(
        "GOOG,1.25,4.5,NYSE,1700000000\n\"MSFT\",3,1,\"NAS,\"\"DAQ\"\"\",1700000060\r\n"
        "BAD,x,1,NYSE,1700000000\nSHORT,1\n",
        *cols, {}, 0, Limits{}, app);
  });
  EXPECT_EQ(r.samples, 4u);
  EXPECT_NE(r.first_error.message().find("line 3"), std::string::npos) << r.first_error.message();
  EXPECT_EQ(samples,
            "ask{market=\"NYSE\", ticker=\"GOOG\"} 1.250000 @1700000000000\n"
            "bid{market=\"NYSE\", ticker=\"GOOG\"} 4.500000 @1700000000000\n"
            "ask{market=\"NAS,\\\"DAQ\\\"\", ticker=\"MSFT\"} 3.000000 @1700000060000\n"
            "bid{market=\"NAS,\\\"DAQ\\\"\", ticker=\"MSFT\"} 1.000000 @1700000060000\n");
  std::string out;
  auto ex = ParseCsvExportFormat("__name__,__value__,__timestamp__:unix_s,market,__timestamp__:rfc3339,__timestamp__,none");
  ASSERT_TRUE(ex.ok());
  AppendCsvLines(&out, *ex, model::Labels{{"__name__", "ask"}, {"market", "NAS,\"DAQ\""}}, {{1700000060123, 3}});
  EXPECT_EQ(out, "ask,3,1700000060,\"NAS,\\\"DAQ\\\"\",2023-11-14T22:14:20Z,1700000060123,\n");
  for (const char* bad : {"", "1:metric", "0:metric:a", "1:label:a", "1:metric:a,2:time:custom:2006", "1:weird:a"}) {
    EXPECT_FALSE(ParseCsvImportFormat(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseCsvExportFormat("__timestamp__:custom:2006").ok());
}

TEST(RemoteWriteTest, MetadataIsReturned) {
  prompb::WriteRequest req;
  auto* m = req.add_metadata();
  m->set_type(1);
  m->set_metric_family_name("http_requests_total");
  m->set_help("Requests.");
  m = req.add_metadata();
  m->set_type(42);
  m->set_metric_family_name("odd");
  std::string raw = req.SerializeAsString(), body;
  snappy::Compress(raw.data(), raw.size(), &body);
  std::vector<FamilyMetadata> md;
  ImportResult r =
      Import([&](storage::Appender* app) { return ImportRemoteWrite(body, {}, Limits{}, app, &md); }).result;
  EXPECT_TRUE(r.first_error.ok());
  ASSERT_EQ(md.size(), 2u);
  EXPECT_EQ(md[0].family, "http_requests_total");
  EXPECT_EQ(md[0].metadata.type, "counter");
  EXPECT_EQ(md[0].metadata.help, "Requests.");
  EXPECT_EQ(md[1].metadata.type, "unknown");
  MetadataStore store_md;
  store_md.Add(md);
  store_md.Add({{"http_requests_total", {"counter", "Requests served.", ""}}});
  auto snap = store_md.Snapshot();
  ASSERT_EQ(snap["http_requests_total"].size(), 1u);
  EXPECT_EQ(snap["http_requests_total"][0].help, "Requests served.");
}

}  // namespace
}  // namespace sremon::ingest
