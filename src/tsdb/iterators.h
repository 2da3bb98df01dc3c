// Generic sample iterators over other iterators or plain vectors (merge, range, vector), the
// sorted-sample helper the head uses, and the decode loop the encodings' AppendRange() share.
// Thread-safety: an iterator is used by one thread at a time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "model/labels.h"
#include "storage/storage.h"

namespace sremon::tsdb {

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

// Helpers of the decoders' AppendRange() (chunk.cc, series_data.cc).

// Room for `extra` more samples, growing geometrically: callers append chunk after chunk, and an
// exact reserve() per chunk would copy the whole buffer each time.
inline void ReserveMore(std::vector<model::Sample>* out, size_t extra) {
  if (out->size() + extra > out->capacity()) out->reserve(std::max(out->size() + extra, 2 * out->capacity()));
}

// Appends the samples `next` yields (false: no more) within [mint, maxt] to *out, stopping at the
// first one past maxt; `expect` is an upper bound of how many remain. Flattened: `next`, the
// decoder steps under it and push_back's fast path all inline into one loop.
template <typename NextFn>
[[gnu::flatten]] size_t AppendDecoded(NextFn&& next, int64_t mint, int64_t maxt, uint64_t expect,
                                      std::vector<model::Sample>* out) {
  const size_t base = out->size();
  ReserveMore(out, std::min<uint64_t>(expect, 4096));
  model::Sample s;
  while (next(&s)) {
    if (s.t < mint) continue;
    if (s.t > maxt) break;
    out->push_back(s);
  }
  return out->size() - base;
}

}  // namespace sremon::tsdb
