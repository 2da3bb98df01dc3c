#include "promql/promqltest.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <re2/re2.h>

#include "promql/ast.h"
#include "promql/engine.h"
#include "promql/eval.h"
#include "storage/mem_storage.h"
#include "util/go_compat.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::promql {

int ScriptResult::passed() const {
  int n = 0;
  for (const auto& c : cases) n += c.pass ? 1 : 0;
  return n;
}

int ScriptResult::failed() const {
  int n = file_error.ok() ? 0 : 1;
  for (const auto& c : cases) n += c.pass ? 0 : 1;
  return n;
}

namespace {

// Bounds one value-sequence item, so a hostile file cannot ask for billions of samples.
constexpr uint64_t kMaxExpansion = 10'000'000;

struct SyntaxError {
  int line;
  std::string msg;
};

std::string_view TrimWs(std::string_view s) {
  size_t a = 0, b = s.size();
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n'; };
  while (a < b && ws(s[a])) ++a;
  while (b > a && ws(s[b - 1])) --b;
  return s.substr(a, b - a);
}

bool IsWs(char c) { return c == ' ' || c == '\t'; }

Result<int64_t> ParseTestDuration(std::string_view s) {
  if (s == "0") return int64_t{0};
  return ParseDurationMs(s);
}

// Go: ParseInt(s, 0, 64), then ParseFloat(s, 64).
std::optional<double> ParseGoNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string str(s);
  errno = 0;
  char* end = nullptr;
  long long i = std::strtoll(str.c_str(), &end, 0);
  if (errno == 0 && end && *end == '\0' && !IsWs(str[0])) return static_cast<double>(i);
  auto f = ParseFloat(s);
  if (f.ok()) return *f;
  return std::nullopt;
}

// A series descriptor: metric{l="v", ...}. Returns the labels and the rest of the line.
model::Labels ParseDescriptor(std::string_view line, std::string_view* rest, int lineno) {
  std::vector<model::Label> labels;
  size_t i = 0;
  auto is_name = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
  while (i < line.size() && is_name(line[i])) ++i;
  if (i > 0) labels.push_back({std::string(model::kMetricName), std::string(line.substr(0, i))});
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      while (i < line.size() && IsWs(line[i])) ++i;
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      size_t ns = i;
      while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_')) ++i;
      std::string name(line.substr(ns, i - ns));
      while (i < line.size() && IsWs(line[i])) ++i;
      if (name.empty() || i >= line.size() || line[i] != '=') {
        throw SyntaxError{lineno, fmt::format("invalid series descriptor: {}", line)};
      }
      ++i;
      while (i < line.size() && IsWs(line[i])) ++i;
      if (i >= line.size()) throw SyntaxError{lineno, fmt::format("invalid series descriptor: {}", line)};
      char q = line[i];
      size_t vs = i++;
      while (i < line.size() && line[i] != q) {
        if (line[i] == '\\' && q != '`') ++i;
        ++i;
      }
      if (i >= line.size()) throw SyntaxError{lineno, fmt::format("unterminated label value: {}", line)};
      ++i;
      auto v = UnquotePromQL(line.substr(vs, i - vs));
      if (!v.ok()) throw SyntaxError{lineno, fmt::format("invalid label value in: {}", line)};
      labels.push_back({name, *v});
      while (i < line.size() && IsWs(line[i])) ++i;
      if (i < line.size() && line[i] == ',') ++i;
    }
  }
  if (i == 0) throw SyntaxError{lineno, fmt::format("invalid series descriptor: {}", line)};
  *rest = TrimWs(line.substr(i));
  return model::Labels(std::move(labels));
}

