// The storage seam (Prometheus storage/interface.go): what scrape, the write APIs, the PromQL
// engine and the query API depend on. The TSDB (src/tsdb) implements it; MemStorage
// (src/storage/mem_storage.h) is a small in-memory implementation for tests and promqltest.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "model/labels.h"
#include "util/status.h"

namespace sremon::storage {

inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min() / 2;
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max() / 2;

// A handle to a series that an appender hands out and takes back (Prometheus's SeriesRef, scoped
// to one appender): valid for the life of that appender, across its commits. 0 = none.
using SeriesRef = uint64_t;

// Collects samples and makes them visible together on Commit().
// Thread-safety: one appender per goroutine-equivalent (not thread-safe); many may exist at once.
class Appender {
 public:
  virtual ~Appender() = default;
  // Adds one sample. A routine rejection (limits, invalid labels) returns non-ok without
  // affecting the other samples of the batch. `labels` must include __name__.
  virtual Status Append(const model::Labels& labels, int64_t t_ms, double v) = 0;
  // Append for callers with many samples per series (imports, remote_write): pass *ref = 0 the
  // first time; on success the appender sets it, and later calls of this appender with it and
  // the same labels skip finding the series by its labels. Storages without references leave it 0.
  virtual Status AppendWithRef(SeriesRef* ref, const model::Labels& labels, int64_t t_ms, double v) {
    *ref = 0;
    return Append(labels, t_ms, v);
  }
  // Makes the batch durable (WAL) and visible. After Commit() returns ok, the samples survive a
  // crash. Unavailable when the disk is full or unwritable.
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
};

class Appendable {
 public:
  virtual ~Appendable() = default;
  virtual std::unique_ptr<Appender> NewAppender() = 0;
};

// Iterates the samples of one series in increasing time order.
// Thread-safety: one thread at a time, but not necessarily the one that created it (the engine
// decodes the series of a large selector on several threads, while their Querier lives).
class SampleIterator {
 public:
  virtual ~SampleIterator() = default;
  // Advances to the next sample; false at the end.
  virtual bool Next() = 0;
  // Advances to the first sample with t >= t_ms (never moves backwards); false if none.
  virtual bool Seek(int64_t t_ms) = 0;
  // REQUIRES: the last Next()/Seek() returned true.
  virtual model::Sample At() const = 0;
  // The batch read of the query path: appends to *out every sample with mint <= t <= maxt, in
  // order, exactly those that Seek(mint) and then Next() until t > maxt would visit; returns how
  // many. Implementations decode straight into the caller's buffer (one virtual call per series
  // instead of two per sample) and skip data outside the range without decoding it.
  // REQUIRES: a fresh iterator (no Next()/Seek() yet). Afterwards the iterator is spent: its
  // position is unspecified, so only destroy it.
  virtual size_t AppendRange(int64_t mint, int64_t maxt, std::vector<model::Sample>* out) {
    size_t n = 0;
    if (!Seek(mint)) return 0;
    do {
      model::Sample s = At();
      if (s.t > maxt) break;
      out->push_back(s);
      ++n;
    } while (Next());
    return n;
  }
};

class Series {
 public:
  virtual ~Series() = default;
  virtual const model::Labels& labels() const = 0;
  // Samples within the querier's [mint, maxt]. Each call returns a fresh iterator.
  virtual std::unique_ptr<SampleIterator> Iterator() const = 0;
};

// A lazily produced set of series. Usage: while (set->Next()) use(set->At()); check Err().
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual bool Next() = 0;
  // REQUIRES: Next() returned true. Valid until the next call to Next().
  virtual const Series& At() const = 0;
  virtual Status Err() const = 0;
};

// Hints let the storage skip work (Prometheus storage.SelectHints).
struct SelectHints {
  int64_t start_ms = kMinTime;  // the evaluation range, including lookback/range
  int64_t end_ms = kMaxTime;
  int64_t step_ms = 0;
  int64_t range_ms = 0;  // range of the enclosing range selector
  std::string func;      // enclosing function name, if any
  bool series_only = false;  // the caller needs labels only (e.g. /api/v1/series)
  size_t limit = 0;          // 0 = no limit
  // 0 = none. When the index alone shows that more than max_series series match, Select returns a
  // set that fails at once (Next() false, Err() = TooManySeries(max_series)) before reading a
  // sample. A storage may miss some such cases (series spread over parts it does not merge just
  // to count): callers that must enforce the limit also count the series they list.
  size_t max_series = 0;
};

// The refusal of a selector matching more than `limit` series (ResourceExhausted), in
// VictoriaMetrics' words (-search.maxUniqueTimeseries, -search.maxSeries, ...).
Status TooManySeries(size_t limit);

// A SeriesSet with no series that fails with `err` (a refusal made before any work).
std::unique_ptr<SeriesSet> ErrorSeriesSet(Status err);

// Reads data within [mint, maxt] fixed at creation.
// Thread-safety: a Querier is used by one query at a time; its SeriesSets are independent.
class Querier {
 public:
  virtual ~Querier() = default;
  // Series matching all matchers (at least one matcher must not match the empty string).
  // With sorted = true, series come in Labels order.
  virtual std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints& hints,
                                            const std::vector<model::Matcher>& matchers) = 0;
  // Sorted, unique values of `name` over series matching `matchers` (all series if empty); with
  // limit > 0, only the `limit` smallest (-search.maxTagValues: a million values need not be
  // copied to answer with the first hundred thousand).
  virtual Result<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const std::vector<model::Matcher>& matchers,
                                                       size_t limit = 0) = 0;
  // Sorted, unique label names over series matching `matchers` (all series if empty).
  virtual Result<std::vector<std::string>> LabelNames(const std::vector<model::Matcher>& matchers) = 0;
};

class Queryable {
 public:
  virtual ~Queryable() = default;
  virtual Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint_ms, int64_t maxt_ms) = 0;
};

// What the metadata API serves: TYPE/HELP/UNIT seen in scrapes, per metric family.
struct MetricMetadata {
  std::string type;  // counter, gauge, histogram, summary, unknown
  std::string help;
  std::string unit;
};

class Storage : public Queryable, public Appendable {};

}  // namespace sremon::storage
