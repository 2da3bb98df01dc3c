// libFuzzer target for the Graphite plaintext protocol: any bytes are lines that are stored or
// reported, never a crash, and a timestamp never overflows (UBSan catches a wrap).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/graphite.h"
#include "storage/null_appender.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sremon::storage::testing::NullAppender app(/*require_name=*/true);
  sremon::ingest::ImportGraphite(std::string_view(reinterpret_cast<const char*>(data), size), 0, {}, &app);
  return 0;
}
