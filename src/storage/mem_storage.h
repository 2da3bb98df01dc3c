// MemStorage: a small in-memory storage::Storage for tests, the promqltest runner and
// benchmarks of the engine. Series are kept sorted by labels; each series' samples are sorted by
// time. Committed data is copy-on-write, so a Querier sees a consistent snapshot while appenders
// keep committing. Thread-safety: all methods are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/storage.h"

namespace sremon::storage {

class MemStorage final : public Storage {
 public:
  MemStorage() = default;

  std::unique_ptr<Appender> NewAppender() override;
  Result<std::unique_ptr<Querier>> NewQuerier(int64_t mint_ms, int64_t maxt_ms) override;

  // Drops every series (promqltest's `clear`).
  void Clear();
  size_t NumSeries() const;
  size_t NumSamples() const;

  // Immutable samples of one series; replaced as a whole on commit.
  using SampleVec = std::shared_ptr<const std::vector<model::Sample>>;
  // Ordered by Labels (Prometheus labels.Compare), so sorted Selects need no sort.
  using SeriesMap = std::map<model::Labels, SampleVec>;
  // An immutable state of the store: the series and, per metric name, its series in order.
  struct Snapshot {
    SeriesMap series;
    std::unordered_map<std::string, std::vector<SeriesMap::const_iterator>> by_name;
  };

 private:
  friend class MemAppender;
  // Applies a batch; out-of-order samples and conflicting duplicates (same time, other value)
  // are rejected as Prometheus's TSDB does, identical duplicates are ignored.
  Status Apply(std::vector<std::pair<model::Labels, model::Sample>> batch);

  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> snap_ = std::make_shared<Snapshot>();
};

}  // namespace sremon::storage
