#include "scrape/relabel.h"

#include <openssl/evp.h>

#include <algorithm>

#include <fmt/format.h>
#include <re2/re2.h>

#include "util/go_compat.h"
#include "util/strings.h"

namespace sremon::scrape {
namespace {

std::string JoinSources(const RelabelConfig& c, const model::LabelsBuilder& lb) {
  std::string val;
  for (size_t i = 0; i < c.source_labels.size(); ++i) {
    if (i > 0) val += c.separator;
    val += lb.Get(c.source_labels[i]);
  }
  return val;
}

// Matches the whole of s; groups[0] is the whole match.
bool MatchGroups(const re2::RE2& re, std::string_view s, std::vector<std::string_view>* groups) {
  thread_local std::vector<re2::StringPiece> pieces;
  pieces.assign(re.NumberOfCapturingGroups() + 1, {});
  re2::StringPiece text(s.data(), s.size());
  if (!re.Match(text, 0, text.size(), re2::RE2::ANCHOR_BOTH, pieces.data(), static_cast<int>(pieces.size()))) {
    return false;
  }
  groups->clear();
  for (const auto& p : pieces) groups->emplace_back(p.data(), p.size());
  return true;
}

uint64_t HashMod(std::string_view val, uint64_t modulus) {
  unsigned char sum[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(val.data(), val.size(), sum, &len, EVP_md5(), nullptr);
  uint64_t x = 0;
  for (int i = 8; i < 16; ++i) x = (x << 8) | sum[i];  // big-endian of the second half
  return x % modulus;
}

}  // namespace

Result<RelabelAction> ParseRelabelAction(std::string_view s) {
  static constexpr std::pair<std::string_view, RelabelAction> kActions[] = {
      {"replace", RelabelAction::kReplace},     {"keep", RelabelAction::kKeep},
      {"drop", RelabelAction::kDrop},           {"keepequal", RelabelAction::kKeepEqual},
      {"dropequal", RelabelAction::kDropEqual}, {"hashmod", RelabelAction::kHashMod},
      {"labelmap", RelabelAction::kLabelMap},   {"labeldrop", RelabelAction::kLabelDrop},
      {"labelkeep", RelabelAction::kLabelKeep}, {"lowercase", RelabelAction::kLowercase},
      {"uppercase", RelabelAction::kUppercase},
  };
  std::string lower = ToLower(s);
  for (const auto& [name, a] : kActions) {
    if (lower == name) return a;
  }
  return Status::InvalidArgument(fmt::format("unknown relabel action \"{}\"", s));
}

Status RelabelConfig::Compile() {
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_dot_nl(false);  // Prometheus 2.x compiles relabel regexes as ^(?:...)$: `.` stops at a newline
  auto compiled = std::make_shared<re2::RE2>("^(?:" + regex + ")$", opts);
  if (!compiled->ok()) {
    return Status::InvalidArgument(fmt::format("invalid regex \"{}\": {}", regex, compiled->error()));
  }
  re = std::move(compiled);
  switch (action) {
    case RelabelAction::kReplace:
    case RelabelAction::kHashMod:
    case RelabelAction::kLowercase:
    case RelabelAction::kUppercase:
    case RelabelAction::kKeepEqual:
    case RelabelAction::kDropEqual:
      if (target_label.empty()) return Status::InvalidArgument("relabel configuration needs target_label for this action");
      break;
    default:
      break;
  }
  if (action == RelabelAction::kHashMod && modulus == 0) {
    return Status::InvalidArgument("relabel configuration for hashmod requires non-zero modulus");
  }
  if ((action == RelabelAction::kReplace || action == RelabelAction::kHashMod || action == RelabelAction::kLowercase ||
       action == RelabelAction::kUppercase) &&
      target_label.find('$') == std::string::npos && !model::IsValidLabelName(target_label)) {
    return Status::InvalidArgument(fmt::format("\"{}\" is invalid target_label", target_label));
  }
  if ((action == RelabelAction::kLabelDrop || action == RelabelAction::kLabelKeep) &&
      (!source_labels.empty() || !target_label.empty())) {
    return Status::InvalidArgument("labeldrop and labelkeep only take regex");
  }
  return Status::Ok();
}

bool Relabel(const std::vector<RelabelConfig>& configs, model::LabelsBuilder* lb) {
  std::vector<std::string_view> groups;
  for (const RelabelConfig& c : configs) {
    const re2::RE2& re = *c.re;
    switch (c.action) {
      case RelabelAction::kReplace: {
        std::string val = JoinSources(c, *lb);
        if (!MatchGroups(re, val, &groups)) break;
        std::string target = RegexpExpand(c.target_label, re, groups);
        if (!model::IsValidLabelName(target)) break;
        std::string res = RegexpExpand(c.replacement, re, groups);
        if (res.empty()) {
          lb->Del(target);
        } else {
          lb->Set(target, res);
        }
        break;
      }
      case RelabelAction::kKeep:
        if (!re2::RE2::FullMatch(JoinSources(c, *lb), re)) return false;
        break;
      case RelabelAction::kDrop:
        if (re2::RE2::FullMatch(JoinSources(c, *lb), re)) return false;
        break;
      case RelabelAction::kKeepEqual:
        if (JoinSources(c, *lb) != lb->Get(c.target_label)) return false;
        break;
      case RelabelAction::kDropEqual:
        if (JoinSources(c, *lb) == lb->Get(c.target_label)) return false;
        break;
      case RelabelAction::kHashMod:
        lb->Set(c.target_label, std::to_string(HashMod(JoinSources(c, *lb), c.modulus)));
        break;
      case RelabelAction::kLowercase:
        lb->Set(c.target_label, ToLower(JoinSources(c, *lb)));
        break;
      case RelabelAction::kUppercase: {
        std::string v = JoinSources(c, *lb);
        for (char& ch : v) {
          if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
        }
        lb->Set(c.target_label, v);
        break;
      }
      case RelabelAction::kLabelMap: {
        model::Labels cur = lb->Build();
        for (const auto& l : cur) {
          if (!MatchGroups(re, l.name, &groups)) continue;
          lb->Set(RegexpExpand(c.replacement, re, groups), l.value);
        }
        break;
      }
      case RelabelAction::kLabelDrop:
      case RelabelAction::kLabelKeep: {
        model::Labels cur = lb->Build();
        bool drop_matching = c.action == RelabelAction::kLabelDrop;
        for (const auto& l : cur) {
          if (re2::RE2::FullMatch(l.name, re) == drop_matching) lb->Del(l.name);
        }
        break;
      }
    }
  }
  return true;
}

}  // namespace sremon::scrape
