// Postings (label=value -> sorted series ids) and matcher selection over them (Prometheus
// PostingsForMatchers). The head keeps a mutable MemPostings; blocks build an immutable one at
// open (block.h). Thread-safety: MemPostings is NOT synchronized (the head guards it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/labels.h"

namespace sremon::tsdb {

using Postings = std::vector<uint32_t>;         // sorted ascending, unique
using PostingsRef = std::span<const uint32_t>;  // a view of postings owned by a reader

class PostingsReader {
 public:
  virtual ~PostingsReader() = default;
  virtual Postings All() const = 0;
  // The series with name=value. The view is valid while the reader is not modified.
  virtual PostingsRef Get(std::string_view name, std::string_view value) const = 0;
  // Calls fn(value, postings) for each value of `name` that is >= from, in ascending byte order,
  // until fn returns false. Arguments are valid during the call.
  virtual void ForEachValue(std::string_view name, std::string_view from,
                            const std::function<bool(std::string_view, PostingsRef)>& fn) const = 0;
};

// Series matching all matchers. A series without a label has it "" for the matchers.
// Equality lookups cost the size of their postings at most (intersection by binary search
// into larger lists); regexes that are literal alternations are looked up, other regexes only
// run on the values inside their possible match range.
Postings SelectPostings(const PostingsReader& r, const std::vector<model::Matcher>& matchers);

// What an index can use instead of running a regex on every value: the literals it is an
// alternation of ("a|b|c"), or a range [min, max] holding every value it fully matches
// (RE2::PossibleMatchRange). Neither when unknown.
struct RegexShortcut {
  bool is_set = false;
  std::vector<std::string> set;  // sorted, unique
  bool ranged = false;
  std::string min, max;
};
RegexShortcut AnalyzeRegex(const std::string& re);

// Union of the postings of the values of m.name() for which m.Matches(value) == want.
Postings MatchingPostings(const PostingsReader& r, const model::Matcher& m, bool want);

Postings Intersect(PostingsRef a, PostingsRef b);
Postings Subtract(PostingsRef a, PostingsRef b);

// A sorted id list that keeps up to two ids inline: most values of a high-cardinality label
// (a pod name, a request id) have one series, and a std::vector would add 32 bytes of heap to
// each (issue 14: 16 bytes here against 24 + 32 per value).
class IdList {
 public:
  IdList() = default;
  IdList(const IdList&) = delete;
  IdList& operator=(const IdList&) = delete;
  IdList(IdList&& o) noexcept : size_(o.size_), cap_(o.cap_), u_(o.u_) { o.size_ = 0, o.cap_ = kInline; }
  IdList& operator=(IdList&& o) noexcept {
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
    std::swap(u_, o.u_);
    return *this;
  }
  ~IdList() {
    if (cap_ > kInline) delete[] u_.heap;
  }
  PostingsRef view() const { return {data(), size_}; }
  bool empty() const { return size_ == 0; }
  void Insert(uint32_t id);  // keeps the list sorted; ids usually come in increasing order
  // Removes the ids for which drop(id) is true.
  template <class F>
  void RemoveIf(F drop) {
    uint32_t* d = data();
    uint32_t kept = 0;
    for (uint32_t i = 0; i < size_; i++) {
      if (!drop(d[i])) d[kept++] = d[i];
    }
    size_ = kept;
  }

