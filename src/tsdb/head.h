// The head: samples not yet in blocks, per series, compressed in memory (Gorilla chunks), plus
// out-of-order samples kept in sorted runs. See db.h for how it fits with the WAL and blocks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "storage/storage.h"
#include "tsdb/chunk.h"
#include "tsdb/index.h"
#include "util/thread_annotations.h"

namespace sremon::tsdb {

// A fast 64-bit hash of a label set for the in-memory series table (not stored anywhere, so it
// may change between versions; model::Labels::Hash is the stable one).
uint64_t LabelsHash(const model::Labels& labels);

struct MemSeries;

// A head series' labels packed in one allocation: lp(name) lp(value) per label, in model::Labels
// order (the encoding of a WAL series entry, docs/format/tsdb.md). About 80 bytes for a typical
// series where model::Labels takes about 340 (a std::string pair per label).
// Thread-safety: immutable after construction.
class PackedLabels {
 public:
  explicit PackedLabels(const model::Labels& labels);
  size_t size() const { return n_; }
  std::string_view bytes() const { return {buf_.get(), len_}; }
  model::Labels ToLabels() const;
  bool Equals(const model::Labels& labels) const;
  std::string_view Get(std::string_view name) const;  // "" when absent
  // Calls fn(name, value) for each label in order.
  template <class F>
  void ForEach(F fn) const {
    const char* p = buf_.get();
    const char* end = p + len_;
    while (p < end) {
      std::string_view name = Next(&p), value = Next(&p);
      fn(name, value);
    }
  }
  // model::Labels order (Prometheus labels.Compare).
  friend bool operator<(const PackedLabels& a, const PackedLabels& b);

 private:
  static std::string_view Next(const char** p);
  std::unique_ptr<char[]> buf_;
  uint32_t len_ = 0;
  uint32_t n_ = 0;
};

// labels hash -> series (a chain through MemSeries::next_same_hash for equal hashes). Open
// addressing with linear probing over series pointers alone (8 bytes a slot; the hash is read
// from the series, which the caller reads next anyway).
// Thread-safety: none (the DB index mutex guards it).
class SeriesTable {
 public:
  SeriesTable() : slots_(1024) {}
  MemSeries* Find(uint64_t h) const;
  // The chain head for h, created empty (null) when absent; valid until the next call.
  MemSeries*& Slot(uint64_t h);
  // Removes h (rare: series deletion), rebuilding the table.
  void Erase(uint64_t h);

 private:
  std::vector<MemSeries*> slots_;  // null = empty
  size_t size_ = 0;
};

// One series' samples in memory. In-order samples (t > the last in-order t) go into Gorilla
// chunks, sealed when full (XorChunk::Seal); older ones (backfill, out of order, rewrites of a
// timestamp; two concurrent imports of neighbouring time ranges make a third of their samples
// so) into a small buffer, sorted into an immutable sealed run every kOooBufferSamples. The newest
// two runs are merged while the newer holds at least half the samples of the older, so run sizes
// halve along the list: a series keeps O(log n) runs and a sample is rewritten O(log n) times.
// On equal timestamps the latest write wins: ooo runs beat the in-order chunks, later runs beat
// earlier ones, the buffer beats the runs.
// Memory: the open chunk lives inline and everything else (full chunks, out-of-order samples,
// the time range they span) in a part allocated only when a series has any: at a million
// short-lived series the head state is this object plus the open chunk's bytes (issue 14,
// docs/benchmarks.md "Cardinality").
// Thread-safety: none; the series lock guards the live one, frozen ones are immutable.
class HeadData {
 public:
  static constexpr uint32_t kChunkSamples = 240;
  static constexpr size_t kOooBufferSamples = 32;  // 512 bytes raw per series at most

  // Returns true when the sample was out of order.
  bool Add(int64_t t, double v);
  uint64_t count() const { return count_; }
  int64_t mint() const { return cold_ ? cold_->mint : open_.mint(); }
  int64_t maxt() const { return cold_ ? cold_->maxt : open_.maxt(); }
  bool Overlaps(int64_t mint, int64_t maxt) const { return count_ > 0 && this->mint() <= maxt && this->maxt() >= mint; }
  // An iterator over a copy of the samples within [mint, maxt] (shares immutable chunks).
  std::unique_ptr<storage::SampleIterator> Snapshot(int64_t mint, int64_t maxt) const;
  // Every sample, sorted, one per timestamp (the last written).
  std::vector<model::Sample> All() const;

 private:
  struct Cold {
    std::vector<std::shared_ptr<const XorChunk>> closed;
    std::vector<std::shared_ptr<const XorChunk>> ooo_runs;  // sealed, sorted, one sample per timestamp
    std::vector<model::Sample> ooo;                         // the buffer, in arrival order
    int64_t mint = storage::kMaxTime, maxt = storage::kMinTime;  // of every sample, open chunk included
  };
  Cold& cold();
  void SealOutOfOrder(Cold* c);
  XorChunk open_;               // count() == 0 until the first in-order sample
  std::unique_ptr<Cold> cold_;  // null until a chunk is full or a sample comes out of order
  uint32_t count_ = 0;          // a head holds far fewer samples per series between flushes
};

// A series known to the head. Queriers and appenders keep raw pointers: a series removed from
// the index (deleted, or collected when idle) is freed only once nothing pinned before its
// removal can still see it (the DB's epochs: db.h, "Lifetime of head series").
struct MemSeries {
  MemSeries(uint32_t id, uint64_t hash, const model::Labels& labels) : id(id), hash(hash), labels(labels) {}
  const uint32_t id;
  const uint64_t hash;
  const PackedLabels labels;
  // Guarded by the DB's index_mu_ / commit_mu_ (db.h, "Locking"; clang cannot name them here).
  MemSeries* next_same_hash = nullptr;  // index_mu_
  uint64_t logged_gen = 0;              // commit_mu_: WAL generation of its series record
  uint32_t idle_flushes = 0;            // commit_mu_: flushes that found no samples
  std::atomic<bool> deleted{false};
  HeadData data GUARDED_BY(mu());  // count() == 0 when no samples

  // The lock of this series' data, one of a fixed set shared by ids (a std::mutex per series
  // would be 40 bytes of each million series). Never hold two at a time: two series may share.
  Mutex& mu() const { return SeriesLock(id); }
  static Mutex& SeriesLock(uint32_t id);
};

// Sorts series by labels (model::Labels order). Large lists (an eighth of the index or more)
// compare the ranks of their names and values in `index` (which already holds both in order) as
// integers, instead of the packed bytes: sorting a million series by PackedLabels::operator< was half of a flush's CPU (issue
// 14). Series missing from the index (deleted meanwhile) make it fall back to the byte order.
// REQUIRES: index not modified during the call (the caller holds the DB index lock).
void SortByLabels(std::vector<MemSeries*>* series, const MemPostings& index);

}  // namespace sremon::tsdb
