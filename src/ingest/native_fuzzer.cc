// libFuzzer target for VictoriaMetrics' native format: the import of arbitrary bytes (an error or
// blocks, never a crash, a hang or an allocation past the format's limits), and every block that
// decodes, written again by our exporter and read back: the same timestamps, and values equal to
// rounding (bit for bit is not promised: some decimals, e.g. subnormals, have no exact twin).
// Seeds: any /api/v1/export/native answer (victoria-metrics' or ours).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ingest/native.h"
#include "storage/null_appender.h"

using namespace sremon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  storage::testing::NullAppender app;
  ingest::ImportNative(in, {}, ingest::Limits{}, &app);

  ingest::native::Reader reader(in);
  if (!reader.ReadHeader().ok()) return 0;
  ingest::native::Block block;
  while (reader.Next(&block)) {
    if (!reader.status().ok()) continue;
    if (block.timestamps.size() != block.values.size()) __builtin_trap();
    std::vector<model::Sample> samples;
    for (size_t i = 0; i < block.timestamps.size(); ++i)
      samples.push_back({block.timestamps[i], block.values[i]});
    std::string again;
    ingest::native::AppendHeader(&again, reader.min_time(), reader.max_time());
    ingest::native::AppendSeries(&again, model::Labels{{"__name__", "m"}}, samples);
    ingest::native::Reader back(again);
    if (!back.ReadHeader().ok()) __builtin_trap();
    ingest::native::Block b;
    size_t i = 0;
    while (back.Next(&b)) {
      if (!back.status().ok()) __builtin_trap();  // what we write must read back
      for (size_t j = 0; j < b.timestamps.size(); ++j, ++i) {
        if (i >= samples.size() || b.timestamps[j] != samples[i].t) __builtin_trap();
        double want = samples[i].v, got = b.values[j];
        if (std::isnan(want) != std::isnan(got) || (std::isinf(want) && got != want)) __builtin_trap();
        if (std::isfinite(want) && std::fabs(want) > 1e-280 &&
            std::fabs(got - want) > 1e-14 * std::fabs(want)) {
          __builtin_trap();
        }
      }
    }
    if (!back.status().ok() || i != samples.size()) __builtin_trap();
  }
  return 0;
}
