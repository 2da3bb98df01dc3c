// VictoriaMetrics' CSV import and export (/api/v1/import/csv, /api/v1/export/csv), described by
// their `format=` parameter (docs.victoriametrics.com "How to import CSV data" / "How to export
// CSV data"):
//   import: format=N:metric:NAME,N:label:NAME,N:time:unix_s|unix_ms|unix_ns|rfc3339 (1-based
//           column N; each metric column gives one sample, labelled by the label columns)
//   export: format=__name__,__value__,__timestamp__[:unix_s|unix_ms|unix_ns|rfc3339],LABEL,...
// Fields are read as RFC 4180 (double quotes around fields with commas, quotes doubled inside);
// exported fields are quoted as VictoriaMetrics does (Go quoting), values in Go's 'f' format.
// Go `custom:` time layouts are not supported (a 400 says so).
// Thread-safety: free functions over immutable column lists.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/decode.h"

namespace sremon::ingest {

enum class CsvTime { kUnixS, kUnixMs, kUnixNs, kRfc3339 };

struct CsvImportColumn {
  enum Kind { kMetric, kLabel, kTime } kind = kMetric;
  size_t index = 0;  // 0-based column
  std::string name;  // metric or label name
  CsvTime time = CsvTime::kUnixMs;
};

struct CsvExportColumn {
  enum Kind { kName, kValue, kTimestamp, kLabel } kind = kLabel;
  std::string label;
  CsvTime time = CsvTime::kUnixMs;
};

Result<std::vector<CsvImportColumn>> ParseCsvImportFormat(std::string_view format);
Result<std::vector<CsvExportColumn>> ParseCsvExportFormat(std::string_view format);

// Lines without a time column get now_ms. Bad lines are skipped and the first is reported.
ImportResult ImportCsv(std::string_view body, const std::vector<CsvImportColumn>& columns,
                       const model::Labels& extra_labels, int64_t now_ms, const Limits& limits,
                       storage::Appender* app);

// One line per sample (stale markers left out), appended to out.
void AppendCsvLines(std::string* out, const std::vector<CsvExportColumn>& columns, const model::Labels& labels,
                    const std::vector<model::Sample>& samples);

// Splits one CSV line into unquoted fields; false on an unterminated quote.
bool SplitCsvLine(std::string_view line, std::vector<std::string>* fields);

}  // namespace sremon::ingest
