// The on-disk form of one series in one block (docs/format/tsdb.md, "Series data"):
// byte-aligned zig-zag varints of timestamp delta-of-deltas and, when every value is a decimal
// with few digits, of the scaled integer values (delta or delta-of-delta); else XOR values. Byte
// alignment lets the block's zstd pass squeeze the regular parts (VictoriaMetrics does the same
// trick). Round-trips every float64 bit pattern, including NaNs (the staleness marker) and -0.
// Thread-safety: functions of their arguments; iterators read bytes that must outlive them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "storage/storage.h"

namespace sremon::tsdb {

// Where the timestamps section of an earlier series of the same block lies: `len` bytes at
// `offset` of the decompressed frame `frame`. Series scraped together share their timestamps,
// so a block stores each distinct timestamp sequence once.
struct TsRef {
  uint32_t frame, offset, len;
};

// Sorted samples, unique timestamps -> bytes appended to *out.
void EncodeSeriesData(const std::vector<model::Sample>& samples, std::string* out);
// The timestamps section alone (what a TsRef points at).
void EncodeTimestamps(const std::vector<model::Sample>& samples, std::string* ts);
// With `ts` = EncodeTimestamps(samples): stores a reference instead when ref is given.
// Returns the offset within *out where the inline timestamps start (0 with a reference).
size_t EncodeSeriesData(const std::vector<model::Sample>& samples, std::string_view ts, const TsRef* ref,
                        std::string* out);
// True when data refers to shared timestamps (then *ref says where they are).
bool SeriesDataTsRef(std::string_view data, TsRef* ref);
// Iterates data produced by EncodeSeriesData; `data` (and `shared_ts`, the referenced timestamps
// when SeriesDataTsRef) must outlive the iterator. Malformed data ends the iteration early and
// sets *corrupt (if given).
std::unique_ptr<storage::SampleIterator> NewSeriesDataIterator(std::string_view data, bool* corrupt = nullptr,
                                                               std::string_view shared_ts = {});
// Decodes everything (tests, compaction).
bool DecodeSeriesData(std::string_view data, std::vector<model::Sample>* out, std::string_view shared_ts = {});

}  // namespace sremon::tsdb
