#include "ingest/decode.h"

#include "ingest/csv.h"
#include "ingest/remote_write.pb.h"

#include <snappy.h>

#include <cmath>

#include <gtest/gtest.h>

#include "scrape/test_appendable.h"

namespace sremon::ingest {
namespace {

using scrape::testing::RecordingAppendable;

std::string Dump(const RecordingAppendable& store) {
  std::string out;
  for (const auto& r : store.Samples()) out += r.labels.ToString() + " " + std::to_string(r.v) + " @" + std::to_string(r.t) + "\n";
  return out;
}

TEST(ImportTextTest, KeepsValidLinesAndNamesTheBadOne) {
  RecordingAppendable store;
  auto app = store.NewAppender();
  ImportResult r = ImportPrometheusText("a{x=\"1\"} 1 1000\nbad line here\n\nb 2\nc{ 3\nd 4 2000\n",
                                        model::Labels{{"env", "t"}}, 5000, Limits{}, app.get());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(r.samples, 3u);
  EXPECT_NE(r.first_error.message().find("line 2"), std::string::npos) << r.first_error.message();
  EXPECT_NE(r.first_error.message().find("bad line here"), std::string::npos);
  EXPECT_EQ(Dump(store),
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
  RecordingAppendable store;
  auto app = store.NewAppender();
  ImportResult r = ImportRemoteWrite(body, {}, Limits{}, app.get());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_TRUE(r.first_error.ok()) << r.first_error.message();
  EXPECT_EQ(Dump(store), "a{x=\"1\"} 1.500000 @1000\na{x=\"1\"} 2.500000 @2000\nb -1.000000 @3000\n");

  auto check_bad = [](std::string body, const std::string& want) {
    RecordingAppendable s;
    auto a = s.NewAppender();
    ImportResult res = ImportRemoteWrite(body, {}, Limits{}, a.get());
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
  RecordingAppendable store;
  auto app = store.NewAppender();
  ImportResult r = ImportVmJson(line + "{\"metric\":{}}\nnot json\n", {}, Limits{}, app.get());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(r.samples, 3u);
  EXPECT_NE(r.first_error.message().find("line 2"), std::string::npos) << r.first_error.message();
  EXPECT_EQ(Dump(store),
            "m{q=\"a\\\"b\"} 1.000000 @1000\nm{q=\"a\\\"b\"} 0.250000 @3000\nm{q=\"a\\\"b\"} 1000000.000000 @4000\n");
}

TEST(VmJsonTest, Garbage) {
  auto check = [](const std::string& in, const std::string& want) {
    RecordingAppendable store;
    auto app = store.NewAppender();
    ImportResult r = ImportVmJson(in, {}, Limits{}, app.get());
    EXPECT_NE(r.first_error.message().find(want), std::string::npos) << in << " → " << r.first_error.message();
  };
  check("{\"metric\":{\"a\":1},\"values\":[1],\"timestamps\":[1]}", "label values must be strings");
  check("{\"metric\":{\"__name__\":\"a\"},\"values\":[1,2],\"timestamps\":[1]}", "2 values but 1 timestamps");
  check("{\"metric\":{\"__name__\":\"a\"},\"values\":[\"x\"],\"timestamps\":[1]}", "must be numbers");
  check("[1,2]", "invalid JSON");
  check("{\"metric\":{\"__name__\":\"a\"}}", "missing \"values\"");
}

TEST(CsvTest, ImportsEveryMetricColumnWithTheLabelColumns) {
  auto cols = ParseCsvImportFormat("2:metric:ask,3:metric:bid,1:label:ticker,4:label:market,5:time:unix_s");
  ASSERT_TRUE(cols.ok()) << cols.status().message();
  RecordingAppendable store;
  auto app = store.NewAppender();
  ImportResult r = ImportCsv("GOOG,1.25,4.5,NYSE,1700000000\n\"MSFT\",3,1,\"NAS,\"\"DAQ\"\"\",1700000060\r\n"
                             "BAD,x,1,NYSE,1700000000\nSHORT,1\n",
                             *cols, {}, 0, Limits{}, app.get());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(r.samples, 4u);
  EXPECT_NE(r.first_error.message().find("line 3"), std::string::npos) << r.first_error.message();
  EXPECT_EQ(Dump(store),
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
  RecordingAppendable store;
  auto app = store.NewAppender();
  std::vector<FamilyMetadata> md;
  ImportResult r = ImportRemoteWrite(body, {}, Limits{}, app.get(), &md);
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
