#include "tsdb/head.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "tsdb/coding.h"
#include "tsdb/iterators.h"

namespace sremon::tsdb {

using model::Sample;

namespace {

inline uint64_t HashBytes(uint64_t h, std::string_view s) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = std::rotl((h ^ w) * kMul, 29);
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  return std::rotl((h ^ w ^ (static_cast<uint64_t>(s.size()) << 56)) * kMul, 29);
}

}  // namespace

uint64_t LabelsHash(const model::Labels& labels) {
  uint64_t h = 0x243F6A8885A308D3ULL;
  for (const auto& l : labels) {
    h = HashBytes(h, l.name);
    h = HashBytes(h, l.value);
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

PackedLabels::PackedLabels(const model::Labels& labels) : n_(static_cast<uint32_t>(labels.size())) {
  std::string b;
  for (const auto& l : labels) {
    PutLengthPrefixed(&b, l.name);
    PutLengthPrefixed(&b, l.value);
  }
  len_ = static_cast<uint32_t>(b.size());
  buf_ = std::make_unique_for_overwrite<char[]>(b.size());
  std::memcpy(buf_.get(), b.data(), b.size());
}

std::string_view PackedLabels::Next(const char** p) {
  // Written by the constructor above: well formed by construction.
  uint64_t n = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t c = static_cast<uint8_t>(*(*p)++);
    n |= static_cast<uint64_t>(c & 0x7f) << shift;
    if (c < 0x80) break;
  }
  std::string_view s(*p, n);
  *p += n;
  return s;
}

model::Labels PackedLabels::ToLabels() const {
  std::vector<model::Label> ls;
  ls.reserve(n_);
  ForEach([&ls](std::string_view n, std::string_view v) { ls.push_back({std::string(n), std::string(v)}); });
  return model::Labels(std::move(ls));
}

bool PackedLabels::Equals(const model::Labels& labels) const {
  if (labels.size() != n_) return false;
  auto it = labels.begin();
  bool eq = true;
  ForEach([&](std::string_view n, std::string_view v) {
    eq = eq && it->name == n && it->value == v;
    ++it;
  });
  return eq;
}

std::string_view PackedLabels::Get(std::string_view name) const {
  std::string_view out;
  ForEach([&](std::string_view n, std::string_view v) {
    if (n == name) out = v;
  });
  return out;
}

bool operator<(const PackedLabels& a, const PackedLabels& b) {
  const char *pa = a.buf_.get(), *ea = pa + a.len_, *pb = b.buf_.get(), *eb = pb + b.len_;
  while (pa < ea && pb < eb) {
    std::string_view na = PackedLabels::Next(&pa), va = PackedLabels::Next(&pa);
    std::string_view nb = PackedLabels::Next(&pb), vb = PackedLabels::Next(&pb);
    if (na != nb) return na < nb;
    if (va != vb) return va < vb;
  }
  return a.n_ < b.n_;
}

Mutex& MemSeries::SeriesLock(uint32_t id) {
  static Mutex locks[4096];
  return locks[id % 4096];
}

void SortByLabels(std::vector<MemSeries*>* series, const MemPostings& index) {
  auto by_labels = [](const MemSeries* a, const MemSeries* b) { return a->labels < b->labels; };
  // The ranks cost a walk of the whole index: worth it only for a large share of its series.
  if (series->size() < 4096 || series->size() * 8 < index.NumSeries()) {
    return std::sort(series->begin(), series->end(), by_labels);
  }
  // Each listed series' (name rank << 32 | value rank) per label, filled in label order because
  // the index visits names in order. Values are only compared under equal names, so ranks
  // within a name are enough.
  const size_t n = series->size();
  uint32_t max_id = 0;
  for (const MemSeries* s : *series) max_id = std::max(max_id, s->id);
  constexpr uint32_t kUnlisted = UINT32_MAX;
  std::vector<uint32_t> slot(size_t{max_id} + 1, kUnlisted), start(n + 1), filled(n);
  for (uint32_t i = 0; i < n; i++) {
    slot[(*series)[i]->id] = i;
    start[i + 1] = start[i] + static_cast<uint32_t>((*series)[i]->labels.size());
  }
  std::vector<uint64_t> keys(start[n]);
  index.ForEachRanked([&](uint32_t id, uint32_t name_rank, uint32_t value_rank) {
    if (id > max_id || slot[id] == kUnlisted) return;
    uint32_t i = slot[id];
    if (start[i] + filled[i] < start[i + 1]) keys[start[i] + filled[i]] = uint64_t{name_rank} << 32 | value_rank;
    filled[i]++;
  });
  for (uint32_t i = 0; i < n; i++) {
    if (filled[i] != start[i + 1] - start[i]) return std::sort(series->begin(), series->end(), by_labels);
  }
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; i++) order[i] = i;
  const uint64_t* k = keys.data();
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return std::lexicographical_compare(k + start[a], k + start[a + 1], k + start[b], k + start[b + 1]);
  });
  std::vector<MemSeries*> sorted(n);
  for (size_t i = 0; i < n; i++) sorted[i] = (*series)[order[i]];
  series->swap(sorted);
}

