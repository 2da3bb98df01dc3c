// libFuzzer target for everything the TSDB decodes from disk: series data (with and without
// shared timestamps and seek tables), and whole block files. Damaged files must give errors,
// never crashes or unbounded work.
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/block.h"
#include "tsdb/series_data.h"
#include "util/env.h"

using namespace sremon::tsdb;
using sremon::Env;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // Series data, the first bytes doubling as shared timestamps.
  std::vector<sremon::model::Sample> out;
  DecodeSeriesData(in, &out, in.substr(0, std::min<size_t>(size, 32)));
  auto it = NewSeriesDataIterator(in, nullptr, in.substr(0, std::min<size_t>(size, 32)));
  for (int64_t t = -1000; t < 1'000'000 && it->Seek(t); t = it->At().t + 7777) {
  }
  // A block file.
  static const std::string path = "/tmp/sremon-tsdb-fuzz-" + std::to_string(getpid()) + ".blk";
  auto f = Env::Default()->NewWritableFile(path, /*truncate=*/true);
  if (!f.ok() || !(*f)->Append(in).ok() || !(*f)->Close().ok()) return 0;
  auto b = Block::Open(Env::Default(), path);
  if (b.ok()) {
    for (uint32_t i = 0; i < (*b)->num_series(); i++) {
      (*b)->SeriesLabels(i);
      auto sit = (*b)->SeriesIterator(i);
      while (sit->Next()) {
      }
    }
  }
  return 0;
}
