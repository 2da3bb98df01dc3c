#include "ingest/native.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "storage/recording_appendable.h"
#include "testutil/testutil.h"
#include "util/strings.h"

namespace sremon::ingest::native {
namespace {

using storage::testing::RecordingAppendable;

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

std::string Frame(std::string_view name, std::string_view block) {
  std::string out;
  for (std::string_view f : {name, block}) {
    uint32_t n = static_cast<uint32_t>(f.size());
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
    out.append(f);
  }
  return out;
}

std::string Header(int64_t min = 0, int64_t max = std::numeric_limits<int64_t>::max() / 2) {
  std::string out;
  AppendHeader(&out, min, max);
  return out;
}

// Every encoding VictoriaMetrics writes, chosen as it chooses them, and read back.
TEST(NativeCodecTest, EveryEncodingTypeRoundTrips) {
  auto check = [](std::vector<int64_t> a, EncodingType want) {
    std::string data;
    int64_t first = 0;
    EncodingType got = EncodeInt64s(a, &data, &first);
    EXPECT_EQ(static_cast<int>(got), static_cast<int>(want)) << "for " << a.size() << " values from " << a[0];
    std::vector<int64_t> back;
    Status st = DecodeInt64s(data, static_cast<uint8_t>(got), first, a.size(), &back);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(back, a);
  };
  check({7}, EncodingType::kConst);
  check({5, 5, 5, 5}, EncodingType::kConst);
  check({1000, 16000, 31000, 46000}, EncodingType::kDeltaConst);
  check({10, 3, 8, 1, 9}, EncodingType::kNearestDelta);       // a gauge, too short to compress
  check({1, 2, 4, 7, 11, 20}, EncodingType::kNearestDelta2);  // a counter, too short to compress
  std::vector<int64_t> gauge, counter, scrape_times;
  for (int i = 0; i < 1000; ++i) {
    gauge.push_back((i * 7919) % 1000 - 500);
    counter.push_back(i * i + (i % 3));
    scrape_times.push_back(1700000000000 + 15000 * i + (i % 5) * 3);
  }
  check(gauge, EncodingType::kZstdNearestDelta);
  check(counter, EncodingType::kZstdNearestDelta2);
  check(scrape_times, EncodingType::kZstdNearestDelta2);
  // Deltas that overflow wrap, as Go's int64 does.
  int64_t max = std::numeric_limits<int64_t>::max(), min = std::numeric_limits<int64_t>::min();
  check({max, min, max, 0, min}, EncodingType::kNearestDelta);
  check({100, max, 0, 5}, EncodingType::kNearestDelta2);  // a counter reset: d2 wraps
}

TEST(NativeCodecTest, DecodeRefusesMalformedArrays) {
  std::vector<int64_t> out;
  auto refuses = [&](std::string_view data, uint8_t type, size_t n, std::string_view want) {
    Status st = DecodeInt64s(data, type, 0, n, &out);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
  };
  refuses("x", 3, 2, "1 bytes after a constant");
  refuses("", 2, 2, "missing varint");
  refuses("\x02\x02", 2, 2, "1 bytes after the constant delta");
  refuses("\x02", 5, 1, "delta2 encoding needs at least 2 values");
  refuses("\x02", 6, 3, "delta 2 of 2");
  refuses("\x02\x02\x02", 6, 3, "1 bytes left after 2 deltas");
  refuses(std::string(11, '\xff'), 6, 2, "varint longer than 10 bytes");
  refuses("", 0, 1, "unknown encoding type 0");
  refuses("", 7, 1, "unknown encoding type 7");
  refuses("not zstd", 4, 3, "cannot decompress zstd data");
  // A frame that inflates past the 10 bytes per value that n varints can take.
  std::string big(4000, '\x02'), packed;
  std::vector<int64_t> many(4001, 0);
  for (size_t i = 1; i < many.size(); ++i) many[i] = many[i - 1] + ((i * 37) % 11) - 5;
  int64_t first = 0;
  ASSERT_EQ(EncodeInt64s(many, &packed, &first), EncodingType::kZstdNearestDelta);
  refuses(packed, 4, 100, "cannot decompress zstd data");
}

TEST(NativeCodecTest, DecimalsReadAsVictoriaMetricsReadsThem) {
  EXPECT_EQ(DecimalToFloat(15, -1), 1.5);
  EXPECT_EQ(DecimalToFloat(3, 2), 300);
  EXPECT_EQ(DecimalToFloat(std::numeric_limits<int64_t>::max(), 5), std::numeric_limits<double>::infinity());
  EXPECT_EQ(DecimalToFloat(std::numeric_limits<int64_t>::min(), 0), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(model::IsStaleNaN(DecimalToFloat(std::numeric_limits<int64_t>::max() - 1, 0)));
  EXPECT_EQ(DecimalToFloat(1, 400), std::numeric_limits<double>::infinity());
  EXPECT_EQ(DecimalToFloat(1, -400), 0);
  EXPECT_EQ(Bits(DecimalToFloat(0, 400)), Bits(0.0));  // not 0 * Inf
}

TEST(NativeCodecTest, MetricNameEscapesTheSeparatorBytes) {
  model::Labels labels{{"__name__", "m\x01x"}, {"a", std::string("v\x00w\x02", 4)}, {"b", "plain"}};
  std::string data;
  AppendMetricName(&data, labels);
  EXPECT_EQ(data, std::string("m\x00"
                              "1x\x01"
                              "a\x01v\x00"
                              "0w\x00"
                              "2\x01"
                              "b\x01plain\x01",
                              22));
  std::vector<model::Label> back;
  ASSERT_TRUE(ParseMetricName(data, &back).ok());
  EXPECT_EQ(model::Labels(back), labels);
  auto refuses = [&](std::string_view d, std::string_view want) {
    Status st = ParseMetricName(d, &back);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
  };
  refuses("m", "missing the end of a label");
  refuses("m\x01k\x01", "value of label \"k\"");
  refuses(std::string("m\x00"
                      "9\x01",
                      4),
          "invalid escape");
  refuses("m\x01\x01v\x01", "empty label name");
}

// victoria-metrics' label order: job-like names, then instance-like ones, then the rest by name.
TEST(NativeCodecTest, MetricNameInVictoriaMetricsLabelOrder) {
  std::string data;
  AppendMetricName(
      &data, {{"__name__", "m"}, {"a", "1"}, {"instance", "i"}, {"job", "j"}, {"Env", "e"}, {"pod", "p"}});
  EXPECT_EQ(data,
            "m\x01"
            "Env\x01"
            "e\x01"
            "job\x01"
            "j\x01"
            "instance\x01"
            "i\x01"
            "pod\x01"
            "p\x01"
            "a\x01"
            "1\x01");
}

// Samples through AppendSeries and back through ImportNative: every value bit for bit.
std::vector<RecordingAppendable::Rec> RoundTrip(const model::Labels& labels,
                                                const std::vector<model::Sample>& samples,
                                                size_t* blocks = nullptr) {
  std::string body = Header();
  AppendSeries(&body, labels, samples);
  if (blocks) {
    Reader r(body);
    EXPECT_TRUE(r.ReadHeader().ok());
    Block b;
    *blocks = 0;
    while (r.Next(&b)) *blocks += r.status().ok();
  }
  RecordingAppendable store;
  auto app = store.NewAppender();
  ImportResult r = ImportNative(body, {}, Limits{}, app.get());
  EXPECT_TRUE(r.first_error.ok()) << r.first_error.message();
  EXPECT_TRUE(app->Commit().ok());
  return store.Samples();
}

TEST(NativeCodecTest, SeriesRoundTripExactly) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> values = {0,
                                1.5,
                                0.1,
                                0.30000000000000004,
                                1e300,
                                1e-300,
                                123456789.123,
                                -2.5e-7,
                                inf,
                                -inf,
                                1e22,
                                1.7976931348623157e308,
                                1e-290,
                                42,
                                -1,
                                1e-5,
                                9007199254740993.0,
                                0.1 + 0.7,
                                1e23};
  std::vector<model::Sample> samples;
  for (size_t i = 0; i < values.size(); ++i) samples.push_back({1000 * static_cast<int64_t>(i), values[i]});
  samples.push_back({100000, model::StaleNaN()});
  samples.push_back({100001, std::nan("")});  // no decimal form: left out
  // Below ~1e-292 VictoriaMetrics' mantissa * 10^scale has no exact form (Go's Pow10 stops at
  // 1e308): values there are not part of this check.
  model::Labels labels{{"__name__", "m"}, {"job", "j"}};
  size_t blocks = 0;
  auto got = RoundTrip(labels, samples, &blocks);
  ASSERT_EQ(got.size(), values.size() + 1);
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(got[i].labels, labels);
    EXPECT_EQ(got[i].t, samples[i].t);
    EXPECT_EQ(Bits(got[i].v), Bits(values[i]))
        << "value " << i << ": " << values[i] << " came back as " << got[i].v;
  }
  EXPECT_TRUE(model::IsStaleNaN(got.back().v));
  // 1e300 next to 1e-300 cannot share a scale: more than one block, none lossy.
  EXPECT_GT(blocks, 1u);
}

TEST(NativeCodecTest, LongSeriesSplitIntoVictoriaMetricsSizedBlocks) {
  std::vector<model::Sample> samples;
  for (int i = 0; i < 20000; ++i)
    samples.push_back({1700000000000 + 15000LL * i, i % 7 == 0 ? 0.25 * i : i * 1.0});
  size_t blocks = 0;
  auto got = RoundTrip({{"__name__", "long"}}, samples, &blocks);
  EXPECT_EQ(blocks, 3u);  // 8192 + 8192 + 3616
  ASSERT_EQ(got.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    ASSERT_EQ(got[i].t, samples[i].t);
    ASSERT_EQ(got[i].v, samples[i].v);
  }
}

TEST(NativeImportTest, KeepsTheHeadersTimeRange) {
  std::string body = Header(2000, 4000);
  AppendSeries(&body, {{"__name__", "m"}},
               std::vector<model::Sample>{{1000, 1}, {2000, 2}, {4000, 4}, {5000, 5}});
  RecordingAppendable store;
  auto app = store.NewAppender();
  ImportResult r = ImportNative(body, model::Labels{{"env", "x"}}, Limits{}, app.get());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_TRUE(r.first_error.ok());
  auto got = store.Samples();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].t, 2000);
  EXPECT_EQ(got[1].t, 4000);
  EXPECT_EQ(got[0].labels.ToString(), "m{env=\"x\"}");
}

