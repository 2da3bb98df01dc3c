#include "tsdb/chunk.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "tsdb/coding.h"

namespace sremon::tsdb {

using model::Sample;
using storage::SampleIterator;

void BitWriter::WriteBits(uint64_t v, int nbits) {
  if (nbits < 64) v &= (uint64_t{1} << nbits) - 1;
  if (free_ > 0) {  // top up the partial last byte
    int take = std::min(free_, nbits);
    uint64_t bits = v >> (nbits - take);
    out_->back() = static_cast<char>(static_cast<uint8_t>(out_->back()) | (bits << (free_ - take)));
    free_ -= take;
    nbits -= take;
    if (nbits < 64) v &= (uint64_t{1} << nbits) - 1;
  }
  while (nbits >= 8) {
    nbits -= 8;
    out_->push_back(static_cast<char>(v >> nbits));
  }
  if (nbits > 0) {
    out_->push_back(static_cast<char>(v << (8 - nbits)));
    free_ = 8 - nbits;
  }
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

namespace {

// Inlined into the decode loops; XorRead() is the out-of-line entry point. The fast path decodes
// a value from one peek at the next 57+ bits (all but the widest XOR windows); the bit-by-field
// path below handles the rest and every malformed input.
[[gnu::always_inline]] inline bool XorReadInline(BitReader* r, XorState* st, double* v) {
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

}  // namespace

bool XorRead(BitReader* r, XorState* st, double* v) { return XorReadInline(r, st, v); }

namespace {

// Timestamp delta-of-delta buckets of the head chunks (Gorilla paper, Prometheus sizes).
void WriteDod(BitWriter* w, int64_t dod) {
  if (dod == 0) {
    w->WriteBit(false);
  } else if (dod >= -8191 && dod <= 8192) {
    w->WriteBits(0b10, 2);
    w->WriteBits(static_cast<uint64_t>(dod), 14);
  } else if (dod >= -65535 && dod <= 65536) {
    w->WriteBits(0b110, 3);
    w->WriteBits(static_cast<uint64_t>(dod), 17);
  } else if (dod >= -524287 && dod <= 524288) {
    w->WriteBits(0b1110, 4);
    w->WriteBits(static_cast<uint64_t>(dod), 20);
  } else {
    w->WriteBits(0b1111, 4);
    w->WriteBits(static_cast<uint64_t>(dod), 64);
  }
}

[[gnu::always_inline]] inline bool ReadDod(BitReader* r, int64_t* dod) {
  // Fast path: the prefix and the value from one peek (all but the 64-bit bucket).
  if (size_t left = r->left(); left >= 1) {
    uint64_t w = r->Peek();
    if (!(w >> 63)) {
      r->Skip(1);
      *dod = 0;
      return true;
    }
    int prefix = !((w >> 62) & 1) ? 1 : !((w >> 61) & 1) ? 2 : !((w >> 60) & 1) ? 3 : 4;
    static constexpr int kBits[] = {0, 14, 17, 20};
    if (prefix < 4 && static_cast<size_t>(prefix + 1 + kBits[prefix]) <= left) {
      int sz = kBits[prefix], used = prefix + 1;
      uint64_t u = (w << used) >> (64 - sz);
      r->Skip(used + sz);
      if (u > (uint64_t{1} << (sz - 1))) u -= uint64_t{1} << sz;
      *dod = static_cast<int64_t>(u);
      return true;
    }
  }
  int prefix = 0;
  for (; prefix < 4; prefix++) {
    bool b;
    if (!r->ReadBit(&b)) return false;
    if (!b) break;
  }
  static constexpr int kSizes[] = {0, 14, 17, 20, 64};
  int sz = kSizes[prefix];
  if (sz == 0) {
    *dod = 0;
    return true;
  }
  uint64_t u;
  if (!r->ReadBits(sz, &u)) return false;
  if (sz < 64 && u > (uint64_t{1} << (sz - 1))) u -= uint64_t{1} << sz;
  *dod = static_cast<int64_t>(u);
  return true;
}

// Room for `extra` more samples, growing geometrically: callers append chunk after chunk, and an
// exact reserve() per chunk would copy the whole buffer each time.
inline void ReserveMore(std::vector<Sample>* out, size_t extra) {
  if (out->size() + extra > out->capacity()) out->reserve(std::max(out->size() + extra, 2 * out->capacity()));
}

// Appends the samples `next` yields (false: no more) within [mint, maxt] to *out, stopping at the
// first one past maxt; `expect` is an upper bound of how many remain. Flattened: `next`, the
// decoder steps under it and push_back's fast path all inline into one loop.
template <typename NextFn>
[[gnu::flatten]] size_t AppendDecoded(NextFn&& next, int64_t mint, int64_t maxt, uint64_t expect,
                                      std::vector<Sample>* out) {
  const size_t base = out->size();
  ReserveMore(out, std::min<uint64_t>(expect, 4096));
  Sample s;
  while (next(&s)) {
    if (s.t < mint) continue;
    if (s.t > maxt) break;
    out->push_back(s);
  }
  return out->size() - base;
}

class XorIterator final : public SampleIterator {
 public:
  explicit XorIterator(std::shared_ptr<const XorChunk> c) : chunk_(std::move(c)), r_(chunk_->bytes()), count_(chunk_->count()) {}
  bool Next() override { return Step(); }
  bool Seek(int64_t t) override {
    if (read_ > 0 && cur_.t >= t) return true;
    while (Step()) {
      if (cur_.t >= t) return true;
    }
    return false;
  }
  Sample At() const override { return cur_; }
  size_t AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    if (count_ == 0 || chunk_->mint() > maxt || chunk_->maxt() < mint) return 0;
    return AppendDecoded(
        [this](Sample* s) {
          if (!Step()) return false;
          *s = cur_;
          return true;
        },
        mint, maxt, count_, out);
  }

 private:
  [[gnu::always_inline]] bool Step() {
    if (read_ >= count_ || bad_) return false;
    if (read_ == 0) {
      uint64_t t, v;
      if (!r_.ReadBits(64, &t) || !r_.ReadBits(64, &v)) return Bad();
      cur_.t = static_cast<int64_t>(t);
      xor_.prev = v;
      cur_.v = std::bit_cast<double>(v);
    } else {
      int64_t dod;
      if (!ReadDod(&r_, &dod)) return Bad();
      delta_ += dod;
      cur_.t += delta_;
      if (!XorReadInline(&r_, &xor_, &cur_.v)) return Bad();
    }
    read_++;
    return true;
  }
  bool Bad() {
    bad_ = true;
    return false;
  }
  std::shared_ptr<const XorChunk> chunk_;
  BitReader r_;
  uint32_t count_;
  uint32_t read_ = 0;
  bool bad_ = false;
  Sample cur_;
  int64_t delta_ = 0;
  XorState xor_;
};

}  // namespace

void XorChunk::Append(int64_t t, double v) {
  BitWriter w(&bytes_);
  w.set_free_bits(free_);
  if (count_ == 0) {
    // No reserve: the bytes grow by doubling as samples come (a full chunk has 200-400 bytes);
    // reserving a full chunk up front cost 256 bytes per series at a million short series.
    w.WriteBits(static_cast<uint64_t>(t), 64);
    uint64_t bits = std::bit_cast<uint64_t>(v);
    w.WriteBits(bits, 64);
    xor_.prev = bits;
    mint_ = t;
  } else {
    int64_t delta = t - maxt_;
    WriteDod(&w, delta - delta_);
    delta_ = delta;
    XorWrite(&w, &xor_, v);
  }
  maxt_ = t;
  count_++;
  free_ = w.free_bits();
}

std::unique_ptr<SampleIterator> NewXorIterator(std::shared_ptr<const XorChunk> chunk) {
  return std::make_unique<XorIterator>(std::move(chunk));
}

namespace {

class ChainIterator final : public SampleIterator {
 public:
  explicit ChainIterator(std::vector<std::shared_ptr<const XorChunk>> chunks) : chunks_(std::move(chunks)) {}
  bool Next() override {
    while (true) {
      if (cur_ && cur_->Next()) return valid_ = true;
      if (next_ >= chunks_.size()) {
        cur_.reset();
        return valid_ = false;
      }
      cur_ = NewXorIterator(chunks_[next_++]);
    }
  }
  bool Seek(int64_t t) override {
    if (valid_ && cur_->At().t >= t) return true;
    if (cur_ && chunks_[next_ - 1]->maxt() >= t) return valid_ = cur_->Seek(t);
    while (next_ < chunks_.size() && chunks_[next_]->maxt() < t) next_++;
    if (next_ >= chunks_.size()) {
      cur_.reset();
      return valid_ = false;
    }
    cur_ = NewXorIterator(chunks_[next_++]);
    return valid_ = cur_->Seek(t);
  }
  Sample At() const override { return cur_->At(); }
  // Chunks outside [mint, maxt] are skipped by their time bounds, without decoding.
  size_t AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    size_t n = 0, expect = 0;
    for (const auto& c : chunks_) {
      if (c->maxt() >= mint && c->mint() <= maxt) expect += c->count();
    }
    ReserveMore(out, expect);
    for (const auto& c : chunks_) {
      if (c->maxt() < mint) continue;
      if (c->mint() > maxt) break;
      n += XorIterator(c).AppendRange(mint, maxt, out);
    }
    next_ = chunks_.size();
    cur_.reset();
    valid_ = false;
    return n;
  }

 private:
  std::vector<std::shared_ptr<const XorChunk>> chunks_;
  size_t next_ = 0;
  std::unique_ptr<SampleIterator> cur_;
  bool valid_ = false;
};

}  // namespace

std::unique_ptr<SampleIterator> NewChainIterator(std::vector<std::shared_ptr<const XorChunk>> chunks) {
  return std::make_unique<ChainIterator>(std::move(chunks));
}

// ---- On-disk series data ----

namespace {

enum ValueEncoding : uint8_t { kValuesXor = 0, kValuesDecimalDelta = 1, kValuesDecimalDod = 2 };
constexpr uint8_t kSharedTimestamps = 0x80;  // timestamps are those of an earlier series (TsRef)
constexpr uint8_t kSeekTable = 0x40;         // a table of restart points follows the timestamps
constexpr uint64_t kSeekEvery = 512;         // samples between restart points

constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12};
constexpr int kMaxScale = 12;
constexpr double kMaxMantissa = 9.0e15;  // below 2^53: integers exact in a double

// The smallest k with v == round(v*10^k) / 10^k exactly, or -1.
int DecimalScale(double v) {
  if (!std::isfinite(v)) return -1;
  if (v == 0) return std::signbit(v) ? -1 : 0;
  for (int k = 0; k <= kMaxScale; k++) {
    double s = v * kPow10[k];
    if (std::fabs(s) >= kMaxMantissa) return -1;
    double m = std::nearbyint(s);
    if (m / kPow10[k] == v) return k;
  }
  return -1;
}

// Scaled integers for all samples at one common scale, or false (then values use XOR).
bool ToDecimals(const std::vector<Sample>& samples, int* scale, std::vector<int64_t>* out) {
  int k = 0;
  for (const auto& s : samples) {
    int sk = DecimalScale(s.v);
    if (sk < 0) return false;
    k = std::max(k, sk);
  }
  out->resize(samples.size());
  for (size_t i = 0; i < samples.size(); i++) {
    double s = samples[i].v * kPow10[k];
    if (std::fabs(s) >= kMaxMantissa) return false;
    double m = std::nearbyint(s);
    if (m / kPow10[k] != samples[i].v) return false;
    (*out)[i] = static_cast<int64_t>(m);
  }
  *scale = k;
  return true;
}

class SeriesDataIterator final : public SampleIterator {
 public:
  SeriesDataIterator(std::string_view data, bool* corrupt, std::string_view shared_ts) : corrupt_(corrupt) {
    Decoder d(data);
    uint8_t enc;
    uint64_t n, skip;
    std::string_view ts;
    if (!d.Byte(&enc) || !d.Varint(&n)) {
      Bad();
      return;
    }
    bool has_table = enc & kSeekTable;
    enc &= ~kSeekTable;
    if (enc & kSharedTimestamps) {
      enc &= ~kSharedTimestamps;
      ts = shared_ts;
      if (!d.Varint(&skip) || !d.Varint(&skip) || !d.Varint(&skip) || shared_ts.empty()) {
        Bad();
        return;
      }
    } else if (!d.LengthPrefixed(&ts)) {
      Bad();
      return;
    }
    if (enc > kValuesDecimalDod) {
      Bad();
      return;
    }
    if (has_table && (!d.LengthPrefixed(&table_) || enc == kValuesXor)) {
      Bad();
      return;
    }
    enc_ = static_cast<ValueEncoding>(enc);
    n_ = n;
    ts_all_ = ts;
    ts_ = Decoder(ts);
    std::string_view vs(d.pos(), d.remaining());
    vs_all_ = vs;
    if (enc_ == kValuesXor) {
      bits_ = BitReader(vs);
    } else {
      vals_ = Decoder(vs);
      int64_t k;
      if (!vals_.Varsint(&k) || k < 0 || k > kMaxScale) {
        Bad();
        return;
      }
      scale_ = static_cast<int>(k);
    }
  }
  bool Next() override { return Step(); }
  bool Seek(int64_t t) override {
    if (i_ > 0 && cur_.t >= t) return true;
    if (!table_.empty() && i_ < n_) JumpTowards(t);
    while (Step()) {
      if (cur_.t >= t) return true;
    }
    return false;
  }
  Sample At() const override { return cur_; }
  size_t AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    if (!Seek(mint) || cur_.t > maxt) return 0;
    if (enc_ != kValuesXor) return AppendDecimals(maxt, out);
    bool first = true;  // Seek() left the first sample in cur_
    return AppendDecoded(
        [this, &first](Sample* s) {
          if (!first && !Step()) return false;
          first = false;
          *s = cur_;
          return true;
        },
        mint, maxt, n_ - i_ + 1, out);
  }

