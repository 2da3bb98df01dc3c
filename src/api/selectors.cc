#include "api/selectors.h"

#include <fmt/format.h>

namespace sremon::api {
namespace {

// Calls fn on every VectorSelector of the tree.
template <typename Fn>
void ForEachSelector(promql::Node& node, Fn&& fn) {
  using promql::NodeKind;
  switch (node.kind) {
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral:
      return;
    case NodeKind::kVectorSelector:
      fn(static_cast<promql::VectorSelector&>(node));
      return;
    case NodeKind::kMatrixSelector:
      ForEachSelector(*static_cast<promql::MatrixSelector&>(node).selector, fn);
      return;
    case NodeKind::kSubquery:
      ForEachSelector(*static_cast<promql::SubqueryExpr&>(node).expr, fn);
      return;
    case NodeKind::kCall:
      for (auto& a : static_cast<promql::Call&>(node).args) ForEachSelector(*a, fn);
      return;
    case NodeKind::kAggregate: {
      auto& agg = static_cast<promql::AggregateExpr&>(node);
      ForEachSelector(*agg.expr, fn);
      if (agg.param) ForEachSelector(*agg.param, fn);
      return;
    }
    case NodeKind::kBinary: {
      auto& bin = static_cast<promql::BinaryExpr&>(node);
      ForEachSelector(*bin.lhs, fn);
      ForEachSelector(*bin.rhs, fn);
      return;
    }
    case NodeKind::kUnary:
      ForEachSelector(*static_cast<promql::UnaryExpr&>(node).expr, fn);
      return;
    case NodeKind::kParen:
      ForEachSelector(*static_cast<promql::ParenExpr&>(node).expr, fn);
      return;
  }
}

}  // namespace

Result<std::vector<std::vector<model::Matcher>>> ParseMatchSets(const std::vector<std::string>& selectors) {
  std::vector<std::vector<model::Matcher>> sets;
  sets.reserve(selectors.size());
  for (const auto& s : selectors) {
    auto m = promql::ParseMetricSelector(s);
    if (!m.ok()) return m.status();
    sets.push_back(std::move(*m));
  }
  for (const auto& set : sets) {
    bool has_non_empty = false;
    for (const auto& m : set) has_non_empty = has_non_empty || !m.MatchesEmpty();
    if (!has_non_empty) return Status::InvalidArgument("match[] must contain at least one non-empty matcher");
  }
  return sets;
}

Result<std::vector<model::Matcher>> ParseExtraMatchers(const http::Request& req) {
  std::vector<model::Matcher> out;
  for (const auto& el : req.Params("extra_label")) {
    size_t eq = el.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument(fmt::format("missing '=' in extra_label={:?}", el));
    }
    auto m = model::Matcher::Make(model::MatchType::kEqual, el.substr(0, eq), el.substr(eq + 1));
    if (!m.ok()) return m.status();
    out.push_back(std::move(*m));
  }
  auto filters = req.Params("extra_filters[]");
  auto plain = req.Params("extra_filters");
  filters.insert(filters.end(), plain.begin(), plain.end());
  if (filters.size() > 1) {
    return Status::InvalidArgument("more than one extra_filters[] is not supported; combine them into one selector");
  }
  for (const auto& f : filters) {
    auto m = promql::ParseMetricSelector(f);
    if (!m.ok()) return Status::InvalidArgument(fmt::format("cannot parse extra_filters[]={:?}: {}", f, m.status().message()));
    out.insert(out.end(), m->begin(), m->end());
  }
  return out;
}

void AddMatchersToSelectors(promql::Node& expr, const std::vector<model::Matcher>& extra) {
  if (extra.empty()) return;
  ForEachSelector(expr, [&](promql::VectorSelector& vs) {
    vs.matchers.insert(vs.matchers.end(), extra.begin(), extra.end());
  });
}

bool HasSelectors(const promql::Node& expr) {
  bool found = false;
  // The walk does not modify the tree; it is shared with AddMatchersToSelectors.
  ForEachSelector(const_cast<promql::Node&>(expr), [&](promql::VectorSelector&) { found = true; });
  return found;
}

}  // namespace sremon::api
