#include "ingest/metadata_store.h"

namespace sremon::ingest {

void MetadataStore::Add(const std::vector<FamilyMetadata>& items) {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& it : items) {
    auto found = by_family_.find(it.family);
    if (found != by_family_.end()) {
      found->second = it.metadata;
    } else if (by_family_.size() < kMaxFamilies) {
      by_family_.emplace(it.family, it.metadata);
    }
  }
}

std::map<std::string, std::vector<storage::MetricMetadata>> MetadataStore::Snapshot() const {
  std::map<std::string, std::vector<storage::MetricMetadata>> out;
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [family, md] : by_family_) out[family].push_back(md);
  return out;
}

void MergeMetadata(std::map<std::string, std::vector<storage::MetricMetadata>>* a,
                   const std::map<std::string, std::vector<storage::MetricMetadata>>& b) {
  for (const auto& [family, mds] : b) {
    auto& v = (*a)[family];
    for (const auto& md : mds) {
      bool dup = false;
      for (const auto& e : v) dup |= e.type == md.type && e.help == md.help && e.unit == md.unit;
      if (!dup) v.push_back(md);
    }
  }
}

}  // namespace sremon::ingest