 private:
  [[gnu::always_inline]] bool Step() {
    if (i_ >= n_) return false;
    int64_t x;
    if (!ts_.Varsint(&x)) return Bad();
    if (i_ == 0) {
      cur_.t = x;
    } else {
      tdelta_ = (i_ == 1) ? x : tdelta_ + x;
      cur_.t += tdelta_;
    }
    if (enc_ == kValuesXor) {
      if (i_ == 0) {
        uint64_t b;
        if (!bits_.ReadBits(64, &b)) return Bad();
        xor_.prev = b;
        cur_.v = std::bit_cast<double>(b);
      } else if (!XorReadInline(&bits_, &xor_, &cur_.v)) {
        return Bad();
      }
    } else {
      int64_t y;
      if (!vals_.Varsint(&y)) return Bad();
      if (i_ == 0) {
        m_ = y;
      } else if (enc_ == kValuesDecimalDelta || i_ == 1) {
        mdelta_ = y;
        m_ += y;
      } else {
        mdelta_ += y;
        m_ += mdelta_;
      }
      cur_.v = static_cast<double>(m_) / kPow10[scale_];
    }
    i_++;
    return true;
  }
  // The decimal encodings' loop: Step() with the decoder state in locals (registers), so that the
  // per-sample divisions overlap. The same arithmetic as Step(), hence the same bits.
  // REQUIRES: cur_ is the first sample to append (i_ >= 1), cur_.t <= maxt. Spends the iterator.
  [[gnu::flatten]] size_t AppendDecimals(int64_t maxt, std::vector<Sample>* out) {
    ReserveMore(out, std::min<uint64_t>(n_ - i_ + 1, 4096));
    const size_t base = out->size();
    out->push_back(cur_);
    Decoder ts = ts_, vals = vals_;
    int64_t t = cur_.t, tdelta = tdelta_, m = m_, mdelta = mdelta_;
    const double scale = kPow10[scale_];
    const bool dod = enc_ == kValuesDecimalDod;
    for (uint64_t i = i_; i < n_; i++) {
      int64_t x, y;
      if (!ts.Varsint(&x) || !vals.Varsint(&y)) {
        Bad();
        break;
      }
      tdelta = i == 1 ? x : tdelta + x;
      t += tdelta;
      if (!dod || i == 1) {
        mdelta = y;
        m += y;
      } else {
        mdelta += y;
        m += mdelta;
      }
      if (t > maxt) break;
      // x / 1.0 == x: integer series (counts, bytes) skip the division.
      out->push_back({t, scale_ == 0 ? static_cast<double>(m) : static_cast<double>(m) / scale});
    }
    n_ = 0;
    return out->size() - base;
  }
  // Restores the decoder state of the last restart point before t, if it is ahead of us.
  void JumpTowards(int64_t t) {
    Decoder d(table_);
    uint64_t best = 0;
    int64_t bt = 0, btd = 0, bm = 0, bmd = 0;
    uint64_t bts = 0, bvs = 0;
    for (uint64_t k = 1; !d.done(); k++) {
      int64_t et, etd, em, emd;
      uint64_t ets, evs;
      if (!d.Varsint(&et) || !d.Varint(&ets) || !d.Varsint(&etd) || !d.Varint(&evs) || !d.Varsint(&em) ||
          !d.Varsint(&emd)) {
        Bad();
        return;
      }
      if (et >= t) break;
      best = k * kSeekEvery;  // index of the sample the entry describes
      bt = et, btd = etd, bm = em, bmd = emd, bts = ets, bvs = evs;
    }
    if (best == 0 || best + 1 <= i_ || best >= n_ || bts > ts_all_.size() || bvs > vs_all_.size()) return;
    i_ = best + 1;
    cur_.t = bt;
    tdelta_ = btd;
    m_ = bm;
    mdelta_ = bmd;
    cur_.v = static_cast<double>(m_) / kPow10[scale_];
    ts_ = Decoder(ts_all_.substr(bts));
    vals_ = Decoder(vs_all_.substr(bvs));
  }
  bool Bad() {
    if (corrupt_) *corrupt_ = true;
    n_ = 0;
    return false;
  }
  bool* corrupt_;
  std::string_view table_, ts_all_, vs_all_;
  ValueEncoding enc_ = kValuesXor;
  uint64_t n_ = 0, i_ = 0;
  Decoder ts_, vals_;
  BitReader bits_;
  XorState xor_;
  int scale_ = 0;
  int64_t tdelta_ = 0, m_ = 0, mdelta_ = 0;
  Sample cur_;
};

}  // namespace

