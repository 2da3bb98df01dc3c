#include "tsdb/chunk.h"

#include <algorithm>
#include <bit>

#include "tsdb/bit_coding.h"
#include "tsdb/iterators.h"
#include "tsdb/series_data.h"

namespace sremon::tsdb {

using model::Sample;
using storage::SampleIterator;

namespace {

// Timestamp delta-of-delta buckets of the head chunks (Gorilla paper, Prometheus sizes).
void WriteDod(BasicBitWriter<ChunkBytes>* w, int64_t dod) {
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
      if (!XorRead(&r_, &xor_, &cur_.v)) return Bad();
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
  BasicBitWriter w(&bytes_, free_);
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
  free_ = w.Finish();
}

std::vector<Sample> XorChunk::Samples() const {
  std::vector<Sample> out;
  // A pointer to this chunk that does not own it (aliasing an empty owner): read here only.
  NewXorIterator(std::shared_ptr<const XorChunk>(std::shared_ptr<const XorChunk>(), this))
      ->AppendRange(storage::kMinTime, storage::kMaxTime, &out);
  return out;
}

void XorChunk::Seal() {
  XorChunk sealed = Sealed(Samples());
  if (sealed.bytes_.size() < bytes_.size()) {
    *this = std::move(sealed);
  } else {
    bytes_.shrink_to_fit();
  }
}

XorChunk XorChunk::Sealed(const std::vector<Sample>& sorted) {
  XorChunk c;
  std::string bytes;
  EncodeSeriesData(sorted, &bytes);
  c.bytes_ = ChunkBytes(bytes.data(), bytes.size());  // exactly its size
  c.free_ = kSealed;
  c.count_ = static_cast<uint32_t>(sorted.size());
  c.mint_ = sorted.front().t;
  c.maxt_ = sorted.back().t;
  return c;
}

namespace {

// A sealed chunk's series-format iterator, keeping the chunk it reads alive.
class SealedIterator final : public SampleIterator {
 public:
  explicit SealedIterator(std::shared_ptr<const XorChunk> c)
      : chunk_(std::move(c)), it_(NewSeriesDataIterator(chunk_->bytes())) {}
  bool Next() override { return it_->Next(); }
  bool Seek(int64_t t) override { return it_->Seek(t); }
  Sample At() const override { return it_->At(); }
  size_t AppendRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) override {
    if (chunk_->mint() > maxt || chunk_->maxt() < mint) return 0;
    return it_->AppendRange(mint, maxt, out);
  }

 private:
  std::shared_ptr<const XorChunk> chunk_;
  std::unique_ptr<SampleIterator> it_;
};

}  // namespace

std::unique_ptr<SampleIterator> NewXorIterator(std::shared_ptr<const XorChunk> chunk) {
  if (chunk->sealed()) return std::make_unique<SealedIterator>(std::move(chunk));
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
      n += c->sealed() ? SealedIterator(c).AppendRange(mint, maxt, out) : XorIterator(c).AppendRange(mint, maxt, out);
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

}  // namespace sremon::tsdb
