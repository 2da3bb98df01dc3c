// libFuzzer target for the write endpoints' decoders: text import, remote_write (the input is
// used both raw as a snappy body and snappy-compressed, so the protobuf decoder is reached), and
// JSON lines, with remote_write's metadata kept. None may crash or hang whatever the bytes. The
// snappy length guard must never let through more output than its limit.
#include <snappy.h>

#include <cstdlib>

#include <cstddef>
#include <cstdint>
#include <string>

#include "ingest/decode.h"
#include "storage/null_appender.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  sremon::storage::testing::NullAppender app;
  sremon::ingest::Limits limits;
  sremon::model::Labels extra;
  sremon::ingest::ImportPrometheusText(in, extra, 0, limits, &app);
  sremon::ingest::ImportRemoteWrite(in, extra, limits, &app);
  if (auto raw = sremon::ingest::SnappyUncompress(in, 4096); raw.ok() && raw->size() > 4096) std::abort();
  std::string compressed;
  snappy::Compress(in.data(), in.size(), &compressed);
  std::vector<sremon::ingest::FamilyMetadata> metadata;
  sremon::ingest::ImportRemoteWrite(compressed, extra, limits, &app, &metadata);
  sremon::ingest::ImportVmJson(in, extra, limits, &app);
  return 0;
}