void EncodeTimestamps(const std::vector<Sample>& samples, std::string* ts) {
  int64_t prev_delta = 0;
  for (size_t i = 0; i < samples.size(); i++) {
    if (i == 0) {
      PutVarsint64(ts, samples[0].t);
    } else {
      int64_t d = samples[i].t - samples[i - 1].t;
      PutVarsint64(ts, i == 1 ? d : d - prev_delta);
      prev_delta = d;
    }
  }
}

void EncodeSeriesData(const std::vector<Sample>& samples, std::string* out) {
  std::string ts;
  EncodeTimestamps(samples, &ts);
  EncodeSeriesData(samples, ts, nullptr, out);
}

size_t EncodeSeriesData(const std::vector<Sample>& samples, std::string_view ts, const TsRef* ref, std::string* out) {
  std::vector<int64_t> ms;
  int scale = 0;
  bool decimal = ToDecimals(samples, &scale, &ms);
  size_t delta_len = 0, dod_len = 0;
  if (decimal) {
    for (size_t i = 1; i < ms.size(); i++) {
      int64_t d = ms[i] - ms[i - 1];
      delta_len += VarintLength(ZigZag(d));
      int64_t dd = i == 1 ? d : d - (ms[i - 1] - ms[i - 2]);
      dod_len += VarintLength(ZigZag(dd));
    }
  }
  ValueEncoding enc = !decimal ? kValuesXor : (dod_len < delta_len ? kValuesDecimalDod : kValuesDecimalDelta);
  bool table = enc != kValuesXor && samples.size() > kSeekEvery;
  out->push_back(static_cast<char>(enc | (ref ? kSharedTimestamps : 0) | (table ? kSeekTable : 0)));
  PutVarint64(out, samples.size());
  size_t ts_offset = 0;
  if (ref) {
    PutVarint64(out, ref->frame);
    PutVarint64(out, ref->offset);
    PutVarint64(out, ref->len);
  } else {
    PutVarint64(out, ts.size());
    ts_offset = out->size();
    out->append(ts);
  }
  std::string values;
  std::vector<size_t> val_end;  // byte offset after each sample's value, when building a table
  if (table) {
    // Restart points: the decoder state right after sample k*kSeekEvery (docs/format/tsdb.md).
    std::vector<size_t> ts_end;
    {
      Decoder d(ts);
      int64_t x;
      for (size_t i = 0; i < samples.size(); i++) {
        d.Varsint(&x);
        ts_end.push_back(ts.size() - d.remaining());
      }
    }
    PutVarsint64(&values, scale);
    int64_t prev_d = 0;
    for (size_t i = 0; i < ms.size(); i++) {
      if (i == 0) {
        PutVarsint64(&values, ms[0]);
      } else {
        int64_t d = ms[i] - ms[i - 1];
        PutVarsint64(&values, (enc == kValuesDecimalDelta || i == 1) ? d : d - prev_d);
        prev_d = d;
      }
      val_end.push_back(values.size());
    }
    std::string tab;
    for (size_t k = kSeekEvery; k < samples.size(); k += kSeekEvery) {
      PutVarsint64(&tab, samples[k].t);
      PutVarint64(&tab, ts_end[k]);
      PutVarsint64(&tab, samples[k].t - samples[k - 1].t);
      PutVarint64(&tab, val_end[k]);
      PutVarsint64(&tab, ms[k]);
      PutVarsint64(&tab, enc == kValuesDecimalDelta ? 0 : ms[k] - ms[k - 1]);
    }
    PutLengthPrefixed(out, tab);
    out->append(values);
    return ts_offset;
  }
  if (enc == kValuesXor) {
    BitWriter w(out);
    XorState st;
    for (size_t i = 0; i < samples.size(); i++) {
      if (i == 0) {
        st.prev = std::bit_cast<uint64_t>(samples[0].v);
        w.WriteBits(st.prev, 64);
      } else {
        XorWrite(&w, &st, samples[i].v);
      }
    }
  } else {
    PutVarsint64(out, scale);
    int64_t prev_d = 0;
    for (size_t i = 0; i < ms.size(); i++) {
      if (i == 0) {
        PutVarsint64(out, ms[0]);
        continue;
      }
      int64_t d = ms[i] - ms[i - 1];
      PutVarsint64(out, (enc == kValuesDecimalDelta || i == 1) ? d : d - prev_d);
      prev_d = d;
    }
  }
  return ts_offset;
}

