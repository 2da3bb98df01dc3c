// libFuzzer target for OTLP/HTTP protobuf bodies: any bytes are a parse error or series that
// all carry a metric name, never a crash (bucket counts that disagree with the bounds, huge
// counts, unknown fields, deep attribute values...). ImportOtlp reads the body in place; the
// generated parser of otlp.proto is the oracle: what it refuses is refused with nothing written,
// and what ImportOtlp accepts maps exactly as protobuf's own re-encoding of it does (repeated
// singular fields merged, the last oneof member winning, unknown fields skipped).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/otlp.h"
#include "ingest/otlp.pb.h"
#include "ingest/otlp_fuzz_recorder.h"
#include "storage/storage.h"

using sremon::ingest::fuzz::Recorder;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Recorder got;
  auto r = sremon::ingest::ImportOtlp(in, {}, {}, &got);
  sremon::otlp::ExportMetricsServiceRequest req;
  bool parsed = req.ParseFromArray(data, static_cast<int>(size));
  if (r.first_error.message().starts_with("cannot parse")) {
    if (!got.samples.empty()) std::abort();  // refused whole
    return 0;  // (groups and very deep values are refused here though protobuf takes them)
  }
  if (!parsed) std::abort();  // accepted what protobuf refuses
  Recorder canonical;
  auto c = sremon::ingest::ImportOtlp(req.SerializeAsString(), {}, {}, &canonical);
  if (got.samples != canonical.samples || r.first_error.message() != c.first_error.message()) std::abort();
  return 0;
}