// One value sequence item, expanded into slots (nullopt = empty slot).
void ExpandItem(std::string_view item, std::vector<std::optional<double>>* out, int lineno) {
  auto bad = [&]() { return SyntaxError{lineno, fmt::format("invalid value sequence item {}", Quote(std::string(item)))}; };
  auto parse_uint = [&](std::string_view s) -> uint64_t {
    if (s.empty()) throw bad();
    uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') throw bad();
      v = v * 10 + (c - '0');
    }
    return v;
  };
  if (item == "_") {
    out->push_back(std::nullopt);
    return;
  }
  if (item.substr(0, 2) == "_x") {
    uint64_t n = parse_uint(item.substr(2));
    if (n > kMaxExpansion) throw SyntaxError{lineno, fmt::format("expansion {} is too large", Quote(std::string(item)))};
    for (uint64_t k = 0; k < n; ++k) out->push_back(std::nullopt);
    return;
  }
  if (ToLower(item) == "stale") {
    out->push_back(model::StaleNaN());
    return;
  }
  // value := [+-] number; number: decimal or Inf/NaN.
  size_t i = 0;
  auto scan_number = [&](size_t from) -> size_t {
    size_t j = from;
    if (j < item.size() && (item[j] == '+' || item[j] == '-')) ++j;
    std::string lower = ToLower(item.substr(j, 3));
    if (lower == "inf" || lower == "nan") return j + 3;
    while (j < item.size() && (std::isdigit(static_cast<unsigned char>(item[j])) || item[j] == '.')) ++j;
    if (j < item.size() && (item[j] == 'e' || item[j] == 'E')) {
      size_t k = j + 1;
      if (k < item.size() && (item[k] == '+' || item[k] == '-')) ++k;
      if (k < item.size() && std::isdigit(static_cast<unsigned char>(item[k]))) {
        j = k;
        while (j < item.size() && std::isdigit(static_cast<unsigned char>(item[j]))) ++j;
      }
    }
    return j;
  };
  i = scan_number(0);
  auto value = ParseGoNumber(item.substr(0, i));
  if (!value) throw bad();
  if (i == item.size()) {
    out->push_back(*value);
    return;
  }
  double delta = 0;
  if (item[i] == '+' || item[i] == '-') {
    bool neg = item[i] == '-';
    size_t j = scan_number(i + 1);
    auto d = ParseGoNumber(item.substr(i + 1, j - i - 1));
    if (!d) throw bad();
    delta = neg ? -*d : *d;
    i = j;
  }
  if (i >= item.size() || item[i] != 'x') throw bad();
  uint64_t times = parse_uint(item.substr(i + 1));
  if (times > kMaxExpansion) throw SyntaxError{lineno, fmt::format("expansion {} is too large", Quote(std::string(item)))};
  double v = *value;
  for (uint64_t k = 0; k <= times; ++k) {
    out->push_back(v);
    v += delta;
  }
}

std::vector<std::optional<double>> ParseValues(std::string_view s, int lineno) {
  std::vector<std::optional<double>> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsWs(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !IsWs(s[j])) ++j;
    if (j > i) ExpandItem(s.substr(i, j - i), &out, lineno);
    i = j;
  }
  return out;
}

// FORMAT.md section 7.
bool Close(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  double diff = std::fabs(a - b);
  constexpr double kEps = 1e-6, kMinNormal = 2.2250738585072014e-308;
  if (a == 0 || b == 0 || diff < kMinNormal) return diff < kEps * kMinNormal;
  return diff / (std::fabs(a) + std::fabs(b)) < kEps;
}

struct ExpectedSample {
  double value;
  int index;  // 1-based position in the block
};

struct Expectation {
  std::optional<double> scalar;
  std::map<model::Labels, ExpectedSample> vec;
};

std::string LabelsText(const model::Labels& ls) { return internal::LabelsString(ls); }

// Compares an instant result to the expectation; returns "" when it matches.
std::string Compare(const Value& v, const Expectation& exp, bool ordered) {
  if (std::holds_alternative<Matrix>(v)) return "received range result on instant evaluation";
  if (std::holds_alternative<String>(v)) return "received string result on instant evaluation";
  if (const auto* s = std::get_if<Scalar>(&v)) {
    if (!exp.scalar) return fmt::format("expected vector result, got scalar {}", FormatFloatG(s->v));
    if (!Close(*exp.scalar, s->v)) {
      return fmt::format("expected scalar {} but got {}", FormatFloatG(*exp.scalar), FormatFloatG(s->v));
    }
    return "";
  }
  const Vector& vec = std::get<Vector>(v);
  if (exp.scalar) return fmt::format("expected scalar {}, got vector of {} elements", FormatFloatG(*exp.scalar), vec.size());
  std::map<model::Labels, bool> seen;
  for (size_t k = 0; k < vec.size(); ++k) {
    auto it = exp.vec.find(vec[k].metric);
    if (it == exp.vec.end()) {
      return fmt::format("unexpected metric {} in result (value {})", LabelsText(vec[k].metric), FormatFloatG(vec[k].v));
    }
    if (ordered && it->second.index != static_cast<int>(k) + 1) {
      return fmt::format("expected metric {} with value {} at position {} but was at {}", LabelsText(vec[k].metric),
                         FormatFloatG(it->second.value), it->second.index, k + 1);
    }
    if (!Close(it->second.value, vec[k].v)) {
      return fmt::format("expected {} for {} but got {}", FormatFloatG(it->second.value), LabelsText(vec[k].metric),
                         FormatFloatG(vec[k].v));
    }
    seen[vec[k].metric] = true;
  }
  for (const auto& [ls, e] : exp.vec) {
    if (!seen.count(ls)) return fmt::format("expected metric {} with value {} not found", LabelsText(ls), FormatFloatG(e.value));
  }
  return "";
}

