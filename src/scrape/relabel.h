// Prometheus relabeling (relabel_configs, metric_relabel_configs): the semantics of
// https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config.
// Regexes are RE2, fully anchored; replacement templates expand as Go's regexp.Expand.
// Thread-safety: a RelabelConfig is immutable after parsing and safe to share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/labels.h"
#include "util/status.h"

namespace re2 {
class RE2;
}

namespace sremon::scrape {

enum class RelabelAction {
  kReplace, kKeep, kDrop, kKeepEqual, kDropEqual, kHashMod, kLabelMap, kLabelDrop, kLabelKeep,
  kLowercase, kUppercase,
};

struct RelabelConfig {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::string target_label;
  std::string regex = "(.*)";
  uint64_t modulus = 0;
  std::string replacement = "$1";
  RelabelAction action = RelabelAction::kReplace;
  std::shared_ptr<const re2::RE2> re;  // compiled, anchored

  // Compiles regex and checks the fields each action needs ("relabel action hashmod needs
  // modulus"). Call once after filling the fields.
  Status Compile();
};

Result<RelabelAction> ParseRelabelAction(std::string_view s);

// Applies the configs in order. Returns false when the labels are dropped.
bool Relabel(const std::vector<RelabelConfig>& configs, model::LabelsBuilder* lb);

}  // namespace sremon::scrape
