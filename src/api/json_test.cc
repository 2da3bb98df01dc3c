// Unit tests of the API's JSON encoding, parameter parsing and error mapping. Expected strings
// are what Prometheus 2.42 (Debian's prometheus) answers for the same values.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "api/errors.h"
#include "api/json.h"
#include "api/params.h"
#include "storage/storage.h"

namespace sremon::api {
namespace {

TEST(ApiJson, Timestamps) {
  auto check = [](int64_t ms, std::string_view want) {
    std::string out;
    AppendTimestamp(&out, ms);
    EXPECT_EQ(out, want) << ms;
  };
  check(0, "0");
  check(1500, "1.500");
  check(1050, "1.050");
  check(2000, "2");
  check(-1500, "-1.500");
  check(1435781451781, "1435781451.781");
  check(1001, "1.001");
}

TEST(ApiJson, QueryDataShapes) {
  StatsTimings no_timings;
  auto encode = [&](const promql::Value& v) {
    std::string out;
    AppendQueryData(&out, v, nullptr, no_timings);
    return out;
  };
  // Scalars and strings: float timestamp and Go 'f' values (promql.Scalar.MarshalJSON).
  EXPECT_EQ(encode(promql::Scalar{1500, 1}), R"({"resultType":"scalar","result":[1.5,"1"]})");
  EXPECT_EQ(encode(promql::Scalar{1000, 1e-7}), R"({"resultType":"scalar","result":[1,"0.0000001"]})");
  EXPECT_EQ(encode(promql::Scalar{1000, 1e21}), R"({"resultType":"scalar","result":[1,"1000000000000000000000"]})");
  EXPECT_EQ(encode(promql::Scalar{-1050, std::nan("")}), R"({"resultType":"scalar","result":[-1.05,"NaN"]})");
  EXPECT_EQ(encode(promql::Scalar{1000, -HUGE_VAL}), R"({"resultType":"scalar","result":[1,"-Inf"]})");
  EXPECT_EQ(encode(promql::String{1500, "a<b"}), R"({"resultType":"string","result":[1.5,"a\u003cb"]})");
  // Vectors: marshalPointJSON timestamps and the API float format.
  promql::Vector vec;
  vec.push_back({model::Labels{{"__name__", "up"}, {"job", "a"}}, 1500, 1e-7});
  vec.push_back({model::Labels{}, 1500, HUGE_VAL});
  EXPECT_EQ(encode(vec), R"({"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1.500,"1e-07"]},)"
                         R"({"metric":{},"value":[1.500,"+Inf"]}]})");
  EXPECT_EQ(encode(promql::Vector{}), R"({"resultType":"vector","result":[]})");
  promql::Matrix mat;
  mat.push_back({model::Labels{{"a", "b"}}, {{0, 1}, {1000, -0.0}, {2500, 1e21}}});
  EXPECT_EQ(encode(mat), R"({"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[0,"1"],[1,"-0"],[2.500,"1e+21"]]}]})");
  EXPECT_EQ(encode(promql::Matrix{}), R"({"resultType":"matrix","result":[]})");
}

TEST(ApiJson, Stats) {
  promql::QueryStats stats;
  stats.total_samples = 12;
  stats.peak_samples = 3;
  StatsTimings t;
  t.eval_total = 0.5;
  t.result_sort = 8.71e-07;
  std::string out;
  AppendQueryData(&out, promql::Scalar{0, 1}, &stats, t);
  EXPECT_EQ(out, R"({"resultType":"scalar","result":[0,"1"],"stats":{"timings":{"evalTotalTime":0.5,"resultSortTime":8.71e-07,)"
                 R"("queryPreparationTime":0,"innerEvalTime":0,"execQueueTime":0,"execTotalTime":0},)"
                 R"("samples":{"totalQueryableSamples":12,"peakSamples":3}}})");
}

TEST(ApiJson, Envelopes) {
  EXPECT_EQ(SuccessJson("[]"), R"({"status":"success","data":[]})");
  EXPECT_EQ(SuccessJson("1", {"w<1"}), R"({"status":"success","data":1,"warnings":["w\u003c1"]})");
  EXPECT_EQ(ErrorJson("bad_data", "1:3: parse error: unexpected <op:<>"),
            R"({"status":"error","errorType":"bad_data","error":"1:3: parse error: unexpected \u003cop:\u003c\u003e"})");
}