 private:
  static constexpr uint32_t kInline = 2;
  uint32_t* data() { return cap_ > kInline ? u_.heap : u_.inline_ids; }
  const uint32_t* data() const { return cap_ > kInline ? u_.heap : u_.inline_ids; }
  uint32_t size_ = 0, cap_ = kInline;
  union U {
    uint32_t inline_ids[kInline];
    uint32_t* heap;
  } u_{};
};

// A byte string of up to 15 bytes kept inline, longer ones on the heap: 16 bytes where
// std::string takes 32 (label values are mostly short).
class CompactString {
 public:
  explicit CompactString(std::string_view s);
  CompactString(CompactString&& o) noexcept : u_(o.u_) { o.u_.small.tag = 0; }
  CompactString& operator=(CompactString&& o) noexcept {
    std::swap(u_, o.u_);
    return *this;
  }
  CompactString(const CompactString&) = delete;
  CompactString& operator=(const CompactString&) = delete;
  ~CompactString() {
    if (u_.small.tag == kHeap) delete[] u_.large.data;
  }
  std::string_view view() const {
    return u_.small.tag == kHeap ? std::string_view(u_.large.data, u_.large.len)
                                 : std::string_view(u_.small.data, u_.small.tag);
  }

 private:
  static constexpr uint8_t kHeap = 0xff;  // a tag <= 15 is the inline length
  union U {
    struct {
      char data[15];
      uint8_t tag;
    } small;
    struct {
      char* data;
      uint32_t len;
      uint8_t pad[3];
      uint8_t tag;
    } large;
  } u_;
};

// The values of one label name in byte order, each with its ids: sorted leaves of at most
// kLeafSize entries (32 bytes each), found by binary search over the leaves' first values.
// Inserting shifts at most one leaf; a std::map costs about 95 bytes per value, which at a
// million distinct values (a pod or request id per series) was a fifth of the head.
class ValueIndex {
 public:
  const IdList* Find(std::string_view value) const;
  IdList* Find(std::string_view value) { return const_cast<IdList*>(std::as_const(*this).Find(value)); }
  IdList& FindOrInsert(std::string_view value);
  void EraseIfEmpty(std::string_view value);
  bool empty() const { return leaves_.empty(); }
  // fn(value, ids) for each value >= from in order, until fn returns false.
  template <class F>
  void ForEachFrom(std::string_view from, F fn) const {
    if (leaves_.empty()) return;
    for (size_t l = LeafFor(from); l < leaves_.size(); l++) {
      const Leaf& leaf = *leaves_[l];
      auto it = std::lower_bound(leaf.begin(), leaf.end(), from, EntryLess{});
      for (; it != leaf.end(); ++it) {
        if (!fn(it->value.view(), it->ids)) return;
      }
      from = {};
    }
  }

 private:
  static constexpr size_t kLeafSize = 64;
  struct Entry {
    CompactString value;
    IdList ids;
  };
  struct EntryLess {
    bool operator()(const Entry& e, std::string_view v) const { return e.value.view() < v; }
  };
  using Leaf = std::vector<Entry>;
  // The leaf whose range holds `value`: the last one starting at or before it (or the first).
  size_t LeafFor(std::string_view value) const;
  std::vector<std::unique_ptr<Leaf>> leaves_;  // none empty, in order
};

// The head's inverted index. Ids are added in increasing order.
class MemPostings : public PostingsReader {
 public:
  void Add(uint32_t id, const model::Labels& labels);
  // Removes many series at once (ids with their labels).
  void Remove(const std::vector<std::pair<uint32_t, model::Labels>>& gone);
  Postings All() const override { return all_; }
  size_t NumSeries() const { return all_.size(); }
  // fn(id, name rank, value rank) for every indexed label of every series, names in order and
  // values in order within each name (ranks count from 0 in those orders).
  template <class F>
  void ForEachRanked(F fn) const {
    uint32_t name_rank = 0;
    for (const auto& [name, values] : m_) {
      uint32_t value_rank = 0;
      values.ForEachFrom("", [&](std::string_view, const IdList& ids) {
        for (uint32_t id : ids.view()) fn(id, name_rank, value_rank);
        value_rank++;
        return true;
      });
      name_rank++;
    }
  }
  PostingsRef Get(std::string_view name, std::string_view value) const override;
  void ForEachValue(std::string_view name, std::string_view from,
                    const std::function<bool(std::string_view, PostingsRef)>& fn) const override;

 private:
  std::map<std::string, ValueIndex, std::less<>> m_;
  Postings all_;
};

}  // namespace sremon::tsdb
