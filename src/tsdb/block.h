// Immutable blocks: the samples of many series within one time partition, in one file
// (docs/format/tsdb.md, "Blocks"): zstd frames of per-series data (series_data.h EncodeSeriesData),
// then a zstd-compressed index (symbols, series, frames), then a fixed footer. Everything is
// checksummed and verified at open. Postings are rebuilt in memory from the series labels.
// Thread-safety: Block is immutable after Open() and safe to share; BlockWriter is not.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/labels.h"
#include "storage/storage.h"
#include "tsdb/index.h"
#include "util/env.h"
#include "util/status.h"
#include "util/thread_annotations.h"

namespace sremon::tsdb {

struct BlockMeta {
  uint64_t seq = 0;       // write order: on equal timestamps the higher seq wins
  uint64_t id = 0;        // unique file id (the file name)
  int64_t partition = 0;  // start of the partition (ms)
  int64_t mint = 0, maxt = 0;
  uint64_t samples = 0, series = 0;
  std::vector<uint64_t> sources;  // ids of the blocks this one replaces (merge, delete)
};

std::string BlockFileName(uint64_t id);  // "00000042.blk"
bool ParseBlockFileName(const std::string& name, uint64_t* id);

class BlockWriter {
 public:
  explicit BlockWriter(int zstd_level);
  ~BlockWriter();
  // REQUIRES: labels strictly increasing across calls; samples sorted by time, unique, non-empty.
  void Add(const model::Labels& labels, const std::vector<model::Sample>& samples);
  bool empty() const { return series_.empty(); }
  // Writes dir/<id>.blk.tmp, fsyncs, renames to dir/<id>.blk, fsyncs dir. Fills meta's
  // mint/maxt/samples/series. On failure removes the temporary file.
  Status Finish(Env* env, const std::string& dir, BlockMeta* meta);

 private:
  void FlushFrame();
  struct Entry {
    uint32_t nlab;  // its labels are the next nlab pairs in labels_
    int64_t mint, maxt;
    uint64_t count;
    uint32_t frame, offset, len;
  };
  struct Frame {
    uint64_t offset, clen, rawlen;
    uint32_t crc;
  };
  struct SharedTs {
    uint32_t frame, offset;
    std::string bytes;
  };
  int level_;
  void* cctx_;                                        // ZSTD_CCtx
  std::unordered_map<uint64_t, SharedTs> shared_ts_;  // timestamps hash -> first occurrence
  size_t shared_ts_bytes_ = 0;
  std::vector<Entry> series_;
  std::string labels_;  // lp(name) lp(value) of every series' labels, in order (compact)
  std::vector<Frame> frames_;
  std::string raw_;   // the frame being filled
  std::string body_;  // magic + compressed frames
};

class Block : public PostingsReader {
 public:
  // Reads and verifies the whole file (footer, index and every frame checksum).
  static Result<std::shared_ptr<Block>> Open(Env* env, const std::string& path);

  const BlockMeta& meta() const { return meta_; }
  const std::string& path() const { return path_; }
  uint64_t file_bytes() const { return file_bytes_; }
  uint32_t num_series() const { return static_cast<uint32_t>(series_.size()); }
  model::Labels SeriesLabels(uint32_t i) const;
  bool SeriesOverlaps(uint32_t i, int64_t mint, int64_t maxt) const {
    return series_[i].mint <= maxt && series_[i].maxt >= mint;
  }
  // Appends the distinct values of label `name` of the given series to *out, ascending (names
  // of all labels: adds to *out), working on symbol ids: no Labels are built (the label APIs
  // scan many series).
  void CollectLabelValues(const Postings& ids, std::string_view name, std::vector<std::string>* out) const;
  void CollectLabelNames(const Postings& ids, std::set<std::string, std::less<>>* out) const;
  // Samples of series i. A read or decode error ends the iteration early and is logged.
  std::unique_ptr<storage::SampleIterator> SeriesIterator(uint32_t i) const;
  Status ReadSeries(uint32_t i, std::vector<model::Sample>* out) const;

  Postings All() const override;
  PostingsRef Get(std::string_view name, std::string_view value) const override;
  size_t NumValues(std::string_view name) const;  // distinct values of `name`
  void ForEachValue(std::string_view name, std::string_view from,
                    const std::function<bool(std::string_view, PostingsRef)>& fn) const override;
  // Whether every series of the block has samples within [mint, maxt] (then the label index
  // alone answers label-value lookups for that range).
  bool Within(int64_t mint, int64_t maxt) const { return meta_.mint >= mint && meta_.maxt <= maxt; }

 private:
  Block() = default;
  Status Load(Env* env);
  Result<std::shared_ptr<const std::string>> ReadFrame(uint32_t f) const;
  // The timestamps section another series shares (series_data.h TsRef), cached: few distinct ones.
  Result<std::shared_ptr<const std::string>> SharedTimestamps(std::string_view data) const;
  int64_t Sym(std::string_view s) const;  // -1 when absent

  struct SeriesEntry {
    uint32_t lab_off;
    uint32_t nlab;
    int64_t mint, maxt;
    uint32_t frame, offset, len;
  };
  struct FrameEntry {
    uint64_t offset, clen, rawlen;
    uint32_t crc;
  };
  std::string path_;
  std::shared_ptr<const std::string> shared_path_;  // the same, for iterators that log it
  uint64_t file_bytes_ = 0;
  BlockMeta meta_;
  std::unique_ptr<RandomAccessFile> file_;
  std::vector<std::string> symbols_;  // sorted
  std::vector<uint32_t> lab_syms_;    // name, value symbol pairs
  std::vector<SeriesEntry> series_;
  std::vector<FrameEntry> frames_;
  // Postings in one array, grouped by (name, value) symbol pair. Symbols are sorted, so each
  // name's value list is sorted as strings too (the label-values API reads it directly).
  struct NamePostings {
    std::vector<uint32_t> values;  // value symbols, ascending
    std::vector<uint32_t> starts;  // values.size() + 1 offsets into post_ids_
  };
  const NamePostings* FindName(std::string_view name) const;
  PostingsRef IdsAt(const NamePostings& np, size_t k) const {
    return PostingsRef(post_ids_.data() + np.starts[k], np.starts[k + 1] - np.starts[k]);
  }
  void BuildPostings();
  std::unordered_map<uint32_t, NamePostings> postings_;  // by name symbol
  std::vector<uint32_t> post_ids_;

  // A few recently decompressed frames: consecutive series of a Select share frames.
  mutable Mutex cache_mu_;
  mutable std::vector<std::pair<uint32_t, std::shared_ptr<const std::string>>> cache_ GUARDED_BY(cache_mu_);
  mutable size_t cache_next_ GUARDED_BY(cache_mu_) = 0;
  mutable std::unordered_map<uint64_t, std::shared_ptr<const std::string>> ts_cache_ GUARDED_BY(cache_mu_);
};

}  // namespace sremon::tsdb