TEST(ApiParams, Time) {
  auto ok = [](std::string_view in, int64_t want) {
    auto r = ParseTime(in);
    ASSERT_TRUE(r.ok()) << in << ": " << r.status().ToString();
    EXPECT_EQ(*r, want) << in;
  };
  ok("0", 0);
  ok("1435781451.781", 1435781451781);
  ok("1.2345", 1234);  // the fraction rounded to ms, as Prometheus (1.2345 * 1000 would round up)
  ok("1.0005", 1000);
  ok("1700000000.5", 1700000000500);
  ok("-1.5", -1500);
  ok("2015-07-01T20:10:51.781Z", 1435781451781);
  ok("2015-07-01T20:10:51Z", 1435781451000);
  ok("1e30", storage::kMaxTime);
  ok("-1e30", storage::kMinTime);
  ok("+Inf", storage::kMaxTime);
  ok("-292273086-05-16T16:47:06Z", storage::kMinTime);
  ok("292277025-08-18T07:12:54.999999999Z", storage::kMaxTime);
  auto bad = [](std::string_view in, std::string_view want) {
    auto r = ParseTime(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(r.status().message(), want);
  };
  bad("abc", "cannot parse \"abc\" to a valid timestamp");
  bad("", "cannot parse \"\" to a valid timestamp");
  bad("2015-07-01", "cannot parse \"2015-07-01\" to a valid timestamp");
}

TEST(ApiParams, TimeParamDefaultAndPrefix) {
  http::Request req;
  req.params = {{"time", "x"}, {"start", ""}};
  auto def = ParseTimeParam(req, "start", 42);
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(*def, 42);
  EXPECT_EQ(*ParseTimeParam(req, "end", 7), 7);
  auto bad = ParseTimeParam(req, "time", 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "Invalid time value for 'time': cannot parse \"x\" to a valid timestamp");
}

TEST(ApiParams, Duration) {
  auto ok = [](std::string_view in, int64_t want_ns) {
    auto r = ParseDurationNs(in);
    ASSERT_TRUE(r.ok()) << in << ": " << r.status().ToString();
    EXPECT_EQ(*r, want_ns) << in;
  };
  ok("15", 15'000'000'000);
  ok("0.0001", 100'000);
  ok("1m30s", 90'000'000'000);
  ok("-1", -1'000'000'000);
  ok("0", 0);
  EXPECT_EQ(*ParseDurationNs("NaN"), std::numeric_limits<int64_t>::min());
  auto bad = [](std::string_view in, std::string_view want) {
    auto r = ParseDurationNs(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(r.status().message(), want);
  };
  bad("abc", "cannot parse \"abc\" to a valid duration");
  bad("", "cannot parse \"\" to a valid duration");
  bad("-1s", "cannot parse \"-1s\" to a valid duration");
  bad("1e30", "cannot parse \"1e30\" to a valid duration. It overflows int64");
}

TEST(ApiParams, ThousandsSeparators) {
  EXPECT_EQ(WithThousandsSeparators(11000), "11,000");
  EXPECT_EQ(WithThousandsSeparators(999), "999");
  EXPECT_EQ(WithThousandsSeparators(1234567), "1,234,567");
  EXPECT_EQ(WithThousandsSeparators(0), "0");
}

TEST(ApiErrors, Mapping) {
  auto check = [](const Status& st, bool eval, std::string_view type, int http) {
    ApiError e = FromStatus(st, eval);
    EXPECT_EQ(e.type, type) << st.ToString();
    EXPECT_EQ(HttpStatusFor(e.type), http) << st.ToString();
    EXPECT_EQ(e.message, st.message());
  };
  check(Status::InvalidArgument("x"), false, "bad_data", 400);
  check(Status::InvalidArgument("x"), true, "execution", 422);
  check(Status::Execution("x"), true, "execution", 422);
  check(Status::ResourceExhausted("x"), true, "execution", 422);
  check(Status::Timeout("x"), true, "timeout", 503);
  check(Status::Canceled("x"), true, "canceled", 503);
  check(Status::Unavailable("x"), false, "unavailable", 503);
  check(Status::NotFound("x"), false, "not_found", 404);
  check(Status::Internal("x"), true, "internal", 500);
  check(Status::IOError("x"), true, "internal", 500);
  EXPECT_EQ(InvalidParam("query", "1:1: oops").message, "invalid parameter \"query\": 1:1: oops");
  http::Response resp;
  WriteError(resp, BadData("no match[] parameter provided"));
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.content_type, "application/json");
  EXPECT_EQ(resp.body, R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
}

}  // namespace
}  // namespace sremon::api
