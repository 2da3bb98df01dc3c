// The shared vocabulary: labels, matchers, samples. Used by every module.
// Thread-safety: values; a const Labels/Matcher is safe to share across threads.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace re2 {
class RE2;
}

namespace sremon::model {

inline constexpr std::string_view kMetricName = "__name__";

struct Label {
  std::string name;
  std::string value;
  bool operator==(const Label&) const = default;
  auto operator<=>(const Label&) const = default;
};

// A set of labels kept sorted by name, names unique. Empty values mean "absent" and are not kept.
class Labels {
 public:
  Labels() = default;
  // Sorts and drops empty values; on duplicate names the last one wins.
  explicit Labels(std::vector<Label> labels);
  Labels(std::initializer_list<Label> labels) : Labels(std::vector<Label>(labels)) {}

  const std::vector<Label>& items() const { return labels_; }
  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }
  auto begin() const { return labels_.begin(); }
  auto end() const { return labels_.end(); }

  // Returns "" when the label is absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  std::string_view MetricName() const { return Get(kMetricName); }

  // 64-bit hash of all names and values (stable across runs: used in on-disk formats).
  uint64_t Hash() const;
  // Hash of only the given names (include=true) or all but them (include=false).
  uint64_t HashFor(const std::vector<std::string>& names, bool include) const;

  // Prometheus string form: name{a="1", b="2"} (the API error messages use it).
  std::string ToString() const;

  // This set without `name`, reusing its storage (a query dropping the metric name from a
  // million series otherwise copies every other label).
  Labels Without(std::string_view name) &&;

  bool operator==(const Labels& o) const { return labels_ == o.labels_; }
  bool operator<(const Labels& o) const;  // Prometheus labels.Compare order

 private:
  friend class LabelsBuilder;
  std::vector<Label> labels_;
};

// Builds Labels by editing a base set (Prometheus labels.Builder).
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  explicit LabelsBuilder(const Labels& base) { Reset(base); }
  void Reset(const Labels& base);
  // Setting an empty value deletes the label.
  LabelsBuilder& Set(std::string_view name, std::string_view value);
  LabelsBuilder& Del(std::string_view name);
  std::string_view Get(std::string_view name) const;
  // Keep only (or drop) the given names.
  LabelsBuilder& Keep(const std::vector<std::string>& names);
  Labels Build() const;

 private:
  std::vector<Label> labels_;  // unsorted while building
};

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

// A label matcher. Regexes are RE2, fully anchored as in Prometheus.
class Matcher {
 public:
  static Result<Matcher> Make(MatchType type, std::string name, std::string value);
  Matcher(const Matcher&) = default;
  Matcher& operator=(const Matcher&) = default;

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  bool Matches(std::string_view v) const;
  // True when the matcher matches the empty string (so it also selects series without the label).
  bool MatchesEmpty() const { return Matches(""); }
  // Prometheus form: name="value", name=~"re".
  std::string ToString() const;

 private:
  Matcher() = default;
  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;  // set for regex types
};

struct Sample {
  int64_t t = 0;  // milliseconds since the epoch
  double v = 0;
};

// Prometheus's staleness marker: a NaN with this exact bit pattern.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline double StaleNaN() {
  double d;
  std::memcpy(&d, &kStaleNaNBits, sizeof(d));
  return d;
}
inline bool IsStaleNaN(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof(b));
  return b == kStaleNaNBits;
}

// Label names: [a-zA-Z_][a-zA-Z0-9_]*; metric names also allow ':'.
bool IsValidLabelName(std::string_view name);
bool IsValidMetricName(std::string_view name);

}  // namespace sremon::model
