// Exposition format parsers: Prometheus text 0.0.4 and OpenMetrics 1.0 (the formats of
// https://prometheus.io/docs/instrumenting/exposition_formats/ and the OpenMetrics spec).
//
// Zero-copy: names, label names and values without escapes are string_views into the input;
// values with escapes are unescaped into a scratch buffer owned by the parser. Every view stays
// valid until the next call to Next() (the input itself must outlive the parser).
// Thread-safety: a Parser is used by one thread; separate parsers are independent.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace sremon::expo {

enum class Format { kPrometheusText, kOpenMetrics };

// Content-Type → format: "application/openmetrics-text" selects OpenMetrics, anything else
// (text/plain, absent, unknown) the Prometheus text format, as Prometheus does.
Format FormatFromContentType(std::string_view content_type);

enum class MetricType { kUnknown, kCounter, kGauge, kHistogram, kGaugeHistogram, kSummary, kInfo, kStateset };
std::string_view MetricTypeName(MetricType t);

enum class Entry {
  kEnd,     // end of input, or an error: check status()
  kSeries,  // a sample line: name(), labels(), value(), timestamp
  kType,    // # TYPE family type
  kHelp,    // # HELP family text
  kUnit,    // # UNIT family unit (OpenMetrics)
};

struct LabelView {
  std::string_view name;
  std::string_view value;
};

class Parser {
 public:
  Parser(std::string_view input, Format format);

  // Advances to the next entry. Comments, blank lines (text format) and exemplars are skipped.
  // Returns kEnd at the end or at the first error (status() then says what and where).
  Entry Next();
  const Status& status() const { return status_; }

  // 1-based line number of the current entry.
  int line() const { return line_; }
  // The whole current line (for error excerpts).
  std::string_view line_text() const { return line_text_; }

  // kSeries: the metric name and the labels in input order (without __name__).
  std::string_view name() const { return name_; }
  const std::vector<LabelView>& labels() const { return labels_; }
  // The series part of the line as written (`name{labels}`): a cache key for scrapers.
  std::string_view series_text() const { return series_text_; }
  double value() const { return value_; }
  bool has_timestamp() const { return has_timestamp_; }
  int64_t timestamp_ms() const { return timestamp_ms_; }

  // kType / kHelp / kUnit: the family name and its text.
  std::string_view family() const { return family_; }
  MetricType type() const { return type_; }
  std::string_view help() const { return help_; }  // unescaped
  std::string_view unit() const { return unit_; }

 private:
  Entry Fail(std::string what);
  Entry ParseComment(std::string_view rest);
  Entry ParseSeries(std::string_view line);
  bool ParseLabels(std::string_view line, size_t* pos);
  bool ParseQuoted(std::string_view line, size_t* pos, std::string_view* out);
  bool ParseValueAndTimestamp(std::string_view rest);

  std::string_view input_;
  Format format_;
  size_t pos_ = 0;
  int line_ = 0;
  bool saw_eof_ = false;
  bool done_ = false;
  Status status_;

  std::string_view line_text_;
  std::string_view name_;
  std::vector<LabelView> labels_;
  std::string_view series_text_;
  double value_ = 0;
  bool has_timestamp_ = false;
  int64_t timestamp_ms_ = 0;
  std::string_view family_;
  MetricType type_ = MetricType::kUnknown;
  std::string_view help_;
  std::string_view unit_;

  // Unescaped strings of the current entry. A deque never moves its elements, so views into
  // earlier ones stay valid while later ones are added; reused (capacity kept) on each Next().
  std::deque<std::string> scratch_;
  size_t scratch_used_ = 0;
};

}  // namespace sremon::expo
