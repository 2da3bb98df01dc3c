// The head's in-memory chunk (docs/format/tsdb.md, "Chunks"): XorChunk, Gorilla compression
// (timestamps delta-of-delta in bit buckets, values XOR), appendable in place, and its iterators;
// once full it may be sealed into the blocks' series format (Seal()).
// Round-trips every float64 bit pattern, including NaNs (the staleness marker) and -0.
// Thread-safety: values; iterators read immutable bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "storage/storage.h"
#include "tsdb/bit_coding.h"
#include "tsdb/chunk_pool.h"

namespace sremon::tsdb {

// A Gorilla chunk that grows by Append(). REQUIRES: timestamps strictly increasing, not sealed().
class XorChunk {
 public:
  void Append(int64_t t, double v);
  uint32_t count() const { return count_; }
  int64_t mint() const { return mint_; }
  int64_t maxt() const { return maxt_; }
  std::string_view bytes() const { return bytes_; }
  size_t MemoryBytes() const { return bytes_.capacity() + sizeof(*this); }
  // Once the chunk is full: re-encodes it in the blocks' series format (series_data.h) when that
  // is smaller, and gives back the growth slack. Exporters mostly write decimals with few digits,
  // which XOR compresses badly (6.6 bytes per sample for the two-decimal series of chunk_test)
  // and the series format as scaled integers well (2.1 for the same series). A sealed chunk
  // takes no more appends.
  void Seal();
  bool sealed() const { return free_ == kSealed; }
  // Every sample, decoded (whichever encoding the chunk holds).
  std::vector<model::Sample> Samples() const;
  // A sealed chunk of `sorted` (REQUIRES: timestamps strictly increasing, not empty), encoded in
  // the series format at once (the out-of-order runs: no XOR pass to compare with).
  static XorChunk Sealed(const std::vector<model::Sample>& sorted);

 private:
  ChunkBytes bytes_;  // pooled: chunk_pool.h says why
  static constexpr int kSealed = -1;  // in free_: bytes_ hold the series format, not XOR
  int free_ = 0;                      // bits free in the last byte of XOR bytes, or kSealed
  uint32_t count_ = 0;
  int64_t mint_ = 0, maxt_ = 0;
  int64_t delta_ = 0;
  XorState xor_;
};

// Iterates a chunk that is no longer appended to (shared, immutable).
std::unique_ptr<storage::SampleIterator> NewXorIterator(std::shared_ptr<const XorChunk> chunk);
// Iterates chunks that follow each other in time (each maxt < the next mint).
std::unique_ptr<storage::SampleIterator> NewChainIterator(std::vector<std::shared_ptr<const XorChunk>> chunks);

}  // namespace sremon::tsdb
