// libFuzzer target for OTLP/JSON bodies (ingest/otlp_json.h): whatever the bytes, a clear error
// with nothing written, or series that all carry a metric name; and a body that decodes becomes
// protobuf that otlp.proto's generated parser accepts and that maps exactly as that parser's own
// re-encoding of it does (so the JSON path writes what the protobuf path would).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/otlp.h"
#include "ingest/otlp.pb.h"
#include "ingest/otlp_json.h"
#include "ingest/otlp_fuzz_recorder.h"
#include "storage/storage.h"

using sremon::ingest::fuzz::Recorder;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Recorder from_json;
  auto r = sremon::ingest::ImportOtlpJson(in, {}, {}, &from_json);
  std::string wire;
  if (!sremon::ingest::OtlpJsonToProtobuf(in, &wire).ok()) {
    if (r.first_error.ok() || !from_json.samples.empty() || !wire.empty()) std::abort();
    return 0;
  }
  sremon::otlp::ExportMetricsServiceRequest req;
  if (!req.ParseFromString(wire)) std::abort();  // the transcoder wrote invalid protobuf
  Recorder from_proto;
  auto p = sremon::ingest::ImportOtlp(req.SerializeAsString(), {}, {}, &from_proto);
  if (from_json.samples != from_proto.samples || r.first_error.message() != p.first_error.message())
    std::abort();
  return 0;
}