// The label limits of every write path (-maxLabelsPerTimeseries, -maxLabelValueLen).
TEST(NativeImportTest, AppliesTheLabelLimits) {
  std::string body = Header();
  AppendSeries(&body, {{"__name__", "m"}, {"a", "1"}, {"b", "2"}, {"c", std::string(100, 'x')}},
               std::vector<model::Sample>{{1000, 1}});
  RecordingAppendable store;
  auto app = store.NewAppender();
  Limits limits;
  limits.max_labels_per_series = 3;
  limits.max_label_value_len = 10;
  ImportResult r = ImportNative(body, {}, limits, app.get());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_TRUE(r.first_error.ok());
  ASSERT_EQ(store.Samples().size(), 1u);
  EXPECT_EQ(store.Samples()[0].labels.ToString(), "m{a=\"1\", b=\"2\"}");
  limits.max_labels_per_series = 0;
  store.Clear();
  ImportNative(body, {}, limits, app.get());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_EQ(store.Samples().size(), 1u);
  EXPECT_EQ(store.Samples()[0].labels.Get("c"), std::string(10, 'x'));
}

// Hostile bodies: a clear message naming the block and what is wrong; nothing of a malformed
// block stored; the well-formed blocks around it kept while the framing holds.
TEST(NativeImportTest, NamesWhatIsWrongAndKeepsTheGoodBlocks) {
  std::string good_name, good_block;
  AppendMetricName(&good_name, {{"__name__", "good"}});
  {
    std::string s;
    AppendSeries(&s, {{"__name__", "good"}}, std::vector<model::Sample>{{1000, 1}, {2000, 2}});
    good_block = s.substr(8 + good_name.size());
  }
  auto check = [&](std::string body, std::string_view want, size_t want_samples) {
    RecordingAppendable store;
    auto app = store.NewAppender();
    ImportResult r = ImportNative(body, {}, Limits{}, app.get());
    ASSERT_TRUE(app->Commit().ok());
    EXPECT_FALSE(r.first_error.ok()) << "accepted: " << want;
    EXPECT_NE(r.first_error.message().find(want), std::string::npos) << r.first_error.message();
    EXPECT_EQ(store.Samples().size(), want_samples) << want;
    for (const auto& s : store.Samples()) EXPECT_EQ(s.labels.MetricName(), "good");
  };
  std::string good = Frame(good_name, good_block);
  std::string bad_name;
  AppendMetricName(&bad_name, {{"__name__", "bad"}});
  check("short", "cannot read the time range: the body has 5 bytes", 0);
  check(Header() + good + std::string("\x00\x00", 2),
        "native block 2: cannot read the metric name size: 2 bytes left", 2);
  check(Header() + good + std::string("\x00\x20\x00\x00", 4), "metric name size 2097152 exceeds 1048576", 2);
  check(Header() + good + Frame(bad_name, "").substr(0, 9), "block size: 1 bytes left", 2);
  check(Header() + good + Frame(bad_name, good_block).substr(0, 20), "the block is truncated", 2);
  // Malformed content within intact frames: reported, skipped, the next block stored.
  check(Header() + Frame("bad", good_block) + good, "native block 1: cannot parse the metric name", 2);
  check(Header() + Frame(bad_name, good_block + "x") + good, "native block 1 of bad: 1 unexpected bytes", 2);
  check(Header() + Frame(bad_name, std::string("\x00\x00\x00", 3)) + good,
        "row count 0 is not within 1 to 16384", 2);
  check(Header() + Frame(bad_name, std::string("\x00\x00\x81\x80\x01", 5)) + good, "row count 16385", 2);
  check(Header() + Frame(bad_name, std::string("\x00\x00\x02\x80\x80\x04", 6)) + good,
        "scale 32768 is outside the int16 range", 2);
  check(Header() + Frame(bad_name, std::string("\x00\x00\x02\x00\x03\x09\x00\x00", 8)) + good,
        "cannot decode 2 values: unknown encoding type 9", 2);
  check(Header() + Frame(bad_name, std::string("\x00\x00\x02\x00\x03\x03\x05", 7)) + good,
        "timestamps data: declared length 5 exceeds the 0 bytes left", 2);
  check(Header() + Frame(bad_name, std::string("\x00\x00\x01\x00\x05\x03\x00\x00", 8)) + good,
        "cannot decode 1 timestamps: delta2 encoding needs at least 2 values", 2);
  // A block that decodes but cannot be stored (no metric name): counted by the appender.
  std::string nameless;
  AppendMetricName(&nameless, {{"job", "x"}});
  check(Header() + Frame(nameless, good_block) + good, "native block 1: missing metric name", 2);
}

