// libFuzzer target for OTLP/HTTP protobuf bodies: any bytes are a parse error or series that
// all carry a metric name, never a crash (bucket counts that disagree with the bounds, huge
// counts, unknown fields, deep attribute values...).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/otlp.h"

namespace {

class NullAppender : public sremon::storage::Appender {
 public:
  sremon::Status Append(const sremon::model::Labels& labels, int64_t, double) override {
    if (labels.Get("__name__").empty()) __builtin_trap();
    return sremon::Status::Ok();
  }
  sremon::Status Commit() override { return sremon::Status::Ok(); }
  void Rollback() override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  NullAppender app;
  sremon::ingest::ImportOtlp(std::string_view(reinterpret_cast<const char*>(data), size), {}, {}, &app);
  return 0;
}
