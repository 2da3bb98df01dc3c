#include "expo/parser.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "expo/writer.h"
#include "model/labels.h"
#include "util/strings.h"

namespace sremon::expo {
namespace {

// Renders every entry of a parse as one line each, so cases compare with one string.
std::string Dump(std::string_view in, Format f, std::string* err = nullptr) {
  Parser p(in, f);
  std::string out;
  for (Entry e = p.Next(); e != Entry::kEnd; e = p.Next()) {
    switch (e) {
      case Entry::kSeries: {
        out += std::string(p.name()) + "{";
        for (const auto& l : p.labels()) out += std::string(l.name) + "=" + std::string(l.value) + ";";
        out += "} " + FormatFloatG(p.value());
        if (p.has_timestamp()) out += " @" + std::to_string(p.timestamp_ms());
        break;
      }
      case Entry::kHelp: out += "HELP " + std::string(p.family()) + " " + std::string(p.help()); break;
      case Entry::kType: out += "TYPE " + std::string(p.family()) + " " + std::string(MetricTypeName(p.type())); break;
      case Entry::kUnit: out += "UNIT " + std::string(p.family()) + " " + std::string(p.unit()); break;
      default: break;
    }
    out += "\n";
  }
  if (err) *err = p.status().message();
  return out;
}

struct Case {
  const char* name;
  Format format;
  const char* in;
  const char* want;      // Dump output
  const char* want_err;  // substring of the error, "" for none
};

TEST(ParserTest, Cases) {
  const Case kCases[] = {
      {"simple", Format::kPrometheusText, "a 1\n", "a{} 1\n", ""},
      {"labels and ts", Format::kPrometheusText, "http_total{code=\"200\",method=\"get\"} 1027 1395066363000\n",
       "http_total{code=200;method=get;} 1027 @1395066363000\n", ""},
      {"blank lines and comments", Format::kPrometheusText, "\n# just a comment\n  \n#x\nb 2\n", "b{} 2\n", ""},
      {"help type", Format::kPrometheusText, "# HELP m The m.\\nSecond \\\\ line\n# TYPE m counter\nm 3\n",
       "HELP m The m.\nSecond \\ line\nTYPE m counter\nm{} 3\n", ""},
      {"untyped", Format::kPrometheusText, "# TYPE m untyped\n", "TYPE m unknown\n", ""},
      {"escapes", Format::kPrometheusText, "m{a=\"x\\\"y\\\\z\\nw\"} 1\n", "m{a=x\"y\\z\nw;} 1\n", ""},
      {"trailing comma and spaces", Format::kPrometheusText, "m { a = \"1\" , } \t 2  \n", "m{a=1;} 2\n", ""},
      {"junk after name", Format::kPrometheusText, "m} 1\n", "", "invalid character '}' after metric name"},
      {"trailing comma", Format::kPrometheusText, "m{a=\"1\",} 2\n", "m{a=1;} 2\n", ""},
      {"spaces in labels", Format::kPrometheusText, "m{ a = \"1\" ,b=\"2\" } 2\n", "m{a=1;b=2;} 2\n", ""},
      {"special values", Format::kPrometheusText, "a +Inf\nb -Inf\nc NaN\nd 1e3\ne -0.5\nf 0x10\n",
       "a{} +Inf\nb{} -Inf\nc{} NaN\nd{} 1000\ne{} -0.5\nf{} 16\n", ""},
      {"negative timestamp", Format::kPrometheusText, "a 1 -5\n", "a{} 1 @-5\n", ""},
      {"crlf", Format::kPrometheusText, "a 1\r\nb 2\r\n", "a{} 1\nb{} 2\n", ""},
      {"no final newline", Format::kPrometheusText, "a 1", "a{} 1\n", ""},
      {"colon names", Format::kPrometheusText, "job:rate:5m 4\n", "job:rate:5m{} 4\n", ""},
      {"empty label set", Format::kPrometheusText, "a{} 1\n", "a{} 1\n", ""},
      {"bad value", Format::kPrometheusText, "a 1\nb abc\n", "a{} 1\n", "line 2: invalid value \"abc\""},
      {"missing value", Format::kPrometheusText, "a\n", "", "line 1: missing value"},
      {"bad timestamp", Format::kPrometheusText, "a 1 1.5\n", "", "line 1: invalid timestamp"},
      {"junk after ts", Format::kPrometheusText, "a 1 2 3\n", "", "line 1: unexpected text \"3\""},
      {"unterminated labels", Format::kPrometheusText, "a{b=\"1\" 1\n", "", "line 1: expected ',' or '}'"},
      {"unterminated quote", Format::kPrometheusText, "a{b=\"1} 1\n", "", "unterminated quoted string"},
      {"unquoted value", Format::kPrometheusText, "a{b=1} 1\n", "", "expected a quoted value for label \"b\""},
      {"bad label name", Format::kPrometheusText, "a{1b=\"x\"} 1\n", "", "expected a label name"},
      {"duplicate label", Format::kPrometheusText, "a{b=\"1\",b=\"2\"} 1\n", "", "duplicate label name \"b\""},
      {"bad metric name", Format::kPrometheusText, "1a 1\n", "", "line 1: expected a metric name"},
      {"bad type", Format::kPrometheusText, "# TYPE a blah\n", "", "invalid metric type \"blah\""},
      {"type without name", Format::kPrometheusText, "# TYPE\n", "", "# TYPE needs a metric name"},
      {"om basic", Format::kOpenMetrics,
       "# TYPE a counter\n# UNIT a seconds\n# HELP a Help \\\"q\\\"\na_total 1 1.5\n# EOF\n",
       "TYPE a counter\nUNIT a seconds\nHELP a Help \"q\"\na_total{} 1 @1500\n", ""},
      {"om exemplar skipped", Format::kOpenMetrics,
       "a_bucket{le=\"1\"} 3 # {trace_id=\"x\"} 0.5 1.0\nb 2 10 # {a=\"b\"} 1\n# EOF\n",
       "a_bucket{le=1;} 3\nb{} 2 @10000\n", ""},
      {"om missing eof", Format::kOpenMetrics, "a 1\n", "a{} 1\n", "line 2: data does not end with \"# EOF\""},
      {"om content after eof", Format::kOpenMetrics, "# EOF\na 1\n", "", "line 2: unexpected content after"},
      {"om blank line", Format::kOpenMetrics, "a 1\n\n# EOF\n", "a{} 1\n", "line 2: blank line"},
      {"om types", Format::kOpenMetrics, "# TYPE a gaugehistogram\n# TYPE b stateset\n# TYPE c info\n# EOF",
       "TYPE a gaugehistogram\nTYPE b stateset\nTYPE c info\n", ""},
  };
  for (const Case& c : kCases) {
    std::string err;
    EXPECT_EQ(Dump(c.in, c.format, &err), c.want) << c.name;
    if (*c.want_err) {
      EXPECT_NE(err.find(c.want_err), std::string::npos) << c.name << ": got error \"" << err << "\"";
    } else {
      EXPECT_EQ(err, "") << c.name;
    }
  }
}

TEST(ParserTest, ZeroCopyViewsPointIntoInput) {
  std::string in = "metric{a=\"plain\"} 1\n";
  Parser p(in, Format::kPrometheusText);
  ASSERT_EQ(p.Next(), Entry::kSeries);
  EXPECT_GE(p.name().data(), in.data());
  EXPECT_LT(p.labels()[0].value.data(), in.data() + in.size());
}

TEST(ParserTest, ManyEscapedValuesStayValid) {
  // More escaped values than the scratch had: earlier views must survive later growth.
  std::string in = "m{";
  for (int i = 0; i < 40; ++i) in += "l" + std::to_string(i) + "=\"v\\\\" + std::to_string(i) + "\",";
  in += "} 1\n";
  Parser p(in, Format::kPrometheusText);
  ASSERT_EQ(p.Next(), Entry::kSeries) << p.status().ToString();
  for (int i = 0; i < 40; ++i) EXPECT_EQ(p.labels()[i].value, "v\\" + std::to_string(i));
}

TEST(ParserTest, FormatFromContentType) {
  EXPECT_EQ(FormatFromContentType("application/openmetrics-text; version=1.0.0; charset=utf-8"), Format::kOpenMetrics);
  EXPECT_EQ(FormatFromContentType("text/plain; version=0.0.4"), Format::kPrometheusText);
  EXPECT_EQ(FormatFromContentType(""), Format::kPrometheusText);
}

TEST(WriterTest, RoundTrip) {
  model::Labels labels{{"__name__", "m"}, {"a", "x\"y\\z\nw"}, {"b", "2"}};
  std::string out;
  AppendHelp(&out, "m", "help\nwith \\ stuff");
  AppendType(&out, "m", MetricType::kGauge);
  AppendSampleLine(&out, labels, 1.5, 1000);
  AppendSampleLine(&out, labels, -INFINITY);
  EXPECT_EQ(out,
            "# HELP m help\\nwith \\\\ stuff\n# TYPE m gauge\n"
            "m{a=\"x\\\"y\\\\z\\nw\",b=\"2\"} 1.5 1000\nm{a=\"x\\\"y\\\\z\\nw\",b=\"2\"} -Inf\n");
  EXPECT_EQ(Dump(out, Format::kPrometheusText),
            "HELP m help\nwith \\ stuff\nTYPE m gauge\nm{a=x\"y\\z\nw;b=2;} 1.5 @1000\nm{a=x\"y\\z\nw;b=2;} -Inf\n");
}

}  // namespace
}  // namespace sremon::expo
