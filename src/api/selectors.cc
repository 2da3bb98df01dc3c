#include "api/selectors.h"

#include <type_traits>

#include <fmt/format.h>

#include "util/strings.h"

namespace sremon::api {
namespace {

// Calls fn on every VectorSelector of the tree. NodeT is Node or const Node, so one walk serves
// both the editing and the read-only callers.
// The concrete node type T of `node`, with NodeT's constness.
template <typename T, typename NodeT>
auto& As(NodeT& node) {
  return static_cast<std::conditional_t<std::is_const_v<NodeT>, const T, T>&>(node);
}

template <typename NodeT, typename Fn>
void ForEachSelector(NodeT& node, Fn&& fn) {
  using promql::NodeKind;
  switch (node.kind) {
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral:
      return;
    case NodeKind::kVectorSelector:
      fn(As<promql::VectorSelector>(node));
      return;
    case NodeKind::kMatrixSelector:
      ForEachSelector(*As<promql::MatrixSelector>(node).selector, fn);
      return;
    case NodeKind::kSubquery:
      ForEachSelector(*As<promql::SubqueryExpr>(node).expr, fn);
      return;
    case NodeKind::kCall:
      for (auto& a : As<promql::Call>(node).args) ForEachSelector(*a, fn);
      return;
    case NodeKind::kAggregate: {
      auto& agg = As<promql::AggregateExpr>(node);
      ForEachSelector(*agg.expr, fn);
      if (agg.param) ForEachSelector(*agg.param, fn);
      return;
    }
    case NodeKind::kBinary: {
      auto& bin = As<promql::BinaryExpr>(node);
      ForEachSelector(*bin.lhs, fn);
      ForEachSelector(*bin.rhs, fn);
      return;
    }
    case NodeKind::kUnary:
      ForEachSelector(*As<promql::UnaryExpr>(node).expr, fn);
      return;
    case NodeKind::kParen:
      ForEachSelector(*As<promql::ParenExpr>(node).expr, fn);
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
      return Status::InvalidArgument(fmt::format("missing '=' in extra_label={}", Quote(el)));
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
    if (!m.ok()) return Status::InvalidArgument(fmt::format("cannot parse extra_filters[]={}: {}", Quote(f), m.status().message()));
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
  ForEachSelector(expr, [&](const promql::VectorSelector&) { found = true; });
  return found;
}

}  // namespace sremon::api