const char* kUnsafeFunctions[] = {"time",         "timestamp",     "predict_linear", "minute", "hour", "day_of_week",
                                  "day_of_month", "day_of_year", "days_in_month",  "month",  "year"};

// FORMAT.md 8(a): sets @ t on the outermost selectors and subqueries. Returns false when the
// expression calls a function whose value depends on the evaluation time.
bool AddAtModifiers(Node* n, int64_t t, bool under_at_subquery) {
  if (under_at_subquery) return true;
  switch (n->kind) {
    case NodeKind::kVectorSelector: {
      auto* vs = static_cast<VectorSelector*>(n);
      if (vs->at == AtModifier::kNone) {
        vs->at = AtModifier::kTimestamp;
        vs->at_ms = t;
      }
      return true;
    }
    case NodeKind::kMatrixSelector:
      return AddAtModifiers(static_cast<MatrixSelector*>(n)->selector.get(), t, false);
    case NodeKind::kSubquery: {
      auto* sq = static_cast<SubqueryExpr*>(n);
      if (sq->at == AtModifier::kNone) {
        sq->at = AtModifier::kTimestamp;
        sq->at_ms = t;
      }
      return true;  // children have an ancestor subquery with @
    }
    case NodeKind::kCall: {
      auto* c = static_cast<Call*>(n);
      bool safe = true;
      for (const char* f : kUnsafeFunctions) {
        if (c->func->name == f) safe = false;
      }
      for (auto& a : c->args) safe = AddAtModifiers(a.get(), t, false) && safe;
      return safe;
    }
    case NodeKind::kAggregate: {
      auto* a = static_cast<AggregateExpr*>(n);
      bool safe = true;
      if (a->param) safe = AddAtModifiers(a->param.get(), t, false);
      return AddAtModifiers(a->expr.get(), t, false) && safe;
    }
    case NodeKind::kBinary: {
      auto* b = static_cast<BinaryExpr*>(n);
      bool l = AddAtModifiers(b->lhs.get(), t, false);
      return AddAtModifiers(b->rhs.get(), t, false) && l;
    }
    case NodeKind::kUnary: return AddAtModifiers(static_cast<UnaryExpr*>(n)->expr.get(), t, false);
    case NodeKind::kParen: return AddAtModifiers(static_cast<ParenExpr*>(n)->expr.get(), t, false);
    default: return true;
  }
}

