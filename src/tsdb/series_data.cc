#include "tsdb/series_data.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "tsdb/bit_coding.h"
#include "tsdb/coding.h"
#include "tsdb/iterators.h"

namespace sremon::tsdb {

using model::Sample;
using storage::SampleIterator;

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
      } else if (!XorRead(&bits_, &xor_, &cur_.v)) {
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

}  // namespace sremon::tsdb