bool SeriesDataTsRef(std::string_view data, TsRef* ref) {
  Decoder d(data);
  uint8_t enc;
  uint64_t n, f, o, l;
  if (!d.Byte(&enc) || !(enc & kSharedTimestamps)) return false;
  if (!d.Varint(&n) || !d.Varint(&f) || !d.Varint(&o) || !d.Varint(&l)) return false;
  if (f > UINT32_MAX || o > UINT32_MAX || l > UINT32_MAX) return false;
  *ref = TsRef{static_cast<uint32_t>(f), static_cast<uint32_t>(o), static_cast<uint32_t>(l)};
  return true;
}

std::unique_ptr<SampleIterator> NewSeriesDataIterator(std::string_view data, bool* corrupt, std::string_view shared_ts) {
  return std::make_unique<SeriesDataIterator>(data, corrupt, shared_ts);
}

bool DecodeSeriesData(std::string_view data, std::vector<Sample>* out, std::string_view shared_ts) {
  bool corrupt = false;
  SeriesDataIterator it(data, &corrupt, shared_ts);
  while (it.Next()) out->push_back(it.At());
  return !corrupt;
}

namespace {

class VectorIterator final : public SampleIterator {
 public:
  explicit VectorIterator(std::vector<Sample> s) : s_(std::move(s)) {}
  bool Next() override {
    if (i_ <= s_.size()) i_++;
    return i_ <= s_.size();
  }
  bool Seek(int64_t t) override {
    if (i_ > 0 && i_ <= s_.size() && s_[i_ - 1].t >= t) return true;
    size_t from = i_ > 0 ? std::min(i_ - 1, s_.size()) : 0;
    auto it = std::lower_bound(s_.begin() + from, s_.end(), t, [](const Sample& a, int64_t t) { return a.t < t; });
    i_ = (it - s_.begin()) + 1;
    return i_ <= s_.size();
  }
  Sample At() const override { return s_[i_ - 1]; }
  size_t AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    auto lo = std::lower_bound(s_.begin(), s_.end(), mint, [](const Sample& a, int64_t t) { return a.t < t; });
    auto hi = std::upper_bound(lo, s_.end(), maxt, [](int64_t t, const Sample& a) { return t < a.t; });
    out->insert(out->end(), lo, hi);
    i_ = s_.size() + 1;
    return static_cast<size_t>(hi - lo);
  }

