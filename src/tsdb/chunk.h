// Sample encodings (docs/format/tsdb.md, "Chunks" and "Series data"):
//  - XorChunk: Gorilla (timestamps delta-of-delta in bit buckets, values XOR) for the in-memory
//    head, appendable in place.
//  - EncodeSeriesData(): the on-disk form of one series in one block: byte-aligned zig-zag
//    varints of timestamp delta-of-deltas and, when every value is a decimal with few digits, of
//    the scaled integer values (delta or delta-of-delta); else XOR values. Byte alignment lets
//    the block's zstd pass squeeze the regular parts (VictoriaMetrics does the same trick).
// Both round-trip every float64 bit pattern, including NaNs (the staleness marker) and -0.
// Thread-safety: values; iterators read immutable bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "storage/storage.h"

namespace sremon::tsdb {

class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}
  void WriteBit(bool b) { WriteBits(b ? 1 : 0, 1); }
  void WriteBits(uint64_t v, int nbits);  // low nbits of v, most significant first
  // Bits still free in the last byte (0 = byte aligned); lets XorChunk resume appending.
  int free_bits() const { return free_; }
  void set_free_bits(int f) { free_ = f; }

 private:
  std::string* out_;
  int free_ = 0;
};

// Reads bits most significant first. Inline and word-at-a-time: it sits under every sample the
// query path decodes from a Gorilla chunk or an XOR-valued block series.
class BitReader {
 public:
  BitReader() = default;
  explicit BitReader(std::string_view s) : p_(reinterpret_cast<const uint8_t*>(s.data())), n_(s.size() * 8) {}
  bool ReadBit(bool* b) {
    if (pos_ >= n_) return false;
    *b = (p_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1;
    ++pos_;
    return true;
  }
  // The next nbits (0..64) as the low bits of *v; false (nothing consumed) past the end.
  bool ReadBits(int nbits, uint64_t* v) {
    if (nbits <= 0 || nbits > 64) {
      *v = 0;
      return nbits == 0;
    }
    if (pos_ + nbits > n_) return false;
    uint64_t r = 0;
    if (nbits > 56) {  // more than one unaligned 64-bit load holds: the top 32 bits first
      r = Take(32) << (nbits - 32);
      nbits -= 32;
    }
    *v = r | Take(nbits);
    return true;
  }

  // The bits not read yet.
  size_t left() const { return n_ - pos_; }
  // The next bits, most significant first, without consuming them: at least 57 (or all that are
  // left), zero past the end. For decoders that look at a prefix before deciding what to read.
  uint64_t Peek() const { return Load64(pos_ >> 3) << (pos_ & 7); }
  // REQUIRES: nbits <= left().
  void Skip(size_t nbits) { pos_ += nbits; }

 private:
  // REQUIRES: 1 <= nbits <= 56 and nbits bits left.
  uint64_t Take(int nbits) {
    uint64_t r = (Load64(pos_ >> 3) << (pos_ & 7)) >> (64 - nbits);
    pos_ += nbits;
    return r;
  }
  // Eight bytes from byte offset i, big-endian, zero-padded past the end.
  uint64_t Load64(size_t i) const {
    size_t nbytes = n_ >> 3;
    uint64_t w = 0;
    if (i + 8 <= nbytes) {
      std::memcpy(&w, p_ + i, 8);
      return __builtin_bswap64(w);
    }
    for (size_t k = i; k < nbytes; ++k) w |= static_cast<uint64_t>(p_[k]) << (56 - 8 * (k - i));
    return w;
  }

  const uint8_t* p_ = nullptr;
  size_t n_ = 0;    // total bits
  size_t pos_ = 0;  // bits consumed
};

// XOR state shared by the head chunks and the on-disk XOR value fallback.
struct XorState {
  uint64_t prev = 0;
  uint8_t leading = 0xff;  // 0xff = no window yet
  uint8_t trailing = 0;
};
void XorWrite(BitWriter* w, XorState* st, double v);
bool XorRead(BitReader* r, XorState* st, double* v);

// A Gorilla chunk that grows by Append(). REQUIRES: timestamps strictly increasing.
class XorChunk {
 public:
  void Append(int64_t t, double v);
  uint32_t count() const { return count_; }
  int64_t mint() const { return mint_; }
  int64_t maxt() const { return maxt_; }
  const std::string& bytes() const { return bytes_; }
  size_t MemoryBytes() const { return bytes_.capacity() + sizeof(*this); }
  // Gives back the growth slack once the chunk is full (a quarter of its bytes on average).
  void ShrinkToFit() { bytes_.shrink_to_fit(); }

 private:
  std::string bytes_;
  int free_ = 0;
  uint32_t count_ = 0;
  int64_t mint_ = 0, maxt_ = 0;
  int64_t delta_ = 0;
  XorState xor_;
};

// Iterates a chunk that is no longer appended to (shared, immutable).
std::unique_ptr<storage::SampleIterator> NewXorIterator(std::shared_ptr<const XorChunk> chunk);
// Iterates chunks that follow each other in time (each maxt < the next mint).
std::unique_ptr<storage::SampleIterator> NewChainIterator(std::vector<std::shared_ptr<const XorChunk>> chunks);

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

// Iterates sorted samples held by value.
std::unique_ptr<storage::SampleIterator> NewVectorIterator(std::vector<model::Sample> samples);

// Merges iterators that are each sorted by time; on equal timestamps the iterator with the
// highest index wins (the newest write). Children positioned nowhere yet.
std::unique_ptr<storage::SampleIterator> NewMergeIterator(std::vector<std::unique_ptr<storage::SampleIterator>> its);

// Wraps an iterator to stop outside [mint, maxt].
std::unique_ptr<storage::SampleIterator> NewRangeIterator(std::unique_ptr<storage::SampleIterator> it, int64_t mint,
                                                          int64_t maxt);

// Sorts by time, keeping for each timestamp the sample that came last (stable).
void SortDedupLastWins(std::vector<model::Sample>* samples);

}  // namespace sremon::tsdb
