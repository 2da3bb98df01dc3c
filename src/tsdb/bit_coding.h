// Bit-level encodings shared by the head chunks (chunk.h) and the on-disk XOR values
// (series_data.h): a bit writer and reader, most significant bit first, and Gorilla's XOR value
// coding (docs/format/tsdb.md, "Chunks"). Round-trips every float64 bit pattern, including NaNs
// (the staleness marker) and -0.
// Thread-safety: values.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sremon::tsdb {

// Writes bits most significant first through a 64-bit accumulator: the string grows a whole
// word at a time, and by the last bytes at Finish() (or destruction). Byte at a time, the writes
// were the costliest step of a head append. Bytes: a std::basic_string (a head chunk's has its
// own allocator, chunk_pool.h).
template <class Bytes>
class BasicBitWriter {
 public:
  // Continues `out`, whose last byte has `free_bits` unused low bits (0: byte aligned).
  explicit BasicBitWriter(Bytes* out, int free_bits = 0) : out_(out) {
    if (free_bits > 0) {
      acc_ = uint64_t{static_cast<uint8_t>(out->back())} << 56;
      n_ = 8 - free_bits;
      out->pop_back();
    }
  }
  ~BasicBitWriter() { Finish(); }
  BasicBitWriter(const BasicBitWriter&) = delete;
  BasicBitWriter& operator=(const BasicBitWriter&) = delete;

  void WriteBit(bool b) { WriteBits(b ? 1 : 0, 1); }
  // The low nbits (0..64) of v.
  void WriteBits(uint64_t v, int nbits) {
    if (nbits == 0) return;
    if (nbits < 64) v &= (uint64_t{1} << nbits) - 1;
    int room = 64 - n_;
    if (nbits < room) {
      acc_ |= v << (room - nbits);
      n_ += nbits;
      return;
    }
    acc_ |= v >> (nbits - room);
    Append(acc_, 8);
    nbits -= room;
    acc_ = nbits ? v << (64 - nbits) : 0;  // the bits above these shift out
    n_ = nbits;
  }
  // Writes what is pending; returns the unused low bits of the last byte (what the next writer
  // of the same string passes as free_bits).
  int Finish() {
    if (n_ > 0) {
      int nbytes = (n_ + 7) / 8;
      Append(acc_, nbytes);
      free_ = nbytes * 8 - n_;
      acc_ = 0;
      n_ = 0;
    }
    return free_;
  }

 private:
  void Append(uint64_t word, int nbytes) {
    uint64_t be = __builtin_bswap64(word);
    out_->append(reinterpret_cast<const char*>(&be), static_cast<size_t>(nbytes));
  }
  Bytes* out_;
  uint64_t acc_ = 0;  // n_ pending bits, from the top
  int n_ = 0;
  int free_ = 0;
};
using BitWriter = BasicBitWriter<std::string>;

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
template <class Bytes>
void XorWrite(BasicBitWriter<Bytes>* w, XorState* st, double v) {
  uint64_t bits = std::bit_cast<uint64_t>(v);
  uint64_t x = bits ^ st->prev;
  st->prev = bits;
  if (x == 0) {
    w->WriteBit(false);
    return;
  }
  w->WriteBit(true);
  int lead = std::countl_zero(x);
  int trail = std::countr_zero(x);
  if (lead > 31) lead = 31;
  if (st->leading != 0xff && lead >= st->leading && trail >= st->trailing) {
    w->WriteBit(false);
    int sig = 64 - st->leading - st->trailing;
    w->WriteBits(x >> st->trailing, sig);
    return;
  }
  st->leading = static_cast<uint8_t>(lead);
  st->trailing = static_cast<uint8_t>(trail);
  w->WriteBit(true);
  w->WriteBits(lead, 5);
  int sig = 64 - lead - trail;
  w->WriteBits(sig == 64 ? 0 : sig, 6);
  w->WriteBits(x >> trail, sig);
}

// Inlined into the decode loops (the head chunks' and the on-disk XOR values'). The fast path decodes
// a value from one peek at the next 57+ bits (all but the widest XOR windows); the bit-by-field
// path below handles the rest and every malformed input.
[[gnu::always_inline]] inline bool XorRead(BitReader* r, XorState* st, double* v) {
  if (size_t left = r->left(); left >= 2) {
    uint64_t w = r->Peek();
    if (!(w >> 63)) {  // '0': same value
      r->Skip(1);
      *v = std::bit_cast<double>(st->prev);
      return true;
    }
    if (!((w >> 62) & 1)) {  // '10': within the previous window
      if (st->leading != 0xff) {
        int sig = 64 - st->leading - st->trailing;
        if (sig + 2 <= 57 && static_cast<size_t>(sig) + 2 <= left) {
          r->Skip(sig + 2);
          st->prev ^= ((w << 2) >> (64 - sig)) << st->trailing;
          *v = std::bit_cast<double>(st->prev);
          return true;
        }
      }
    } else {  // '11': a new window, 5 bits of leading zeros, 6 of length
      int lead = static_cast<int>((w >> 57) & 31), sig = static_cast<int>((w >> 51) & 63);
      if (sig == 0) sig = 64;
      if (lead + sig <= 64 && sig + 13 <= 57 && static_cast<size_t>(sig) + 13 <= left) {
        r->Skip(sig + 13);
        st->leading = static_cast<uint8_t>(lead);
        st->trailing = static_cast<uint8_t>(64 - lead - sig);
        st->prev ^= ((w << 13) >> (64 - sig)) << st->trailing;
        *v = std::bit_cast<double>(st->prev);
        return true;
      }
    }
  }
  bool b;
  if (!r->ReadBit(&b)) return false;
  if (b) {
    if (!r->ReadBit(&b)) return false;
    uint64_t x;
    if (!b) {
      if (st->leading == 0xff) return false;
      int sig = 64 - st->leading - st->trailing;
      if (!r->ReadBits(sig, &x)) return false;
      x <<= st->trailing;
    } else {
      uint64_t lead, sig;
      if (!r->ReadBits(5, &lead) || !r->ReadBits(6, &sig)) return false;
      if (sig == 0) sig = 64;
      if (lead + sig > 64) return false;
      st->leading = static_cast<uint8_t>(lead);
      st->trailing = static_cast<uint8_t>(64 - lead - sig);
      if (!r->ReadBits(static_cast<int>(sig), &x)) return false;
      x <<= st->trailing;
    }
    st->prev ^= x;
  }
  *v = std::bit_cast<double>(st->prev);
  return true;
}

}  // namespace sremon::tsdb
