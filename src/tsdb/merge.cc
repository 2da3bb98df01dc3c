// Merging the blocks of a partition into one (a later block wins an equal timestamp).
#include "tsdb/db_impl.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "tsdb/iterators.h"

namespace sremon::tsdb {

Status DBImpl::MergeIfNeeded(bool force) {
  std::map<int64_t, std::vector<std::shared_ptr<Block>>> parts;
  for (const auto& b : BlocksSnapshot()) parts[b->meta().partition].push_back(b);
  int64_t now = NowMs();
  for (auto& [p, bs] : parts) {
    if (bs.size() < 2) continue;
    // A partition that no longer receives data is merged into one block even below the count.
    bool closed_partition = p + opts_.partition_ms + 3600 * 1000 < now;
    if (force || bs.size() >= opts_.merge_min_blocks || closed_partition) {
      SREMON_RETURN_IF_ERROR(MergePartition(p, bs));
    }
  }
  return Status::Ok();
}

Status DBImpl::MergePartition(int64_t partition, std::vector<std::shared_ptr<Block>> inputs) {
  auto start = std::chrono::steady_clock::now();
  // inputs are in (seq, id) order: later ones win on equal timestamps. Each block's series are
  // sorted by labels, so a k-way merge needs only one Labels per input at a time.
  struct Cursor {
    const Block* block;
    uint32_t i = 0;
    Labels cur;
    bool Load() {
      if (i >= block->num_series()) return false;
      cur = block->SeriesLabels(i);
      return true;
    }
  };
  std::vector<Cursor> cursors;
  std::vector<char> valid;
  for (const auto& b : inputs) {
    cursors.push_back(Cursor{.block = b.get(), .i = 0, .cur = {}});
    valid.push_back(cursors.back().Load());
  }
  BlockWriter w(kMergeZstdLevel);
  std::vector<Sample> samples;
  while (true) {
    if (stopping_) return Status::Canceled("merge interrupted: the database is closing");
    const Labels* min = nullptr;
    for (size_t c = 0; c < cursors.size(); c++) {
      if (valid[c] && (!min || cursors[c].cur < *min)) min = &cursors[c].cur;
    }
    if (!min) break;
    Labels labels = *min;
    std::vector<std::unique_ptr<SampleIterator>> its;
    for (size_t c = 0; c < cursors.size(); c++) {
      if (!valid[c] || !(cursors[c].cur == labels)) continue;
      its.push_back(cursors[c].block->SeriesIterator(cursors[c].i));
      cursors[c].i++;
      valid[c] = cursors[c].Load();
    }
    auto it = NewMergeIterator(std::move(its));
    samples.clear();
    while (it->Next()) samples.push_back(it->At());
    if (!samples.empty()) w.Add(labels, samples);
  }
  BlockMeta meta;
  meta.partition = partition;
  meta.id = next_id_++;
  for (const auto& b : inputs) {
    meta.seq = std::max(meta.seq, b->meta().seq);
    meta.sources.push_back(b->meta().id);
  }
  if (w.empty()) return PublishBlocks({}, inputs);
  SREMON_RETURN_IF_ERROR(w.Finish(env_, blocks_dir_, &meta));
  auto out = Block::Open(env_, blocks_dir_ + "/" + BlockFileName(meta.id));
  if (!out.ok()) return out.status();
  merges_++;
  uint64_t in_bytes = 0;
  for (const auto& b : inputs) in_bytes += b->file_bytes();
  spdlog::info("merged {} blocks of partition {} into {} ({} series, {} samples, {:.1f} -> {:.1f} MB, {:.2f} "
               "bytes/sample) in {:.2f}s",
               inputs.size(), FormatRfc3339Ms(partition), (*out)->path(), meta.series, meta.samples, in_bytes / 1e6,
               (*out)->file_bytes() / 1e6, double((*out)->file_bytes()) / std::max<uint64_t>(meta.samples, 1),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return PublishBlocks({*out}, inputs);
}

Status DBImpl::ForceMerge() {
  SREMON_RETURN_IF_ERROR(ForceFlush());
  MutexLock l(&flush_mu_);
  ApplyRetention();
  return MergeIfNeeded(true);
}

}  // namespace sremon::tsdb
