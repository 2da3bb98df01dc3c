// The appender both OTLP fuzzers (protobuf and JSON) record into, so that their results compare.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace sremon::ingest::fuzz {

// Keeps "labels t bits(v)" per sample; traps on a nameless series (the OTLP mapping names all).
class Recorder : public storage::Appender {
 public:
  Status Append(const model::Labels& labels, int64_t t, double v) override {
    if (labels.Get(model::kMetricName).empty()) __builtin_trap();
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    samples.push_back(labels.ToString() + " " + std::to_string(t) + " " + std::to_string(bits));
    return Status::Ok();
  }
  Status Commit() override { return Status::Ok(); }
  void Rollback() override {}
  std::vector<std::string> samples;
};

}  // namespace sremon::ingest::fuzz
