// libFuzzer target for the Graphite plaintext protocol: any bytes are lines that are stored or
// reported, never a crash, and a timestamp never overflows (UBSan catches a wrap).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/graphite.h"

namespace {

class NullAppender : public sremon::storage::Appender {
 public:
  sremon::Status Append(const sremon::model::Labels& labels, int64_t, double) override {
    if (labels.Get("__name__").empty()) __builtin_trap();  // every stored line has a name
    return sremon::Status::Ok();
  }
  sremon::Status Commit() override { return sremon::Status::Ok(); }
  void Rollback() override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  NullAppender app;
  sremon::ingest::ImportGraphite(std::string_view(reinterpret_cast<const char*>(data), size), 0, {}, &app);
  return 0;
}