MemSeries* SeriesTable::Find(uint64_t h) const {
  for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
    if (!slots_[i]) return nullptr;
    if (slots_[i]->hash == h) return slots_[i];
  }
}

MemSeries*& SeriesTable::Slot(uint64_t h) {
  if ((size_ + 1) * 2 > slots_.size()) {  // keep the load factor under 1/2
    std::vector<MemSeries*> old(slots_.size() * 2);
    old.swap(slots_);
    for (MemSeries* s : old) {
      if (!s) continue;
      size_t i = s->hash & (slots_.size() - 1);
      while (slots_[i]) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = s;
    }
  }
  size_t i = h & (slots_.size() - 1);
  for (; slots_[i]; i = (i + 1) & (slots_.size() - 1)) {
    if (slots_[i]->hash == h) return slots_[i];
  }
  // A new key: the caller stores a non-null chain head (a series with hash h) right away.
  size_++;
  return slots_[i];
}

void SeriesTable::Erase(uint64_t h) {
  std::vector<MemSeries*> old(slots_.size());
  old.swap(slots_);
  size_ = 0;
  for (MemSeries* s : old) {
    if (s && s->hash != h) Slot(s->hash) = s;
  }
}

HeadData::Cold& HeadData::cold() {
  if (!cold_) {
    cold_ = std::make_unique<Cold>();
    if (open_.count() > 0) cold_->mint = open_.mint(), cold_->maxt = open_.maxt();
  }
  return *cold_;
}

bool HeadData::Add(int64_t t, double v) {
  count_++;
  // The open chunk holds the latest in-order sample (never empty once one came).
  bool in_order = open_.count() == 0 || t > open_.maxt();
  if (in_order) {
    if (open_.count() >= kChunkSamples) {
      open_.Seal();
      cold().closed.push_back(std::make_shared<const XorChunk>(std::move(open_)));
      open_ = XorChunk();
    }
    open_.Append(t, v);
  } else {
    Cold& c = cold();
    if (c.ooo.empty()) c.ooo.reserve(kOooBufferSamples);
    c.ooo.push_back({t, v});
    if (c.ooo.size() >= kOooBufferSamples) SealOutOfOrder(&c);
  }
  if (cold_) cold_->mint = std::min(cold_->mint, t), cold_->maxt = std::max(cold_->maxt, t);
  return !in_order;
}

namespace {

std::shared_ptr<const XorChunk> SealedChunk(const std::vector<Sample>& sorted) {
  return std::make_shared<const XorChunk>(XorChunk::Sealed(sorted));
}

}  // namespace

void HeadData::SealOutOfOrder(Cold* c) {
  SortDedupLastWins(&c->ooo);
  c->ooo_runs.push_back(SealedChunk(c->ooo));
  std::vector<Sample>().swap(c->ooo);
  auto& runs = c->ooo_runs;
  while (runs.size() >= 2 && runs.back()->count() * 2 >= runs[runs.size() - 2]->count()) {
    std::vector<Sample> merged = runs[runs.size() - 2]->Samples(), newer = runs.back()->Samples();
    merged.insert(merged.end(), newer.begin(), newer.end());
    SortDedupLastWins(&merged);  // stable: the newer run's sample wins a shared timestamp
    runs.pop_back();
    runs.back() = SealedChunk(merged);
  }
}

std::unique_ptr<storage::SampleIterator> HeadData::Snapshot(int64_t mint, int64_t maxt) const {
  std::vector<std::unique_ptr<storage::SampleIterator>> its;
  std::vector<std::shared_ptr<const XorChunk>> chain;
  static const Cold kNoCold;
  const Cold& c = cold_ ? *cold_ : kNoCold;
  for (const auto& ch : c.closed) {
    if (ch->mint() <= maxt && ch->maxt() >= mint) chain.push_back(ch);
  }
  if (open_.count() > 0 && open_.mint() <= maxt && open_.maxt() >= mint)
    chain.push_back(std::make_shared<XorChunk>(open_));
  if (!chain.empty()) its.push_back(NewChainIterator(std::move(chain)));
  for (const auto& run : c.ooo_runs) {
    if (run->mint() <= maxt && run->maxt() >= mint) its.push_back(NewXorIterator(run));
  }
  if (!c.ooo.empty()) {
    std::vector<Sample> buf;
    for (const auto& s : c.ooo) {
      if (s.t >= mint && s.t <= maxt) buf.push_back(s);
    }
    SortDedupLastWins(&buf);
    if (!buf.empty()) its.push_back(NewVectorIterator(std::move(buf)));
  }
  if (its.empty()) return NewVectorIterator({});
  return NewMergeIterator(std::move(its));
}

std::vector<Sample> HeadData::All() const {
  std::vector<Sample> out;
  out.reserve(count_);
  auto it = Snapshot(storage::kMinTime, storage::kMaxTime);
  while (it->Next()) out.push_back(it->At());
  return out;
}

}  // namespace sremon::tsdb
