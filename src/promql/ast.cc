// Canonical printers (Prometheus promql/parser/printer.go), the function table and names.
#include "promql/ast.h"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "util/strings.h"
#include "util/time.h"

namespace sremon::promql {

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kScalar: return "scalar";
    case ValueType::kVector: return "instant vector";
    case ValueType::kMatrix: return "range vector";
    case ValueType::kString: return "string";
    case ValueType::kNone: break;
  }
  return "none";
}

std::string_view AggOpName(AggOp op) {
  static constexpr std::string_view kNames[] = {"sum",    "avg",    "count", "min",  "max",          "group",
                                                "stddev", "stdvar", "topk",  "bottomk", "count_values", "quantile"};
  return kNames[static_cast<int>(op)];
}

std::string_view BinOpName(BinOp op) {
  static constexpr std::string_view kNames[] = {"+",  "-",  "*", "/",  "%",  "^",   "atan2", "==",
                                                "!=", ">",  "<", ">=", "<=", "and", "or",    "unless"};
  return kNames[static_cast<int>(op)];
}

bool IsComparison(BinOp op) { return op >= BinOp::kEql && op <= BinOp::kLte; }
bool IsSetOperator(BinOp op) { return op == BinOp::kAnd || op == BinOp::kOr || op == BinOp::kUnless; }

ValueType BinaryExpr::type() const {
  if (lhs->type() == ValueType::kScalar && rhs->type() == ValueType::kScalar) return ValueType::kScalar;
  return ValueType::kVector;
}

namespace {

std::string FormatOffsetAndAt(int64_t offset_ms, AtModifier at, int64_t at_ms) {
  std::string out;
  if (at == AtModifier::kTimestamp) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), " @ %.3f", static_cast<double>(at_ms) / 1000.0);
    out += buf;
  } else if (at == AtModifier::kStart) {
    out += " @ start()";
  } else if (at == AtModifier::kEnd) {
    out += " @ end()";
  }
  if (offset_ms > 0) {
    out += " offset " + FormatDurationMs(offset_ms);
  } else if (offset_ms < 0) {
    out += " offset -" + FormatDurationMs(-offset_ms);
  }
  return out;
}

std::string SelectorBody(const VectorSelector& vs) {
  std::vector<std::string> parts;
  for (const auto& m : vs.matchers) {
    if (m.name() == model::kMetricName && m.type() == model::MatchType::kEqual && m.value() == vs.name) continue;
    static constexpr const char* kOps[] = {"=", "!=", "=~", "!~"};
    parts.push_back(m.name() + kOps[static_cast<int>(m.type())] + Quote(m.value()));
  }
  if (parts.empty()) return vs.name;
  std::sort(parts.begin(), parts.end());
  return vs.name + "{" + Join(parts, ",") + "}";
}

}  // namespace

std::string NumberLiteral::String() const { return FormatFloatG(value); }
std::string StringLiteral::String() const { return Quote(value); }

std::string VectorSelector::String() const {
  return SelectorBody(*this) + FormatOffsetAndAt(offset_ms, at, at_ms);
}

std::string MatrixSelector::String() const {
  const VectorSelector& v = vs();
  return SelectorBody(v) + "[" + FormatDurationMs(range_ms) + "]" + FormatOffsetAndAt(v.offset_ms, v.at, v.at_ms);
}

std::string SubqueryExpr::String() const {
  return expr->String() + "[" + FormatDurationMs(range_ms) + ":" + (step_ms ? FormatDurationMs(step_ms) : "") +
         "]" + FormatOffsetAndAt(offset_ms, at, at_ms);
}

std::string Call::String() const {
  std::string out = func->name + "(";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) out += ", ";
    out += args[i]->String();
  }
  return out + ")";
}

std::string AggregateExpr::String() const {
  std::string out(AggOpName(op));
  if (without) {
    out += " without (" + Join(grouping, ", ") + ") ";
  } else if (!grouping.empty()) {
    out += " by (" + Join(grouping, ", ") + ") ";
  }
  out += "(";
  if (param) out += param->String() + ", ";
  return out + expr->String() + ")";
}

std::string BinaryExpr::String() const {
  std::string out = lhs->String() + " " + std::string(BinOpName(op));
  if (return_bool) out += " bool";
  if (matching && (!matching->matching_labels.empty() || matching->on)) {
    out += matching->on ? " on (" : " ignoring (";
    out += Join(matching->matching_labels, ", ") + ")";
    if (matching->card == Cardinality::kManyToOne || matching->card == Cardinality::kOneToMany) {
      out += matching->card == Cardinality::kManyToOne ? " group_left (" : " group_right (";
      out += Join(matching->include, ", ") + ")";
    }
  }
  return out + " " + rhs->String();
}

std::string UnaryExpr::String() const { return (negate ? "-" : "+") + expr->String(); }
std::string ParenExpr::String() const { return "(" + expr->String() + ")"; }

