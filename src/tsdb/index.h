// Postings (label=value -> sorted series ids) and matcher selection over them (Prometheus
// PostingsForMatchers). The head keeps a mutable MemPostings; blocks build an immutable one at
// open (block.h). Thread-safety: MemPostings is NOT synchronized (the head guards it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"

namespace sremon::tsdb {

using Postings = std::vector<uint32_t>;  // sorted ascending, unique

class PostingsReader {
 public:
  virtual ~PostingsReader() = default;
  virtual Postings All() const = 0;
  virtual Postings Get(std::string_view name, std::string_view value) const = 0;
  // Union of the postings of every value of `name` for which pred(value) holds.
  virtual Postings UnionMatching(std::string_view name, const std::function<bool(std::string_view)>& pred) const = 0;
};

// Series matching all matchers. A series without a label has it "" for the matchers.
Postings SelectPostings(const PostingsReader& r, const std::vector<model::Matcher>& matchers);

Postings Intersect(const Postings& a, const Postings& b);
Postings Subtract(const Postings& a, const Postings& b);
Postings UnionAll(std::vector<const Postings*> lists);

// The head's inverted index. Ids are added in increasing order.
class MemPostings : public PostingsReader {
 public:
  void Add(uint32_t id, const model::Labels& labels);
  void Remove(uint32_t id, const model::Labels& labels);
  Postings All() const override { return all_; }
  Postings Get(std::string_view name, std::string_view value) const override;
  Postings UnionMatching(std::string_view name, const std::function<bool(std::string_view)>& pred) const override;

 private:
  std::map<std::string, std::map<std::string, Postings, std::less<>>, std::less<>> m_;
  Postings all_;
};

}  // namespace sremon::tsdb
