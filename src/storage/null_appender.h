// Test and fuzz helper (header-only): an Appender that keeps nothing, for decoders fed arbitrary
// bytes. With require_name it traps (a crash libFuzzer reports) when a decoder hands it a series
// without a metric name, for decoders that promise one (Graphite, OTLP: the name is their
// syntax); remote_write and JSON lines leave that check to the store. Thread-safety: stateless.
#pragma once

#include "storage/storage.h"

namespace sremon::storage::testing {

class NullAppender : public Appender {
 public:
  explicit NullAppender(bool require_name = false) : require_name_(require_name) {}
  Status Append(const model::Labels& labels, int64_t, double) override {
    if (require_name_ && labels.Get(model::kMetricName).empty()) __builtin_trap();
    return Status::Ok();
  }
  Status Commit() override { return Status::Ok(); }
  void Rollback() override {}

 private:
  bool require_name_;
};

}  // namespace sremon::storage::testing