 private:
  std::vector<Sample> s_;
  size_t i_ = 0;  // 1 + index of the current sample; 0 before the first Next()
};

class MergeIterator final : public SampleIterator {
 public:
  explicit MergeIterator(std::vector<std::unique_ptr<SampleIterator>> its) : its_(std::move(its)), valid_(its_.size()) {}
  bool Next() override {
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < its_.size(); i++) valid_[i] = its_[i]->Next();
    } else if (has_) {
      for (size_t i = 0; i < its_.size(); i++) {
        if (valid_[i] && its_[i]->At().t == cur_.t) valid_[i] = its_[i]->Next();
      }
    } else {
      return false;
    }
    return Pick();
  }
  bool Seek(int64_t t) override {
    if (started_ && has_ && cur_.t >= t) return true;
    if (started_ && !has_) return false;
    for (size_t i = 0; i < its_.size(); i++) {
      if (!started_ || (valid_[i] && its_[i]->At().t < t)) valid_[i] = its_[i]->Seek(t);
    }
    started_ = true;
    return Pick();
  }
  Sample At() const override { return cur_; }
  // Each child's range in one call, then a merge only where children overlap in time (blocks,
  // head and out-of-order runs normally follow each other): the later child wins a tie, as in
  // Pick().
  size_t AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    const size_t base = out->size();
    std::vector<Sample> merged;
    for (size_t i = 0; i < its_.size(); i++) {
      const size_t mid = out->size();
      if (its_[i]->AppendRange(mint, maxt, out) == 0 || mid == base || (*out)[mid].t > (*out)[mid - 1].t) continue;
      // Child i overlaps what came before: merge [base, mid) with [mid, end).
      merged.clear();
      merged.reserve(out->size() - base);
      size_t a = base, b = mid;
      while (a < mid && b < out->size()) {
        int64_t ta = (*out)[a].t, tb = (*out)[b].t;
        if (ta < tb) {
          merged.push_back((*out)[a++]);
        } else {
          if (ta == tb) a++;
          merged.push_back((*out)[b++]);
        }
      }
      merged.insert(merged.end(), out->begin() + static_cast<ptrdiff_t>(a), out->begin() + static_cast<ptrdiff_t>(mid));
      merged.insert(merged.end(), out->begin() + static_cast<ptrdiff_t>(b), out->end());
      out->resize(base);
      out->insert(out->end(), merged.begin(), merged.end());
    }
    started_ = true;
    has_ = false;
    return out->size() - base;
  }

 private:
  bool Pick() {
    has_ = false;
    for (size_t i = 0; i < its_.size(); i++) {
      if (!valid_[i]) continue;
      Sample s = its_[i]->At();
      if (!has_ || s.t <= cur_.t) {  // <=: a later iterator wins a tie
        cur_ = s;
        has_ = true;
      }
    }
    return has_;
  }
  std::vector<std::unique_ptr<SampleIterator>> its_;
  std::vector<char> valid_;
  bool started_ = false;
  bool has_ = false;
  Sample cur_;
};

