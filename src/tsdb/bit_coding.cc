#include "tsdb/bit_coding.h"

#include <algorithm>
#include <bit>

namespace sremon::tsdb {

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
