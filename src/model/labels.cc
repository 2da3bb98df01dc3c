#include "model/labels.h"

#include <algorithm>

#include <re2/re2.h>

#include "util/go_compat.h"
#include "util/strings.h"

namespace sremon::model {

namespace {

// FNV-1a 64, stable and fast enough for label sets; the separator byte keeps ("ab","c") and
// ("a","bc") apart.
inline void HashBytes(uint64_t* h, std::string_view s) {
  for (unsigned char c : s) {
    *h ^= c;
    *h *= 1099511628211ULL;
  }
  *h ^= 0xff;
  *h *= 1099511628211ULL;
}

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;

void SortUnique(std::vector<Label>* labels) {
  // Labels read back from storage are already in order: no sort buffer, no copy (a query over a
  // million series builds a million label sets).
  bool in_order = std::adjacent_find(labels->begin(), labels->end(), [](const Label& a, const Label& b) {
                    return !(a.name < b.name);
                  }) == labels->end();
  if (in_order && std::none_of(labels->begin(), labels->end(), [](const Label& l) { return l.value.empty(); })) {
    return;
  }
  std::stable_sort(labels->begin(), labels->end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  // Last one wins among duplicates.
  std::vector<Label> out;
  out.reserve(labels->size());
  for (auto& l : *labels) {
    if (!out.empty() && out.back().name == l.name) {
      out.back() = std::move(l);
    } else {
      out.push_back(std::move(l));
    }
  }
  out.erase(std::remove_if(out.begin(), out.end(), [](const Label& l) { return l.value.empty(); }),
            out.end());
  *labels = std::move(out);
}

}  // namespace

Labels::Labels(std::vector<Label> labels) : labels_(std::move(labels)) { SortUnique(&labels_); }

std::string_view Labels::Get(std::string_view name) const {
  for (const auto& l : labels_) {
    if (l.name == name) return l.value;
  }
  return {};
}

Labels Labels::Without(std::string_view name) && {
  auto it = std::find_if(labels_.begin(), labels_.end(), [name](const Label& l) { return l.name == name; });
  if (it != labels_.end()) labels_.erase(it);
  Labels out;
  out.labels_ = std::move(labels_);  // still sorted and unique
  return out;
}

bool Labels::Has(std::string_view name) const { return !Get(name).empty(); }

uint64_t Labels::Hash() const {
  uint64_t h = kFnvOffset;
  for (const auto& l : labels_) {
    HashBytes(&h, l.name);
    HashBytes(&h, l.value);
  }
  return h;
}

uint64_t Labels::HashFor(const std::vector<std::string>& names, bool include) const {
  uint64_t h = kFnvOffset;
  for (const auto& l : labels_) {
    bool listed = std::find(names.begin(), names.end(), l.name) != names.end();
    if (listed != include) continue;
    HashBytes(&h, l.name);
    HashBytes(&h, l.value);
  }
  return h;
}

std::string Labels::ToString() const {
  std::string out;
  std::string_view name = MetricName();
  out.append(name);
  bool first = true;
  out.push_back('{');
  for (const auto& l : labels_) {
    if (l.name == kMetricName) continue;
    if (!first) out.append(", ");
    first = false;
    out.append(l.name);
    out.push_back('=');
    AppendJsonString(&out, l.value);
  }
  out.push_back('}');
  if (!name.empty() && out.size() == name.size() + 2) out.resize(name.size());
  return out;
}

bool Labels::operator<(const Labels& o) const {
  size_t n = std::min(labels_.size(), o.labels_.size());
  for (size_t i = 0; i < n; ++i) {
    if (labels_[i].name != o.labels_[i].name) return labels_[i].name < o.labels_[i].name;
    if (labels_[i].value != o.labels_[i].value) return labels_[i].value < o.labels_[i].value;
  }
  return labels_.size() < o.labels_.size();
}

void LabelsBuilder::Reset(const Labels& base) { labels_ = base.items(); }

LabelsBuilder& LabelsBuilder::Set(std::string_view name, std::string_view value) {
  for (auto& l : labels_) {
    if (l.name == name) {
      l.value = std::string(value);
      return *this;
    }
  }
  labels_.push_back(Label{std::string(name), std::string(value)});
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::string_view name) { return Set(name, ""); }

std::string_view LabelsBuilder::Get(std::string_view name) const {
  for (const auto& l : labels_) {
    if (l.name == name) return l.value;
  }
  return {};
}

LabelsBuilder& LabelsBuilder::Keep(const std::vector<std::string>& names) {
  for (auto& l : labels_) {
    if (std::find(names.begin(), names.end(), l.name) == names.end()) l.value.clear();
  }
  return *this;
}

Labels LabelsBuilder::Build() const { return Labels(labels_); }

Result<Matcher> Matcher::Make(MatchType type, std::string name, std::string value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    RE2::Options opts;
    opts.set_log_errors(false);
    // Prometheus 2.x compiles ^(?:re)$ without the s flag: `.` does not match a newline (3.0
    // changed that; checked against Debian's prometheus 2.42, see labels_test).
    opts.set_dot_nl(false);
    auto re = std::make_shared<RE2>("^(?:" + m.value_ + ")$", opts);
    if (!re->ok()) {
      return Status::InvalidArgument(fmt::format("error parsing regexp: {}: `{}`", re->error(), m.value_));
    }
    m.re_ = std::move(re);
  }
  return m;
}

bool Matcher::Matches(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual: return v == value_;
    case MatchType::kNotEqual: return v != value_;
    case MatchType::kRegexMatch: return RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_);
    case MatchType::kRegexNoMatch: return !RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_);
  }
  return false;
}

std::string Matcher::ToString() const {
  static constexpr const char* kOps[] = {"=", "!=", "=~", "!~"};
  std::string out = name_;
  out.append(kOps[static_cast<int>(type_)]);
  AppendJsonString(&out, value_);
  return out;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace sremon::model