class RangeIterator final : public SampleIterator {
 public:
  RangeIterator(std::unique_ptr<SampleIterator> it, int64_t mint, int64_t maxt)
      : it_(std::move(it)), mint_(mint), maxt_(maxt) {}
  bool Next() override {
    if (done_) return false;
    bool ok = started_ ? it_->Next() : it_->Seek(mint_);
    started_ = true;
    return Check(ok);
  }
  bool Seek(int64_t t) override {
    if (done_) return false;
    started_ = true;
    return Check(it_->Seek(std::max(t, mint_)));
  }
  Sample At() const override { return it_->At(); }
  size_t AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    done_ = true;
    mint = std::max(mint, mint_);
    maxt = std::min(maxt, maxt_);
    if (mint > maxt) return 0;
    return it_->AppendRange(mint, maxt, out);
  }

 private:
  bool Check(bool ok) {
    if (!ok || it_->At().t > maxt_) {
      done_ = true;
      return false;
    }
    return true;
  }
  std::unique_ptr<SampleIterator> it_;
  int64_t mint_, maxt_;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<SampleIterator> NewVectorIterator(std::vector<Sample> samples) {
  return std::make_unique<VectorIterator>(std::move(samples));
}

std::unique_ptr<SampleIterator> NewMergeIterator(std::vector<std::unique_ptr<SampleIterator>> its) {
  if (its.size() == 1) return std::move(its[0]);
  return std::make_unique<MergeIterator>(std::move(its));
}

std::unique_ptr<SampleIterator> NewRangeIterator(std::unique_ptr<SampleIterator> it, int64_t mint, int64_t maxt) {
  return std::make_unique<RangeIterator>(std::move(it), mint, maxt);
}

void SortDedupLastWins(std::vector<Sample>* samples) {
  std::stable_sort(samples->begin(), samples->end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
  size_t out = 0;
  for (size_t i = 0; i < samples->size(); i++) {
    if (out > 0 && (*samples)[out - 1].t == (*samples)[i].t) {
      (*samples)[out - 1] = (*samples)[i];
    } else {
      (*samples)[out++] = (*samples)[i];
    }
  }
  samples->resize(out);
}

}  // namespace sremon::tsdb
