// The metric metadata (TYPE/HELP/UNIT per family) that remote_write senders include in their
// requests: Prometheus sends it every minute (remote_write.metadata_config). Kept in memory for
// /api/v1/metadata, beside what the scrapes see; like Prometheus's own scrape metadata it is not
// persisted. Bounded: past kMaxFamilies new families are ignored (the known ones still update).
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace sremon::ingest {

struct FamilyMetadata {
  std::string family;
  storage::MetricMetadata metadata;
};

class MetadataStore {
 public:
  static constexpr size_t kMaxFamilies = 100000;

  // The latest metadata of a family replaces what was there.
  void Add(const std::vector<FamilyMetadata>& items);
  // Family → its metadata (one entry each), in the shape of the metadata API.
  std::map<std::string, std::vector<storage::MetricMetadata>> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, storage::MetricMetadata> by_family_;  // GUARDED_BY(mu_)
};

// Merges b into a, without repeating an identical entry of a family.
void MergeMetadata(std::map<std::string, std::vector<storage::MetricMetadata>>* a,
                   const std::map<std::string, std::vector<storage::MetricMetadata>>& b);

}  // namespace sremon::ingest
