// libFuzzer target for VictoriaMetrics' CSV import and export: the first line of the input is
// the format= parameter (parsed both as an import and as an export format), the rest the body.
// Nothing may crash or hang whatever the bytes; an export of what was imported must not either.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ingest/csv.h"

namespace {

class KeepAppender : public sremon::storage::Appender {
 public:
  sremon::Status Append(const sremon::model::Labels& l, int64_t t, double v) override {
    if (kept.size() < 64) kept.push_back({l, {{t, v}}});
    return sremon::Status::Ok();
  }
  sremon::Status Commit() override { return sremon::Status::Ok(); }
  void Rollback() override {}
  std::vector<std::pair<sremon::model::Labels, std::vector<sremon::model::Sample>>> kept;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view format = in.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? "" : in.substr(nl + 1);
  KeepAppender app;
  if (auto cols = sremon::ingest::ParseCsvImportFormat(format); cols.ok()) {
    sremon::ingest::ImportCsv(body, *cols, {}, 0, sremon::ingest::Limits{}, &app);
  }
  if (auto cols = sremon::ingest::ParseCsvExportFormat(format); cols.ok()) {
    std::string out;
    for (const auto& [labels, samples] : app.kept) sremon::ingest::AppendCsvLines(&out, *cols, labels, samples);
  }
  std::vector<std::string> fields;
  sremon::ingest::SplitCsvLine(body, &fields);
  return 0;
}
