#include "ingest/csv.h"

#include <cmath>

#include <fmt/format.h>

#include "util/strings.h"
#include "util/time.h"

namespace sremon::ingest {
namespace {

Result<CsvTime> ParseTimeFormat(std::string_view f) {
  if (f == "unix_s") return CsvTime::kUnixS;
  if (f == "unix_ms") return CsvTime::kUnixMs;
  if (f == "unix_ns") return CsvTime::kUnixNs;
  if (f == "rfc3339") return CsvTime::kRfc3339;
  if (f.starts_with("custom:")) {
    return Status::InvalidArgument(fmt::format("time format {}: Go time layouts are not supported; use unix_s, "
                                               "unix_ms, unix_ns or rfc3339", Quote(f)));
  }
  return Status::InvalidArgument(
      fmt::format("unknown time format {}; want unix_s, unix_ms, unix_ns or rfc3339", Quote(f)));
}

// Field quoting as VictoriaMetrics writes it: only when the value needs it, and then Go-quoted
// (\" inside, not the doubled quote of RFC 4180, which the importer reads).
void AppendField(std::string* out, std::string_view v) {
  bool plain = true;
  for (unsigned char c : v) plain &= c >= 0x20 && c != 0x7f && c != ',' && c != '"';
  if (plain) {
    out->append(v);
  } else {
    out->append(Quote(v));
  }
}

void AppendTime(std::string* out, int64_t ms, CsvTime f) {
  switch (f) {
    case CsvTime::kUnixS: fmt::format_to(std::back_inserter(*out), "{}", ms / 1000); return;
    case CsvTime::kUnixMs: fmt::format_to(std::back_inserter(*out), "{}", ms); return;
    case CsvTime::kUnixNs: fmt::format_to(std::back_inserter(*out), "{}", ms * 1000000); return;
    case CsvTime::kRfc3339: {
      // Whole seconds, as Go's time.RFC3339 layout prints them.
      std::string s = FormatRfc3339Ms(ms - ((ms % 1000) + 1000) % 1000);
      out->append(s.substr(0, s.size() - 5)).push_back('Z');
      return;
    }
  }
}

}  // namespace

bool SplitCsvLine(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  size_t i = 0;
  while (true) {
    cur.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return false;
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cur.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cur.push_back(line[i++]);
      }
      // Text after the closing quote, up to the comma, is kept (lenient, as VictoriaMetrics).
      while (i < line.size() && line[i] != ',') cur.push_back(line[i++]);
    } else {
      while (i < line.size() && line[i] != ',') cur.push_back(line[i++]);
    }
    fields->push_back(cur);
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

Result<std::vector<CsvImportColumn>> ParseCsvImportFormat(std::string_view format) {
  std::vector<CsvImportColumn> out;
  bool has_metric = false;
  if (format.empty()) return Status::InvalidArgument("missing `format` arg");
  for (std::string_view item : Split(format, ',')) {
    auto bad = [&](std::string_view why) {
      return Status::InvalidArgument(fmt::format("invalid format item {}: {}", Quote(item), why));
    };
    size_t c1 = item.find(':');
    if (c1 == std::string_view::npos) return bad("want N:type:context");
    size_t c2 = item.find(':', c1 + 1);
    auto n = ParseInt(item.substr(0, c1));
    if (!n.ok() || *n < 1 || *n > 100000) return bad("the column number must be 1 or more");
    std::string_view type = item.substr(c1 + 1, c2 == std::string_view::npos ? std::string_view::npos : c2 - c1 - 1);
    std::string_view ctx = c2 == std::string_view::npos ? "" : item.substr(c2 + 1);
    CsvImportColumn col;
    col.index = static_cast<size_t>(*n - 1);
    if (type == "metric" || type == "label") {
      if (ctx.empty()) return bad("missing name");
      col.kind = type == "metric" ? CsvImportColumn::kMetric : CsvImportColumn::kLabel;
      col.name = std::string(ctx);
      has_metric |= type == "metric";
    } else if (type == "time") {
      auto f = ParseTimeFormat(ctx);
      if (!f.ok()) return bad(f.status().message());
      col.kind = CsvImportColumn::kTime;
      col.time = *f;
    } else {
      return bad("type must be metric, label or time");
    }
    out.push_back(std::move(col));
  }
  if (!has_metric) return Status::InvalidArgument("format must have at least one metric column");
  return out;
}

Result<std::vector<CsvExportColumn>> ParseCsvExportFormat(std::string_view format) {
  if (format.empty()) return Status::InvalidArgument("missing `format` arg");
  std::vector<CsvExportColumn> out;
  for (std::string_view item : Split(format, ',')) {
    CsvExportColumn col;
    if (item == "__name__") {
      col.kind = CsvExportColumn::kName;
    } else if (item == "__value__") {
      col.kind = CsvExportColumn::kValue;
    } else if (item == "__timestamp__" || item.starts_with("__timestamp__:")) {
      col.kind = CsvExportColumn::kTimestamp;
      if (item.size() > 13) {
        auto f = ParseTimeFormat(item.substr(14));
        if (!f.ok()) return f.status();
        col.time = *f;
      }
    } else {
      col.kind = CsvExportColumn::kLabel;
      col.label = std::string(item);
    }
    out.push_back(std::move(col));
  }
  return out;
}

void AppendCsvLines(std::string* out, const std::vector<CsvExportColumn>& columns, const model::Labels& labels,
                    const std::vector<model::Sample>& samples) {
  for (const auto& s : samples) {
    if (model::IsStaleNaN(s.v)) continue;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i) out->push_back(',');
      const auto& c = columns[i];
      switch (c.kind) {
        case CsvExportColumn::kName: AppendField(out, labels.MetricName()); break;
        case CsvExportColumn::kValue: AppendFloatF(out, s.v); break;  // VictoriaMetrics: 'f'
        case CsvExportColumn::kTimestamp: AppendTime(out, s.t, c.time); break;
        case CsvExportColumn::kLabel: AppendField(out, labels.Get(c.label)); break;
      }
    }
    out->push_back('\n');
  }
}

}  // namespace sremon::ingest