class ScriptRunner {
 public:
  explicit ScriptRunner(const ScriptOptions& opts) : opts_(opts) {
    EngineOptions eo;
    eo.lookback_delta_ms = 5 * 60 * 1000;
    eo.default_subquery_step_ms = 60 * 1000;
    eo.timeout = std::chrono::milliseconds(100'000);
    engine_ = std::make_unique<Engine>(eo);
  }

  ScriptResult Run(std::string_view content) {
    std::vector<std::string_view> lines;
    for (auto l : Split(content, '\n')) {
      l = TrimWs(l);
      if (!l.empty() && l[0] == '#') l = {};
      lines.push_back(l);
    }
    try {
      size_t i = 0;
      while (i < lines.size()) {
        std::string_view l = lines[i];
        if (l.empty()) {
          ++i;
          continue;
        }
        size_t sp = 0;
        while (sp < l.size() && !IsWs(l[sp])) ++sp;
        std::string cmd = ToLower(l.substr(0, sp));
        size_t end = i + 1;
        while (end < lines.size() && !lines[end].empty()) ++end;
        int lineno = static_cast<int>(i) + 1;
        std::vector<std::string_view> block(lines.begin() + i + 1, lines.begin() + end);
        if (cmd == "clear") {
          db_ = std::make_unique<storage::MemStorage>();
          i += 1;
          continue;
        }
        if (cmd == "load") {
          Load(l, block, lineno);
        } else if (cmd.rfind("eval", 0) == 0) {
          end = Eval(l, lines, i);
        } else {
          throw SyntaxError{lineno, fmt::format("invalid command {}", Quote(std::string(l.substr(0, sp))))};
        }
        i = end;
      }
    } catch (const SyntaxError& e) {
      result_.file_error = Status::InvalidArgument(fmt::format("line {}: {}", e.line, e.msg));
    }
    return std::move(result_);
  }

 private:
  void Load(std::string_view header, const std::vector<std::string_view>& block, int lineno) {
    std::string_view step_text = TrimWs(header.substr(4));
    auto step = ParseTestDuration(step_text);
    if (!step.ok()) throw SyntaxError{lineno, fmt::format("invalid step definition {}", Quote(std::string(step_text)))};
    std::map<model::Labels, std::vector<std::optional<double>>> series;
    for (size_t k = 0; k < block.size(); ++k) {
      std::string_view rest;
      model::Labels ls = ParseDescriptor(block[k], &rest, lineno + 1 + static_cast<int>(k));
      series[ls] = ParseValues(rest, lineno + 1 + static_cast<int>(k));
    }
    auto app = db_->NewAppender();
    for (const auto& [ls, vals] : series) {
      for (size_t s = 0; s < vals.size(); ++s) {
        if (!vals[s]) continue;
        Status st = app->Append(ls, static_cast<int64_t>(s) * *step, *vals[s]);
        if (!st.ok()) throw SyntaxError{lineno, st.message()};
      }
    }
    Status st = app->Commit();
    if (!st.ok()) throw SyntaxError{lineno, st.message()};
  }

  // Returns the index of the first line after the command's block.
  size_t Eval(std::string_view header, const std::vector<std::string_view>& lines, size_t at) {
    int lineno = static_cast<int>(at) + 1;
    static const re2::RE2 kInstant(R"(^eval(?:_(fail|ordered))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$)");
    static const re2::RE2 kRange(
        R"(^eval(?:_(fail|ordered))?\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.+)$)");
    std::string mod, at_text, expr, from, to, step;
    bool range = false;
    if (re2::RE2::FullMatch(header, kRange, &mod, &from, &to, &step, &expr)) {
      range = true;
    } else if (!re2::RE2::FullMatch(header, kInstant, &mod, &at_text, &expr)) {
      throw SyntaxError{lineno, fmt::format("invalid evaluation command {}", Quote(std::string(header)))};
    }
    // The expected block.
    size_t end = at + 1;
    std::vector<std::pair<std::string_view, int>> block;
    while (end < lines.size() && !lines[end].empty()) {
      block.push_back({lines[end], static_cast<int>(end) + 1});
      ++end;
      if (!range && ParseGoNumber(block.back().first)) break;  // a scalar ends the block
    }
    ScriptCase c;
    c.line = lineno;
    c.expr = expr;
    auto parsed = ParseExpr(expr);
    if (!parsed.ok()) {
      throw SyntaxError{lineno, fmt::format("error parsing query {}: {}", Quote(expr), parsed.status().message())};
    }
    if (range) {
      c.error = EvalRange(expr, mod, from, to, step, block);
    } else {
      auto t = ParseTestDuration(at_text);
      if (!t.ok()) throw SyntaxError{lineno, fmt::format("invalid evaluation time {}", Quote(at_text))};
      Expectation exp;
      int idx = 0;
      for (const auto& [l, ln] : block) {
        ++idx;
        if (auto num = ParseGoNumber(l)) {
          exp.scalar = *num;
          continue;
        }
        std::string_view rest;
        model::Labels ls = ParseDescriptor(l, &rest, ln);
        auto vals = ParseValues(rest, ln);
        if (vals.size() != 1 || !vals[0]) throw SyntaxError{ln, "expected exactly one value in result line"};
        exp.vec[ls] = ExpectedSample{*vals[0], idx};
      }
      c.error = EvalInstant(expr, mod, *t, exp);
    }
    c.pass = c.error.empty();
    result_.cases.push_back(std::move(c));
    return end;
  }

  // One instant evaluation plus the runner's extra checks; "" on success.
  std::string EvalInstant(const std::string& expr, const std::string& mod, int64_t t, const Expectation& exp) {
    bool fail = mod == "fail", ordered = mod == "ordered";
    auto parsed = ParseExpr(expr);
    std::vector<std::pair<const Node*, int64_t>> runs = {{parsed->get(), t}};
    NodePtr at_expr;
    if (opts_.at_modifier_variants) {
      auto copy = ParseExpr(expr);
      if (AddAtModifiers(copy->get(), t, false)) {
        at_expr = std::move(*copy);
        std::vector<int64_t> times = t != 0 ? std::vector<int64_t>{-10 * t, 0, t / 5, t, 10 * t}
                                            : std::vector<int64_t>{-1000, 0, 1000};
        for (int64_t et : times) runs.push_back({at_expr.get(), et});
      }
    }
    for (size_t r = 0; r < runs.size(); ++r) {
      const auto& [node, et] = runs[r];
      std::string what = r == 0 ? "" : fmt::format(" (as {} at {}ms)", node->String(), et);
      auto res = engine_->InstantQueryExpr(*db_, *node, et);
      if (!res.ok()) {
        if (fail) continue;
        return fmt::format("error evaluating query{}: {}", what, res.status().message());
      }
      if (fail) return fmt::format("expected error evaluating query{} but got none", what);
      std::string err = Compare(res->value, exp, ordered);
      if (!err.empty()) return err + what;
      if (!opts_.range_check) continue;
      auto rr = engine_->RangeQueryExpr(*db_, *node, et - 60000, et + 60000, 60000);
      if (!rr.ok()) return fmt::format("error evaluating query{} in range mode: {}", what, rr.status().message());
      if (ordered) continue;
      Vector vec;
      for (const auto& s : std::get<Matrix>(rr->value)) {
        for (const auto& p : s.points) {
          if (p.t == et) {
            vec.push_back(VectorSample{s.metric, p.t, p.v});
            break;
          }
        }
      }
      if (std::holds_alternative<Scalar>(res->value)) {
        if (vec.empty()) return "range mode returned no point for a scalar" + what;
        err = Compare(Scalar{et, vec[0].v}, exp, false);
      } else {
        err = Compare(vec, exp, false);
      }
      if (!err.empty()) return "range mode: " + err + what;
    }
    return "";
  }

  std::string EvalRange(const std::string& expr, const std::string& mod, const std::string& from,
                        const std::string& to, const std::string& step,
                        const std::vector<std::pair<std::string_view, int>>& block) {
    auto t0 = ParseTestDuration(from), t1 = ParseTestDuration(to), st = ParseTestDuration(step);
    if (!t0.ok() || !t1.ok() || !st.ok()) throw SyntaxError{block.empty() ? 0 : block[0].second, "invalid range"};
    auto res = engine_->RangeQuery(*db_, expr, *t0, *t1, *st);
    if (mod == "fail") return res.ok() ? "expected error evaluating query but got none" : "";
    if (!res.ok()) return fmt::format("error evaluating query: {}", res.status().message());
    std::map<model::Labels, std::vector<std::optional<double>>> want;
    for (const auto& [l, ln] : block) {
      std::string_view rest;
      model::Labels ls = ParseDescriptor(l, &rest, ln);
      want[ls] = ParseValues(rest, ln);
    }
    const Matrix& m = std::get<Matrix>(res->value);
    std::map<model::Labels, bool> seen;
    for (const auto& s : m) {
      auto it = want.find(s.metric);
      if (it == want.end()) return fmt::format("unexpected series {}", LabelsText(s.metric));
      seen[s.metric] = true;
      std::vector<std::optional<double>> got;
      size_t k = 0;
      for (int64_t t = *t0; t <= *t1; t += *st) {
        if (k < s.points.size() && s.points[k].t == t) {
          got.push_back(s.points[k++].v);
        } else {
          got.push_back(std::nullopt);
        }
      }
      const auto& w = it->second;
      for (size_t i = 0; i < std::max(got.size(), w.size()); ++i) {
        std::optional<double> a = i < w.size() ? w[i] : std::nullopt;
        std::optional<double> b = i < got.size() ? got[i] : std::nullopt;
        if (a.has_value() != b.has_value() || (a && !Close(*a, *b))) {
          return fmt::format("series {} step {}: expected {} got {}", LabelsText(s.metric), i,
                             a ? FormatFloatG(*a) : "_", b ? FormatFloatG(*b) : "_");
        }
      }
    }
    for (const auto& [ls, v] : want) {
      if (!seen.count(ls)) return fmt::format("expected series {} not found", LabelsText(ls));
    }
    return "";
  }

  ScriptOptions opts_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<storage::MemStorage> db_ = std::make_unique<storage::MemStorage>();
  ScriptResult result_;
};

}  // namespace

ScriptResult RunScript(std::string_view content, const ScriptOptions& options) {
  ScriptRunner r(options);
  return r.Run(content);
}

}  // namespace sremon::promql
