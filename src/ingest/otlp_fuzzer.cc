// libFuzzer target for OTLP/HTTP protobuf bodies: any bytes are a parse error or series that
// all carry a metric name, never a crash (bucket counts that disagree with the bounds, huge
// counts, unknown fields, deep attribute values...).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/otlp.h"
#include "storage/null_appender.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sremon::storage::testing::NullAppender app(/*require_name=*/true);
  sremon::ingest::ImportOtlp(std::string_view(reinterpret_cast<const char*>(data), size), {}, {}, &app);
  return 0;
}
