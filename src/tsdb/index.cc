#include "tsdb/index.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "util/strings.h"

namespace sremon::tsdb {

using model::Matcher;
using model::MatchType;

Postings Intersect(PostingsRef a, PostingsRef b) {
  if (a.size() > b.size()) std::swap(a, b);
  Postings out;
  if (a.size() * 16 < b.size()) {
    // Much smaller list: binary search each id in the rest of the larger one.
    auto it = b.begin();
    for (uint32_t id : a) {
      it = std::lower_bound(it, b.end(), id);
      if (it == b.end()) break;
      if (*it == id) out.push_back(id);
    }
    return out;
  }
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings Subtract(PostingsRef a, PostingsRef b) {
  Postings out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

RegexShortcut AnalyzeRegex(const std::string& re) {
  RegexShortcut out;
  // Literal alternations: no metacharacter besides the separators (an escaped `\|` is not one).
  if (re.find_first_of("\\.+*?()[]{}^$") == std::string::npos) {
    out.is_set = true;
    for (std::string_view part : Split(re, '|')) out.set.emplace_back(part);
    std::sort(out.set.begin(), out.set.end());
    out.set.erase(std::unique(out.set.begin(), out.set.end()), out.set.end());
    return out;
  }
  // Compiled as model::Matcher does (anchored, `.` without newlines), for its match range.
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_dot_nl(false);
  RE2 anchored("^(?:" + re + ")$", opts);
  // 64 bytes of prefix are plenty to narrow a scan of sorted values.
  out.ranged = anchored.ok() && anchored.PossibleMatchRange(&out.min, &out.max, 64) && !out.max.empty();
  return out;
}

Postings MatchingPostings(const PostingsReader& r, const Matcher& m, bool want) {
  // A series has one value per name, so the lists of different values are disjoint: append
  // them and sort once when there was more than one.
  Postings out;
  size_t lists = 0;
  auto add = [&](PostingsRef p) {
    if (p.empty()) return;
    out.insert(out.end(), p.begin(), p.end());
    lists++;
  };
  bool positive = want == (m.type() == MatchType::kEqual || m.type() == MatchType::kRegexMatch);
  if (positive && (m.type() == MatchType::kEqual || m.type() == MatchType::kNotEqual)) {
    add(r.Get(m.name(), m.value()));  // v == value
  } else {
    RegexShortcut sc;
    if (positive) sc = AnalyzeRegex(m.value());
    if (sc.is_set) {
      for (const auto& v : sc.set) add(r.Get(m.name(), v));
    } else {
      r.ForEachValue(m.name(), sc.ranged ? sc.min : "", [&](std::string_view v, PostingsRef p) {
        if (sc.ranged && v > sc.max) return false;
        if (m.Matches(v) == want) add(p);
        return true;
      });
    }
  }
  if (lists > 1) std::sort(out.begin(), out.end());
  return out;
}

Postings SelectPostings(const PostingsReader& r, const std::vector<Matcher>& matchers) {
  // Matchers that cannot match "" select. Equality postings are views; intersect from the
  // smallest list so that one small list bounds the work.
  std::vector<PostingsRef> refs;
  std::vector<Postings> owned;
  owned.reserve(matchers.size());
  for (const auto& m : matchers) {
    if (m.MatchesEmpty()) continue;
    if (m.type() == MatchType::kEqual) {
      refs.push_back(r.Get(m.name(), m.value()));
    } else {
      owned.push_back(MatchingPostings(r, m, true));
      refs.push_back(owned.back());
    }
    if (refs.back().empty()) return {};
  }
  Postings result;
  if (refs.empty()) {
    result = r.All();
  } else {
    std::sort(refs.begin(), refs.end(), [](PostingsRef a, PostingsRef b) { return a.size() < b.size(); });
    result.assign(refs[0].begin(), refs[0].end());
    for (size_t i = 1; i < refs.size() && !result.empty(); i++) result = Intersect(result, refs[i]);
  }
  // Matchers that match "" (absent labels) only exclude: drop series whose value does not match.
  for (const auto& m : matchers) {
    if (result.empty()) break;
    if (!m.MatchesEmpty()) continue;
    Postings bad = MatchingPostings(r, m, false);
    if (!bad.empty()) result = Subtract(result, bad);
  }
  return result;
}

void IdList::Insert(uint32_t id) {
  if (size_ == cap_) {
    uint32_t cap = cap_ * 2;
    auto* grown = new uint32_t[cap];
    std::copy(data(), data() + size_, grown);
    if (cap_ > kInline) delete[] u_.heap;
    u_.heap = grown;
    cap_ = cap;
  }
  uint32_t* d = data();
  uint32_t* at = size_ == 0 || d[size_ - 1] < id ? d + size_ : std::lower_bound(d, d + size_, id);
  std::copy_backward(at, d + size_, d + size_ + 1);
  *at = id;
  size_++;
}

CompactString::CompactString(std::string_view s) {
  if (s.size() <= sizeof(u_.small.data)) {
    std::memcpy(u_.small.data, s.data(), s.size());
    u_.small.tag = static_cast<uint8_t>(s.size());
  } else {
    u_.large.data = new char[s.size()];
    std::memcpy(u_.large.data, s.data(), s.size());
    u_.large.len = static_cast<uint32_t>(s.size());
    u_.large.tag = kHeap;
  }
}

size_t ValueIndex::LeafFor(std::string_view value) const {
  auto it = std::upper_bound(leaves_.begin(), leaves_.end(), value, [](std::string_view v, const auto& leaf) {
    return v < leaf->front().value.view();
  });
  return it == leaves_.begin() ? 0 : static_cast<size_t>(it - leaves_.begin()) - 1;
}

const IdList* ValueIndex::Find(std::string_view value) const {
  if (leaves_.empty()) return nullptr;
  const Leaf& leaf = *leaves_[LeafFor(value)];
  auto it = std::lower_bound(leaf.begin(), leaf.end(), value, EntryLess{});
  return it != leaf.end() && it->value.view() == value ? &it->ids : nullptr;
}

IdList& ValueIndex::FindOrInsert(std::string_view value) {
  if (leaves_.empty()) {
    // The first value: LeafFor needs every leaf non-empty, so it is not asked.
    leaves_.push_back(std::make_unique<Leaf>());
    leaves_.back()->reserve(kLeafSize);
    return leaves_.back()->emplace_back(Entry{CompactString(value), IdList{}}).ids;
  }
  size_t l = LeafFor(value);
  Leaf* leaf = leaves_[l].get();
  auto it = std::lower_bound(leaf->begin(), leaf->end(), value, EntryLess{});
  if (it != leaf->end() && it->value.view() == value) return it->ids;
  if (leaf->size() == kLeafSize) {
    // Split in halves; values mostly arrive in increasing order, and then the left half is
    // never touched again, so the new right leaf takes the entries from the insertion point
    // when that is the end (leaves stay full instead of half full).
    size_t at = static_cast<size_t>(it - leaf->begin());
    size_t cut = at == kLeafSize ? kLeafSize : kLeafSize / 2;
    auto right = std::make_unique<Leaf>();
    right->reserve(kLeafSize);
    std::move(leaf->begin() + cut, leaf->end(), std::back_inserter(*right));
    leaf->erase(leaf->begin() + cut, leaf->end());
    leaves_.insert(leaves_.begin() + l + 1, std::move(right));
    if (at >= cut) {
      leaf = leaves_[l + 1].get();
      at -= cut;
    }
    it = leaf->begin() + at;
  }
  return leaf->insert(it, Entry{CompactString(value), IdList{}})->ids;
}

void ValueIndex::EraseIfEmpty(std::string_view value) {
  if (leaves_.empty()) return;
  size_t l = LeafFor(value);
  Leaf& leaf = *leaves_[l];
  auto it = std::lower_bound(leaf.begin(), leaf.end(), value, EntryLess{});
  if (it == leaf.end() || it->value.view() != value || !it->ids.empty()) return;
  leaf.erase(it);
  if (leaf.empty()) leaves_.erase(leaves_.begin() + l);
}

void MemPostings::Add(uint32_t id, const model::Labels& labels) {
  if (all_.empty() || all_.back() < id) {
    all_.push_back(id);
  } else {
    all_.insert(std::lower_bound(all_.begin(), all_.end(), id), id);
  }
  for (const auto& l : labels) m_[l.name].FindOrInsert(l.value).Insert(id);
}

void MemPostings::Remove(const std::vector<std::pair<uint32_t, model::Labels>>& gone) {
  if (gone.empty()) return;
  // One pass over each list that loses ids (removing them one by one would cost the list's
  // length per id: quadratic when many series go at once).
  std::vector<uint32_t> ids;
  for (const auto& g : gone) ids.push_back(g.first);
  std::sort(ids.begin(), ids.end());
  auto gone_id = [&ids](uint32_t id) { return std::binary_search(ids.begin(), ids.end(), id); };
  all_.erase(std::remove_if(all_.begin(), all_.end(), gone_id), all_.end());
  std::map<std::string_view, std::set<std::string_view>> touched;
  for (const auto& g : gone) {
    for (const auto& l : g.second) touched[l.name].insert(l.value);
  }
  for (const auto& [name, values] : touched) {
    auto n = m_.find(name);
    if (n == m_.end()) continue;
    for (std::string_view value : values) {
      if (IdList* ids = n->second.Find(value)) {
        ids->RemoveIf(gone_id);
        n->second.EraseIfEmpty(value);
      }
    }
    if (n->second.empty()) m_.erase(n);
  }
}

PostingsRef MemPostings::Get(std::string_view name, std::string_view value) const {
  auto n = m_.find(name);
  if (n == m_.end()) return {};
  const IdList* ids = n->second.Find(value);
  return ids ? ids->view() : PostingsRef{};
}

void MemPostings::ForEachValue(std::string_view name, std::string_view from,
                               const std::function<bool(std::string_view, PostingsRef)>& fn) const {
  auto n = m_.find(name);
  if (n == m_.end()) return;
  n->second.ForEachFrom(from, [&fn](std::string_view v, const IdList& ids) { return fn(v, ids.view()); });
}

}  // namespace sremon::tsdb
