// Targets: static_configs and file_sd_configs turned into scrape targets by relabeling, as
// Prometheus does (scrape/target.go PopulateLabels).
// Thread-safety: plain values and free functions.
#pragma once

#include <string>
#include <vector>

#include "model/labels.h"
#include "scrape/config.h"
#include "util/status.h"

namespace sremon::scrape {

// A group of targets sharing labels: one static_configs entry or one entry of a file_sd file.
struct TargetGroup {
  std::vector<std::string> targets;
  model::Labels labels;
  std::string source;  // file path for file_sd (becomes __meta_filepath)
};

struct Target {
  model::Labels discovered;  // before relabeling
  model::Labels labels;      // after relabeling, without __ labels; has job and instance
  std::string url;           // scheme://address/path?params
};

// Turns one group into targets; targets dropped by relabeling go to *dropped (their
// discovered labels), as /api/v1/targets reports them.
void BuildTargets(const ScrapeConfig& job, const TargetGroup& group, std::vector<Target>* active,
                  std::vector<model::Labels>* dropped);

// Reads a file_sd file: a JSON (.json) or YAML (.yml/.yaml) list of {targets, labels}.
Result<std::vector<TargetGroup>> ReadFileSd(const std::string& path);

}  // namespace sremon::scrape