namespace {

std::string Indent(int level) { return std::string(2 * level, ' '); }

std::string MatchingString(const BinaryExpr& b) {
  const auto& vm = b.matching;
  std::string out;
  if (vm && (!vm->matching_labels.empty() || vm->on)) {
    out += vm->on ? " on (" : " ignoring (";
    out += Join(vm->matching_labels, ", ") + ")";
    if (vm->card == Cardinality::kManyToOne || vm->card == Cardinality::kOneToMany) {
      out += vm->card == Cardinality::kManyToOne ? " group_left (" : " group_right (";
      out += Join(vm->include, ", ") + ")";
    }
  }
  return out;
}

std::string AggOpString(const AggregateExpr& a) {
  std::string out(AggOpName(a.op));
  if (a.without) {
    out += " without (" + Join(a.grouping, ", ") + ") ";
  } else if (!a.grouping.empty()) {
    out += " by (" + Join(a.grouping, ", ") + ") ";
  }
  return out;
}

std::string Pretty(const Node& n, int level) {
  std::string flat = n.String();
  bool split = flat.size() > 100;
  switch (n.kind) {
    case NodeKind::kAggregate: {
      if (!split) return Indent(level) + flat;
      const auto& a = static_cast<const AggregateExpr&>(n);
      std::string s = Indent(level) + AggOpString(a) + "(\n";
      if (a.param) s += Pretty(*a.param, level + 1) + ",\n";
      return s + Pretty(*a.expr, level + 1) + "\n" + Indent(level) + ")";
    }
    case NodeKind::kBinary: {
      if (!split) return Indent(level) + flat;
      const auto& b = static_cast<const BinaryExpr&>(n);
      return Pretty(*b.lhs, level + 1) + "\n" + Indent(level) + std::string(BinOpName(b.op)) +
             (b.return_bool ? " bool" : "") + MatchingString(b) + "\n" + Pretty(*b.rhs, level + 1);
    }
    case NodeKind::kCall: {
      if (!split) return Indent(level) + flat;
      const auto& c = static_cast<const Call&>(n);
      std::string args;
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i) args += ",\n";
        args += Pretty(*c.args[i], level + 1);
      }
      return Indent(level) + c.func->name + "(\n" + args + "\n" + Indent(level) + ")";
    }
    case NodeKind::kParen: {
      if (!split) return Indent(level) + flat;
      return Indent(level) + "(\n" + Pretty(*static_cast<const ParenExpr&>(n).expr, level + 1) + "\n" +
             Indent(level) + ")";
    }
    case NodeKind::kSubquery: {
      if (!split) return flat;
      const auto& sq = static_cast<const SubqueryExpr&>(n);
      std::string inner = sq.expr->String();
      return Pretty(*sq.expr, level) + flat.substr(inner.size());
    }
    case NodeKind::kUnary: {
      const auto& u = static_cast<const UnaryExpr&>(n);
      std::string child(Trim(Pretty(*u.expr, level)));
      return Indent(level) + (u.negate ? "-" : "+") + child;
    }
    default: return Indent(level) + flat;
  }
}

}  // namespace

std::string Prettify(const Node& n) { return Pretty(n, 0); }

const std::unordered_map<std::string_view, FunctionDef>& Functions() {
  using VT = ValueType;
  constexpr VT S = VT::kScalar, V = VT::kVector, M = VT::kMatrix, Str = VT::kString;
  static const auto* kTable = [] {
    auto* t = new std::unordered_map<std::string_view, FunctionDef>;
    auto add = [&](const char* n, std::vector<VT> args, int variadic, VT ret) {
      (*t)[n] = FunctionDef{n, std::move(args), variadic, ret};
    };
    for (const char* n : {"abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn", "acos", "acosh",
                          "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg",
                          "rad", "sort", "sort_desc", "timestamp", "absent"}) {
      add(n, {V}, 0, V);
    }
    for (const char* n : {"rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes",
                          "avg_over_time", "min_over_time", "max_over_time", "sum_over_time",
                          "count_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
                          "present_over_time", "absent_over_time"}) {
      add(n, {M}, 0, V);
    }
    for (const char* n : {"day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute",
                          "month", "year"}) {
      add(n, {V}, 1, V);
    }
    add("round", {V, S}, 1, V);
    add("clamp", {V, S, S}, 0, V);
    add("clamp_min", {V, S}, 0, V);
    add("clamp_max", {V, S}, 0, V);
    add("pi", {}, 0, S);
    add("time", {}, 0, S);
    add("vector", {S}, 0, V);
    add("scalar", {V}, 0, S);
    add("histogram_quantile", {S, V}, 0, V);
    // Native-histogram functions: they exist (so queries parse) and select nothing from floats.
    add("histogram_count", {V}, 0, V);
    add("histogram_sum", {V}, 0, V);
    add("histogram_fraction", {S, S, V}, 0, V);
    add("holt_winters", {M, S, S}, 0, V);
    add("predict_linear", {M, S}, 0, V);
    add("quantile_over_time", {S, M}, 0, V);
    add("label_replace", {V, Str, Str, Str, Str}, 0, V);
    add("label_join", {V, Str, Str, Str}, -1, V);
    return t;
  }();
  return *kTable;
}

const FunctionDef* LookupFunction(std::string_view name) {
  auto it = Functions().find(name);
  return it == Functions().end() ? nullptr : &it->second;
}

}  // namespace sremon::promql
