#include "expo/writer.h"

#include <fmt/format.h>

#include "util/strings.h"

namespace sremon::expo {

void AppendEscapedLabelValue(std::string* out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '"': out->append("\\\""); break;
      case '\n': out->append("\\n"); break;
      default: out->push_back(c);
    }
  }
}

void AppendSeriesName(std::string* out, const model::Labels& labels) {
  out->append(labels.MetricName());
  bool first = true;
  for (const auto& l : labels) {
    if (l.name == model::kMetricName) continue;
    out->push_back(first ? '{' : ',');
    first = false;
    out->append(l.name);
    out->append("=\"");
    AppendEscapedLabelValue(out, l.value);
    out->push_back('"');
  }
  if (!first) out->push_back('}');
}

void AppendSampleLine(std::string* out, const model::Labels& labels, double v, std::optional<int64_t> timestamp_ms) {
  AppendSeriesName(out, labels);
  out->push_back(' ');
  AppendFloatG(out, v);
  if (timestamp_ms) {
    out->push_back(' ');
    fmt::format_to(std::back_inserter(*out), "{}", *timestamp_ms);
  }
  out->push_back('\n');
}

void AppendHelp(std::string* out, std::string_view family, std::string_view help) {
  out->append("# HELP ");
  out->append(family);
  out->push_back(' ');
  for (char c : help) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
  out->push_back('\n');
}

void AppendType(std::string* out, std::string_view family, MetricType type) {
  std::string_view name = MetricTypeName(type);
  if (type == MetricType::kUnknown) name = "untyped";
  fmt::format_to(std::back_inserter(*out), "# TYPE {} {}\n", family, name);
}

}  // namespace sremon::expo
