#include "ingest/decode.h"

#include <snappy.h>

#include <cmath>

#include <gtest/gtest.h>

#include "storage/recording_appendable.h"

namespace sremon::ingest {
namespace {

using storage::testing::RecordingAppendable;

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
  EXPECT_EQ(line, "{\"metric\":{\"__name__\":\"m\",\"q\":\"a\\\"b\"},\"values\":[1,0.25,1e+06],\"timestamps\":[1000,3000,4000]}\n");
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

}  // namespace
}  // namespace sremon::ingest
