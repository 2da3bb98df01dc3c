#include "tsdb/bit_coding.h"

#include <algorithm>
#include <bit>

namespace sremon::tsdb {

void BitWriter::WriteBits(uint64_t v, int nbits) {
  if (nbits < 64) v &= (uint64_t{1} << nbits) - 1;
  if (free_ > 0) {  // top up the partial last byte
    int take = std::min(free_, nbits);
    uint64_t bits = v >> (nbits - take);
    out_->back() = static_cast<char>(static_cast<uint8_t>(out_->back()) | (bits << (free_ - take)));
    free_ -= take;
    nbits -= take;
  }
  if (nbits == 0) return;
  // The rest, most significant bit first, in whole bytes appended at once (a byte-at-a-time
  // push_back loop was the head's costliest step at import).
  uint64_t be = __builtin_bswap64(v << (64 - nbits));  // the high bits beyond nbits shift out
  int nbytes = (nbits + 7) / 8;
  out_->append(reinterpret_cast<const char*>(&be), static_cast<size_t>(nbytes));
  free_ = nbytes * 8 - nbits;
}

void XorWrite(BitWriter* w, XorState* st, double v) {
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

}  // namespace sremon::tsdb
