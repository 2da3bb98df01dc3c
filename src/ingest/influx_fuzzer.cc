// libFuzzer target for the InfluxDB line protocol: the line parser on arbitrary bytes (an error
// or a point with a field, never a crash) and the whole import at every precision (timestamps
// that overflow milliseconds are refused, never wrapped: UBSan catches a wrap).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/decode.h"
#include "ingest/influx.h"
#include "storage/null_appender.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  sremon::influx::Point p;
  if (sremon::influx::ParseLine(in.substr(0, in.find('\n')), &p).ok()) {
    if (p.fields.empty()) __builtin_trap();
    for (const auto& f : p.fields) {
      if (f.key.empty()) __builtin_trap();
    }
  }
  sremon::storage::testing::NullAppender app;
  sremon::ingest::Limits limits;
  for (const char* precision : {"ns", "ms", "h"}) {
    sremon::ingest::InfluxOptions o{"db", *sremon::influx::PrecisionNanos(precision), 0};
    sremon::ingest::ImportInflux(in, o, {}, limits, &app);
  }
  return 0;
}
