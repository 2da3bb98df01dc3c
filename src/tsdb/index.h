// Postings (label=value -> sorted series ids) and matcher selection over them (Prometheus
// PostingsForMatchers). The head keeps a mutable MemPostings; blocks build an immutable one at
// open (block.h). Thread-safety: MemPostings is NOT synchronized (the head guards it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
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

// The head's inverted index. Ids are added in increasing order.
class MemPostings : public PostingsReader {
 public:
  void Add(uint32_t id, const model::Labels& labels);
  // Removes many series at once (ids with their labels).
  void Remove(const std::vector<std::pair<uint32_t, model::Labels>>& gone);
  Postings All() const override { return all_; }
  PostingsRef Get(std::string_view name, std::string_view value) const override;
  void ForEachValue(std::string_view name, std::string_view from,
                    const std::function<bool(std::string_view, PostingsRef)>& fn) const override;

 private:
  std::map<std::string, std::map<std::string, Postings, std::less<>>, std::less<>> m_;
  Postings all_;
};

}  // namespace sremon::tsdb
