// The PromQL abstract syntax tree (Prometheus promql/parser/ast.go), produced by ParseExpr()
// (parser.cc) and evaluated by the Engine (engine.h). Nodes are immutable after parsing and may
// be shared across threads read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/labels.h"
#include "util/status.h"

namespace sremon::promql {

enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };
std::string_view ValueTypeName(ValueType t);  // "scalar", "instant vector", "range vector", "string"

enum class NodeKind {
  kNumberLiteral,
  kStringLiteral,
  kVectorSelector,
  kMatrixSelector,
  kSubquery,
  kCall,
  kAggregate,
  kBinary,
  kUnary,
  kParen,
};

// Byte offsets into the query text, for error messages ("1:12: parse error: ...").
struct PositionRange {
  int start = 0;
  int end = 0;
};

struct Node {
  explicit Node(NodeKind k) : kind(k) {}
  virtual ~Node() = default;
  NodeKind kind;
  PositionRange pos;
  virtual ValueType type() const = 0;
  // Canonical text, as Prometheus's String() / format_query prints it.
  virtual std::string String() const = 0;
};
using NodePtr = std::unique_ptr<Node>;

struct NumberLiteral final : Node {
  NumberLiteral() : Node(NodeKind::kNumberLiteral) {}
  double value = 0;
  ValueType type() const override { return ValueType::kScalar; }
  std::string String() const override;
};

struct StringLiteral final : Node {
  StringLiteral() : Node(NodeKind::kStringLiteral) {}
  std::string value;
  ValueType type() const override { return ValueType::kString; }
  std::string String() const override;
};

// The @ modifier: a fixed timestamp, or start()/end() of the query.
enum class AtModifier { kNone, kTimestamp, kStart, kEnd };

struct VectorSelector final : Node {
  VectorSelector() : Node(NodeKind::kVectorSelector) {}
  std::string name;  // metric name if given outside the braces (also present in matchers)
  std::vector<model::Matcher> matchers;  // includes __name__="name" when name is set
  int64_t offset_ms = 0;                 // may be negative
  AtModifier at = AtModifier::kNone;
  int64_t at_ms = 0;  // for kTimestamp
  ValueType type() const override { return ValueType::kVector; }
  std::string String() const override;
};

struct MatrixSelector final : Node {
  MatrixSelector() : Node(NodeKind::kMatrixSelector) {}
  NodePtr selector;  // a VectorSelector (offset/@ live there)
  int64_t range_ms = 0;
  const VectorSelector& vs() const { return static_cast<const VectorSelector&>(*selector); }
  ValueType type() const override { return ValueType::kMatrix; }
  std::string String() const override;
};

struct SubqueryExpr final : Node {
  SubqueryExpr() : Node(NodeKind::kSubquery) {}
  NodePtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // 0 = the engine's default evaluation interval
  int64_t offset_ms = 0;
  AtModifier at = AtModifier::kNone;
  int64_t at_ms = 0;
  ValueType type() const override { return ValueType::kMatrix; }
  std::string String() const override;
};

struct FunctionDef {
  std::string name;
  std::vector<ValueType> arg_types;
  int variadic = 0;  // 0: exactly arg_types; -1: any number of the last type; n>0: up to n optional
  ValueType return_type = ValueType::kVector;
};
// Every function's signature by name (Prometheus parser.Functions); the implementations are
// functions.cc's table (FunctionCalls), which must name the same functions.
const std::unordered_map<std::string_view, FunctionDef>& Functions();
// nullptr when the function does not exist.
const FunctionDef* LookupFunction(std::string_view name);

struct Call final : Node {
  Call() : Node(NodeKind::kCall) {}
  const FunctionDef* func = nullptr;
  std::vector<NodePtr> args;
  ValueType type() const override { return func->return_type; }
  std::string String() const override;
};

enum class AggOp { kSum, kAvg, kCount, kMin, kMax, kGroup, kStddev, kStdvar, kTopk, kBottomk, kCountValues, kQuantile };
std::string_view AggOpName(AggOp op);

struct AggregateExpr final : Node {
  AggregateExpr() : Node(NodeKind::kAggregate) {}
  AggOp op = AggOp::kSum;
  NodePtr expr;
  NodePtr param;  // topk/bottomk/quantile/count_values
  std::vector<std::string> grouping;
  bool without = false;
  ValueType type() const override { return ValueType::kVector; }
  std::string String() const override;
};

enum class BinOp { kAdd, kSub, kMul, kDiv, kMod, kPow, kAtan2, kEql, kNeq, kGtr, kLss, kGte, kLte, kAnd, kOr, kUnless };
std::string_view BinOpName(BinOp op);  // "+", "==", "and", "atan2"...
bool IsComparison(BinOp op);
bool IsSetOperator(BinOp op);

enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  std::vector<std::string> matching_labels;  // on(...) or ignoring(...)
  bool on = false;
  std::vector<std::string> include;  // group_left/group_right extra labels
};

struct BinaryExpr final : Node {
  BinaryExpr() : Node(NodeKind::kBinary) {}
  BinOp op = BinOp::kAdd;
  NodePtr lhs, rhs;
  // Set when both sides are vectors (set operators default to many-to-many).
  std::optional<VectorMatching> matching;
  bool return_bool = false;
  ValueType type() const override;
  std::string String() const override;
};

struct UnaryExpr final : Node {
  UnaryExpr() : Node(NodeKind::kUnary) {}
  bool negate = true;  // false for unary plus
  NodePtr expr;
  ValueType type() const override { return expr->type(); }
  std::string String() const override;
};

struct ParenExpr final : Node {
  ParenExpr() : Node(NodeKind::kParen) {}
  NodePtr expr;
  ValueType type() const override { return expr->type(); }
  std::string String() const override;
};

// Prometheus 2.42 parser.Prettify (what /api/v1/format_query returns): String() when it fits in
// 100 characters, else one operand or argument per line, indented by two spaces per level.
std::string Prettify(const Node& n);

// Parses a PromQL expression. Errors read like Prometheus 2.42's:
// "1:12: parse error: unexpected <op:*>" (InvalidArgument).
Result<NodePtr> ParseExpr(std::string_view input);
// Parses a series selector for match[] (`up{job="a"}`, `{__name__=~"x.*"}`). As in Prometheus,
// `{}` or only empty-matching matchers parse: callers that select with them check that
// (api::ParseMatchSets does, with Prometheus's text).
Result<std::vector<model::Matcher>> ParseMetricSelector(std::string_view input);
// Parses "metric{a="b"} 1 2 3" style values are the test runner's business, not the parser's.

}  // namespace sremon::promql