// victoria-metrics' own export (testdata/README.md): every sample as its JSON export has it, and
// the same block bytes from our exporter for those samples.
TEST(NativeFixtureTest, ReadsVictoriaMetricsExportAndWritesTheSameBlocks) {
  std::string dir = testutil::SourceDir() + "/src/ingest/testdata/";
  std::string bin = testutil::ReadFile(dir + "vm_native.bin");
  ASSERT_GT(bin.size(), 16u);
  RecordingAppendable store;
  auto app = store.NewAppender();
  ImportResult r = ImportNative(bin, {}, Limits{}, app.get());
  ASSERT_TRUE(r.first_error.ok()) << r.first_error.message();
  ASSERT_TRUE(app->Commit().ok());
  std::map<std::string, std::vector<model::Sample>> got;
  for (const auto& s : store.Samples()) got[s.labels.ToString()].push_back({s.t, s.v});

  size_t lines = 0;
  std::string jsonl = testutil::ReadFile(dir + "vm_native.jsonl");
  for (std::string_view line : Split(jsonl, '\n')) {
    if (line.empty()) continue;
    ++lines;
    auto j = nlohmann::json::parse(line);
    std::vector<model::Label> ls;
    for (auto it = j["metric"].begin(); it != j["metric"].end(); ++it) ls.push_back({it.key(), it.value()});
    model::Labels labels(std::move(ls));
    const auto& samples = got[labels.ToString()];
    ASSERT_EQ(samples.size(), j["values"].size()) << labels.ToString();
    for (size_t i = 0; i < samples.size(); ++i) {
      EXPECT_EQ(samples[i].t, j["timestamps"][i].get<int64_t>()) << labels.ToString() << " sample " << i;
      EXPECT_EQ(samples[i].v, j["values"][i].get<double>()) << labels.ToString() << " sample " << i;
    }
    // Our export of these samples: the frame victoria-metrics wrote, byte for byte.
    std::string ours;
    AppendSeries(&ours, labels, samples);
    EXPECT_NE(bin.find(ours), std::string::npos) << labels.ToString() << ": our block is not in the fixture";
  }
  EXPECT_EQ(lines, 7u);
  EXPECT_EQ(got.size(), 7u);
}

}  // namespace
}  // namespace sremon::ingest::native
