#include "tsdb/index.h"

#include <algorithm>

namespace sremon::tsdb {

Postings Intersect(const Postings& a, const Postings& b) {
  Postings out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings Subtract(const Postings& a, const Postings& b) {
  Postings out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings UnionAll(std::vector<const Postings*> lists) {
  if (lists.empty()) return {};
  if (lists.size() == 1) return *lists[0];
  Postings out;
  size_t n = 0;
  for (auto* l : lists) n += l->size();
  out.reserve(n);
  for (auto* l : lists) out.insert(out.end(), l->begin(), l->end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Postings SelectPostings(const PostingsReader& r, const std::vector<model::Matcher>& matchers) {
  Postings result;
  bool have = false;
  // Matchers that cannot match "" select: intersect their postings (smallest first is a later
  // optimization; equality lists are usually small already).
  for (const auto& m : matchers) {
    if (m.MatchesEmpty()) continue;
    Postings p = m.type() == model::MatchType::kEqual
                     ? r.Get(m.name(), m.value())
                     : r.UnionMatching(m.name(), [&m](std::string_view v) { return m.Matches(v); });
    result = have ? Intersect(result, p) : std::move(p);
    have = true;
    if (result.empty()) return result;
  }
  if (!have) result = r.All();
  // Matchers that match "" (absent labels) only exclude: drop series whose value does not match.
  for (const auto& m : matchers) {
    if (!m.MatchesEmpty()) continue;
    Postings bad = r.UnionMatching(m.name(), [&m](std::string_view v) { return !m.Matches(v); });
    if (!bad.empty()) result = Subtract(result, bad);
  }
  return result;
}

void MemPostings::Add(uint32_t id, const model::Labels& labels) {
  auto insert = [id](Postings* p) {
    if (p->empty() || p->back() < id) {
      p->push_back(id);
    } else {
      p->insert(std::lower_bound(p->begin(), p->end(), id), id);
    }
  };
  insert(&all_);
  for (const auto& l : labels) {
    auto& values = m_[l.name];
    auto it = values.find(l.value);
    if (it == values.end()) it = values.emplace(l.value, Postings{}).first;
    insert(&it->second);
  }
}

void MemPostings::Remove(uint32_t id, const model::Labels& labels) {
  auto erase = [id](Postings* p) {
    auto it = std::lower_bound(p->begin(), p->end(), id);
    if (it != p->end() && *it == id) p->erase(it);
  };
  erase(&all_);
  for (const auto& l : labels) {
    auto n = m_.find(l.name);
    if (n == m_.end()) continue;
    auto v = n->second.find(l.value);
    if (v == n->second.end()) continue;
    erase(&v->second);
    if (v->second.empty()) n->second.erase(v);
    if (n->second.empty()) m_.erase(n);
  }
}

Postings MemPostings::Get(std::string_view name, std::string_view value) const {
  auto n = m_.find(name);
  if (n == m_.end()) return {};
  auto v = n->second.find(value);
  if (v == n->second.end()) return {};
  return v->second;
}

Postings MemPostings::UnionMatching(std::string_view name, const std::function<bool(std::string_view)>& pred) const {
  auto n = m_.find(name);
  if (n == m_.end()) return {};
  std::vector<const Postings*> lists;
  for (const auto& [v, p] : n->second) {
    if (pred(v)) lists.push_back(&p);
  }
  return UnionAll(std::move(lists));
}

}  // namespace sremon::tsdb
