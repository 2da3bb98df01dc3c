// libFuzzer target: both formats must never crash, and every view they return must lie inside
// the input or the parser's own scratch (ASan checks the reads).
#include <cstddef>
#include <cstdint>
#include <string>

#include "expo/parser.h"
#include "expo/writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (auto format : {sremon::expo::Format::kPrometheusText, sremon::expo::Format::kOpenMetrics}) {
    sremon::expo::Parser p(in, format);
    size_t total = 0;
    for (auto e = p.Next(); e != sremon::expo::Entry::kEnd; e = p.Next()) {
      total += p.name().size() + p.help().size() + p.family().size();
      for (const auto& l : p.labels()) total += l.name.size() + l.value.size();
    }
    (void)p.status();
    (void)total;
  }
  return 0;
}
