// PromQL lexer and recursive-descent parser (Prometheus promql/parser: lex.go, the yacc grammar
// and checkAST in parse.go). Precedence climbing replaces the generated LALR parser; the error
// texts follow Prometheus 2.42 for the common cases.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>
#include <re2/re2.h>

#include "promql/ast.h"
#include "util/go_compat.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::promql {

namespace {

enum class Tok {
  kEOF,
  kError,  // a lexer error; text holds the message (Prometheus lexes lazily, so it is reported
           // only when the parser reaches it)
  kIdent,
  kMetricIdent,
  kNumber,
  kDuration,
  kString,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kComma,
  kAssign,
  kColon,
  kAt,
  kEqlRegex,
  kNeqRegex,
  kNeq,
  kEqlc,
  kLss,
  kLte,
  kGtr,
  kGte,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
};

struct Token {
  Tok type = Tok::kEOF;
  std::string_view text;
  int pos = 0;
};

// Internal error carrier: the parser unwinds to ParseExpr() with the first error.
struct ParseError {
  int pos;
  std::string msg;
};

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::optional<AggOp> AggregatorFor(std::string_view lower) {
  static const std::pair<std::string_view, AggOp> kAggs[] = {
      {"sum", AggOp::kSum},       {"avg", AggOp::kAvg},         {"count", AggOp::kCount},
      {"min", AggOp::kMin},       {"max", AggOp::kMax},         {"group", AggOp::kGroup},
      {"stddev", AggOp::kStddev}, {"stdvar", AggOp::kStdvar},   {"topk", AggOp::kTopk},
      {"bottomk", AggOp::kBottomk}, {"count_values", AggOp::kCountValues}, {"quantile", AggOp::kQuantile}};
  for (const auto& [n, op] : kAggs) {
    if (n == lower) return op;
  }
  return std::nullopt;
}

bool IsKeyword(std::string_view lower) {
  static constexpr std::string_view kKeywords[] = {"offset", "by", "without", "on", "ignoring",
                                                   "group_left", "group_right", "bool"};
  for (auto k : kKeywords) {
    if (k == lower) return true;
  }
  return false;
}

bool IsWordOperator(std::string_view lower) {
  return lower == "and" || lower == "or" || lower == "unless" || lower == "atan2";
}

std::string GoQuoteTrunc(std::string_view s) {
  if (s.size() > 10) return Quote(s.substr(0, 10)) + "...";
  return Quote(s);
}

// Prometheus Item.desc().
std::string Describe(const Token& t) {
  std::string lower = ToLower(t.text);
  switch (t.type) {
    case Tok::kEOF: return "end of input";
    case Tok::kIdent:
      if (AggregatorFor(lower)) return "<aggr:" + lower + ">";
      if (IsWordOperator(lower)) return "<op:" + lower + ">";
      if (IsKeyword(lower)) return "<" + lower + ">";
      return "identifier " + Quote(t.text);
    case Tok::kMetricIdent: return "metric identifier " + Quote(t.text);
    case Tok::kNumber: return "number " + GoQuoteTrunc(t.text);
    case Tok::kDuration: return "duration " + GoQuoteTrunc(t.text);
    case Tok::kString: return "string " + GoQuoteTrunc(t.text);
    case Tok::kLParen:
    case Tok::kRParen:
    case Tok::kLBrace:
    case Tok::kRBrace:
    case Tok::kLBracket:
    case Tok::kRBracket:
    case Tok::kComma:
    case Tok::kColon:
    case Tok::kAt: return Quote(t.text);
    default: return "<op:" + std::string(t.text) + ">";
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Token> Run() {
    std::vector<Token> out;
    try {
      Lex(&out);
    } catch (const ParseError& e) {
      errors_.push_back(e.msg);
      out.push_back(Token{Tok::kError, errors_.back(), e.pos});
    }
    return out;
  }

 private:
  void Lex(std::vector<Token>* out_ptr) {
    std::vector<Token>& out = *out_ptr;
    int parens = 0, brackets = 0;
    bool braces = false;
    while (true) {
      SkipSpaceAndComments();
      if (pos_ >= in_.size()) {
        if (braces) throw ParseError{static_cast<int>(pos_), "unexpected end of input inside braces"};
        if (parens > 0) throw ParseError{static_cast<int>(pos_), "unclosed left parenthesis"};
        if (brackets > 0) throw ParseError{static_cast<int>(pos_), "unclosed left bracket"};
        out.push_back(Token{Tok::kEOF, {}, static_cast<int>(in_.size())});
        return;
      }
      size_t start = pos_;
      char c = in_[pos_];
      auto emit = [&](Tok t, size_t len) {
        out.push_back(Token{t, in_.substr(start, len), static_cast<int>(start)});
        pos_ = start + len;
      };
      char n = pos_ + 1 < in_.size() ? in_[pos_ + 1] : '\0';
      if (IsDigit(c) || (c == '.' && IsDigit(n))) {
        LexNumberOrDuration(&out);
        continue;
      }
      if (IsAlpha(c) || (c == ':' && !braces && brackets == 0)) {
        size_t e = pos_;
        bool colon = false;
        while (e < in_.size() && (IsAlnum(in_[e]) || in_[e] == ':')) {
          if (in_[e] == ':') {
            if (braces) break;
            colon = true;
          }
          ++e;
        }
        emit(colon ? Tok::kMetricIdent : Tok::kIdent, e - start);
        std::string lower = ToLower(out.back().text);
        if (!colon && !braces && (lower == "inf" || lower == "nan")) out.back().type = Tok::kNumber;
        continue;
      }
      switch (c) {
        case '"':
        case '\'':
        case '`': {
          size_t e = pos_ + 1;
          while (true) {
            if (e >= in_.size()) throw ParseError{static_cast<int>(start), "unterminated quoted string"};
            char d = in_[e];
            if (d == '\\' && c != '`') {
              e += 2;
              continue;
            }
            if (d == '\n' && c != '`') throw ParseError{static_cast<int>(start), "unterminated quoted string"};
            if (d == c) break;
            ++e;
          }
          // Go reads the query as runes: a string with bytes that are not UTF-8 is refused.
          if (!IsValidUtf8(std::string_view(in_).substr(start + 1, e - start - 1))) {
            throw ParseError{static_cast<int>(start), "invalid UTF-8 rune"};
          }
          emit(Tok::kString, e + 1 - start);
          break;
        }
        case '(': ++parens; emit(Tok::kLParen, 1); break;
        case ')':
          if (--parens < 0) throw ParseError{static_cast<int>(start), "unexpected right parenthesis ')'"};
          emit(Tok::kRParen, 1);
          break;
        case '{':
          if (braces) throw ParseError{static_cast<int>(start), "unexpected left brace '{'"};
          braces = true;
          emit(Tok::kLBrace, 1);
          break;
        case '}':
          if (!braces) throw ParseError{static_cast<int>(start), "unexpected right brace '}'"};
          braces = false;
          emit(Tok::kRBrace, 1);
          break;
        case '[':
          if (brackets > 0) throw ParseError{static_cast<int>(start), "unexpected left bracket '['"};
          ++brackets;
          brackets_ = brackets;
          emit(Tok::kLBracket, 1);
          break;
        case ']':
          if (--brackets < 0) throw ParseError{static_cast<int>(start), "unexpected right bracket ']'"};
          brackets_ = brackets;
          emit(Tok::kRBracket, 1);
          break;
        case ',': emit(Tok::kComma, 1); break;
        case ':': emit(Tok::kColon, 1); break;
        case '@': emit(Tok::kAt, 1); break;
        case '+': emit(Tok::kAdd, 1); break;
        case '-': emit(Tok::kSub, 1); break;
        case '*': emit(Tok::kMul, 1); break;
        case '/': emit(Tok::kDiv, 1); break;
        case '%': emit(Tok::kMod, 1); break;
        case '^': emit(Tok::kPow, 1); break;
        case '=':
          if (n == '=') {
            emit(Tok::kEqlc, 2);
          } else if (n == '~') {
            emit(Tok::kEqlRegex, 2);
          } else {
            emit(Tok::kAssign, 1);
          }
          break;
        case '!':
          if (n == '=') {
            emit(Tok::kNeq, 2);
          } else if (n == '~') {
            emit(Tok::kNeqRegex, 2);
          } else {
            throw ParseError{static_cast<int>(start), fmt::format("unexpected character after '!': {}", RuneAt(start + 1))};
          }
          break;
        case '<': n == '=' ? emit(Tok::kLte, 2) : emit(Tok::kLss, 1); break;
        case '>': n == '=' ? emit(Tok::kGte, 2) : emit(Tok::kGtr, 1); break;
        default:
          if (braces) {
            throw ParseError{static_cast<int>(start), fmt::format("unexpected character inside braces: {}", RuneAt(start))};
          }
          if (brackets > 0) {
            throw ParseError{static_cast<int>(start), fmt::format("unexpected character inside brackets: {}", RuneAt(start))};
          }
          throw ParseError{static_cast<int>(start), fmt::format("unexpected character: {}", RuneAt(start))};
      }
    }
  }

  // The rune at `pos` as Go's %q prints it; a byte that does not start valid UTF-8 is U+FFFD,
  // the rune Go's lexer reads for it.
  std::string RuneAt(size_t pos) const {
    if (pos >= in_.size()) return "U+0000";
    char c = in_[pos];
    if (static_cast<unsigned char>(c) >= 0x80) {
      size_t n = Utf8SequenceLength(in_, pos);
      return "'" + (n ? std::string(in_.substr(pos, n)) : std::string("\xEF\xBF\xBD")) + "'";
    }
    if (c == '\0') return "U+0000";
    if (c == '\'') return "'\\''";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return fmt::format("'\\x{:02x}'", static_cast<unsigned char>(c));
    }
    return fmt::format("'{}'", c);
  }

  void SkipSpaceAndComments() {
    while (pos_ < in_.size()) {
      if (IsSpace(in_[pos_])) {
        ++pos_;
      } else if (in_[pos_] == '#') {
        while (pos_ < in_.size() && in_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  // Prometheus lexNumberOrDuration / lexDuration: a number, or a run of <digits><unit> pairs.
  void LexNumberOrDuration(std::vector<Token>* out) {
    size_t start = pos_;
    size_t e = pos_;
    while (e < in_.size() && (IsAlnum(in_[e]) || in_[e] == '.')) ++e;
    std::string_view word = in_.substr(start, e - start);
    bool has_unit = e > start && IsAlpha(in_[e - 1]) &&
                    !(word.size() > 1 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X'));
    if (has_unit && IsDigit(in_[start])) {
      bool valid = ParseDurationMs(word).ok();
      if (brackets_ > 0 && !valid) {
        size_t d = start;
        while (d < in_.size() && IsDigit(in_[d])) ++d;
        throw ParseError{static_cast<int>(start),
                         fmt::format("bad duration syntax: {}", Quote(in_.substr(start, d - start)))};
      }
      // Outside brackets a duration is a token of its own; the parser decides where it fits.
      bool unit_chars = true;
      for (char c : word) {
        if (!(IsDigit(c) || c == '.' || std::string_view("smhdwy").find(c) != std::string_view::npos)) {
          unit_chars = false;
        }
      }
      if (valid || unit_chars) {
        out->push_back(Token{Tok::kDuration, word, static_cast<int>(start)});
        pos_ = e;
        return;
      }
    }
    // Number: hex, or decimal with optional fraction and exponent.
    e = pos_;
    if (in_[e] == '0' && e + 1 < in_.size() && (in_[e + 1] == 'x' || in_[e + 1] == 'X')) {
      e += 2;
      while (e < in_.size() && std::isxdigit(static_cast<unsigned char>(in_[e]))) ++e;
    } else {
      while (e < in_.size() && IsDigit(in_[e])) ++e;
      if (e < in_.size() && in_[e] == '.') {
        ++e;
        while (e < in_.size() && IsDigit(in_[e])) ++e;
      }
      if (e < in_.size() && (in_[e] == 'e' || in_[e] == 'E')) {
        size_t x = e + 1;
        if (x < in_.size() && (in_[x] == '+' || in_[x] == '-')) ++x;
        if (x < in_.size() && IsDigit(in_[x])) {
          e = x;
          while (e < in_.size() && IsDigit(in_[e])) ++e;
        }
      }
    }
    if (e < in_.size() && (IsAlnum(in_[e]) || in_[e] == '.')) {
      size_t bad = e;
      while (bad < in_.size() && (IsAlnum(in_[bad]) || in_[bad] == '.')) ++bad;
      throw ParseError{static_cast<int>(start),
                       fmt::format("bad number or duration syntax: {}", Quote(in_.substr(start, bad - start)))};
    }
    out->push_back(Token{Tok::kNumber, in_.substr(start, e - start), static_cast<int>(start)});
    pos_ = e;
  }

  std::string_view in_;
  size_t pos_ = 0;
  int brackets_ = 0;
  std::list<std::string> errors_;  // stable storage for kError token texts
};

// The error Go's regexp.Compile reports for Prometheus's anchored form of `re`
// ("error parsing regexp: missing closing ): `^(?:()$`").
std::string GoRegexpError(const std::string& re) {
  std::string anchored = "^(?:" + re + ")$";
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  re2::RE2 compiled(anchored, opts);
  std::string_view what;
  switch (compiled.error_code()) {
    case re2::RE2::ErrorMissingParen: what = "missing closing )"; break;
    case re2::RE2::ErrorUnexpectedParen: what = "unexpected )"; break;
    case re2::RE2::ErrorMissingBracket: what = "missing closing ]"; break;
    case re2::RE2::ErrorRepeatArgument: what = "missing argument to repetition operator"; break;
    case re2::RE2::ErrorRepeatOp: what = "invalid nested repetition operator"; break;
    case re2::RE2::ErrorRepeatSize: what = "invalid repeat count"; break;
    case re2::RE2::ErrorBadEscape: what = "invalid escape sequence"; break;
    case re2::RE2::ErrorBadCharRange: what = "invalid character class range"; break;
    case re2::RE2::ErrorBadCharClass: what = "invalid character class"; break;
    case re2::RE2::ErrorTrailingBackslash: what = "trailing backslash at end of expression"; break;
    case re2::RE2::ErrorBadNamedCapture: what = "invalid named capture"; break;
    case re2::RE2::ErrorBadPerlOp: what = "invalid or unsupported Perl syntax"; break;
    case re2::RE2::ErrorBadUTF8: what = "invalid UTF-8"; break;
    default: return "error parsing regexp: " + compiled.error();
  }
  return fmt::format("error parsing regexp: {}: `{}`", what, compiled.error_arg());
}

double ParseNumber(std::string_view s) {
  std::string str(s);
  std::string lower = ToLower(str);
  if (lower == "inf") return std::numeric_limits<double>::infinity();
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  // Go: ParseInt(s, 0, 64) first (hex, octal with a leading 0), then ParseFloat.
  errno = 0;
  char* end = nullptr;
  long long i = std::strtoll(str.c_str(), &end, 0);
  if (errno == 0 && end && *end == '\0') return static_cast<double>(i);
  return std::strtod(str.c_str(), nullptr);
}

class Parser {
 public:
  Parser(std::string_view input, std::vector<Token> toks) : input_(input), toks_(std::move(toks)) {}

  NodePtr ParseTop() {
    if (Peek().type == Tok::kEOF) throw ParseError{0, "no expression found in input"};
    NodePtr e = ParseBinary(0);
    if (Peek().type != Tok::kEOF) Unexpected("");
    Check(*e);
    return e;
  }

  // Prometheus's ParseMetricSelector: the selector's matchers, without the query-only check that
  // one matcher must not match the empty string (the API checks match[] itself, with its own text).
  std::vector<model::Matcher> ParseSelectorOnly() {
    selector_only_ = true;
    if (Peek().type == Tok::kEOF) throw ParseError{0, "no expression found in input"};
    NodePtr e = ParsePrimary();
    if (Peek().type != Tok::kEOF || e->kind != NodeKind::kVectorSelector) {
      throw ParseError{0, "unexpected expression, expected a series selector"};
    }
    Check(*e);
    return static_cast<VectorSelector&>(*e).matchers;
  }

 private:
  bool selector_only_ = false;  // set by ParseSelectorOnly

  const Token& Peek(size_t ahead = 0) const {
    size_t i = std::min(pos_ + ahead, toks_.size() - 1);
    return toks_[i];
  }
  const Token& Next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  [[noreturn]] void Unexpected(std::string_view context, std::string_view expected = "") const {
    if (Peek().type == Tok::kError) throw ParseError{Peek().pos, std::string(Peek().text)};
    std::string msg = "unexpected " + Describe(Peek());
    if (!context.empty()) msg += " in " + std::string(context);
    if (!expected.empty()) msg += ", expected " + std::string(expected);
    throw ParseError{Peek().pos, msg};
  }
  void Expect(Tok t, std::string_view context, std::string_view expected) {
    if (Peek().type != t) Unexpected(context, expected);
    Next();
  }
  static std::string Lower(const Token& t) { return ToLower(t.text); }
  bool PeekWord(std::string_view lower) const {
    return Peek().type == Tok::kIdent && Lower(Peek()) == lower;
  }
  int EndOfPrev() const {
    const Token& t = toks_[pos_ > 0 ? pos_ - 1 : 0];
    return t.pos + static_cast<int>(t.text.size());
  }

  // Binary operator at the current token, with its precedence (0 when none).
  std::optional<std::pair<BinOp, int>> PeekBinOp() const {
    const Token& t = Peek();
    switch (t.type) {
      case Tok::kAdd: return std::make_pair(BinOp::kAdd, 4);
      case Tok::kSub: return std::make_pair(BinOp::kSub, 4);
      case Tok::kMul: return std::make_pair(BinOp::kMul, 5);
      case Tok::kDiv: return std::make_pair(BinOp::kDiv, 5);
      case Tok::kMod: return std::make_pair(BinOp::kMod, 5);
      case Tok::kPow: return std::make_pair(BinOp::kPow, 6);
      case Tok::kEqlc: return std::make_pair(BinOp::kEql, 3);
      case Tok::kNeq: return std::make_pair(BinOp::kNeq, 3);
      case Tok::kGtr: return std::make_pair(BinOp::kGtr, 3);
      case Tok::kLss: return std::make_pair(BinOp::kLss, 3);
      case Tok::kGte: return std::make_pair(BinOp::kGte, 3);
      case Tok::kLte: return std::make_pair(BinOp::kLte, 3);
      case Tok::kIdent: {
        std::string l = Lower(t);
        if (l == "and") return std::make_pair(BinOp::kAnd, 2);
        if (l == "unless") return std::make_pair(BinOp::kUnless, 2);
        if (l == "or") return std::make_pair(BinOp::kOr, 1);
        if (l == "atan2") return std::make_pair(BinOp::kAtan2, 5);
        return std::nullopt;
      }
      default: return std::nullopt;
    }
  }

  // Bounds recursion (parser, checker, printer and evaluator all recurse over the tree), so a
  // hostile query cannot exhaust the stack.
  struct DepthGuard {
    explicit DepthGuard(Parser* p) : p(p) {
      if (++p->depth_ > kMaxDepth) throw ParseError{p->Peek().pos, "expression nested too deeply"};
    }
    ~DepthGuard() { --p->depth_; }
    Parser* p;
  };
  static constexpr int kMaxDepth = 256;
  static constexpr int kMaxBinaryOps = 2000;

  NodePtr ParseBinary(int min_prec) {
    DepthGuard guard(this);
    NodePtr lhs = ParseUnary();
    while (true) {
      auto op = PeekBinOp();
      if (!op || op->second < min_prec) break;
      int op_pos = Next().pos;
      // A chain of operators nests as deeply as it is long.
      if (++binary_ops_ > kMaxBinaryOps) throw ParseError{op_pos, "too many binary operators in expression"};
      auto bin = std::make_unique<BinaryExpr>();
      bin->op = op->first;
      VectorMatching vm;
      if (PeekWord("bool")) {
        Next();
        bin->return_bool = true;
      }
      if (PeekWord("on") || PeekWord("ignoring")) {
        vm.on = Lower(Next()) == "on";
        vm.matching_labels = ParseLabelList("grouping opts");
        if (PeekWord("group_left") || PeekWord("group_right")) {
          vm.card = Lower(Next()) == "group_left" ? Cardinality::kManyToOne : Cardinality::kOneToMany;
          if (Peek().type == Tok::kLParen) vm.include = ParseLabelList("grouping opts");
        }
      }
      int next_min = op->first == BinOp::kPow ? op->second : op->second + 1;
      bin->rhs = ParseBinary(next_min);
      bin->lhs = std::move(lhs);
      bin->matching = vm;
      bin->pos = {bin->lhs->pos.start, bin->rhs->pos.end};
      op_pos_[bin.get()] = op_pos;
      lhs = std::move(bin);
    }
    return lhs;
  }

  NodePtr ParseUnary() {
    DepthGuard guard(this);
    if (Peek().type == Tok::kAdd || Peek().type == Tok::kSub) {
      const Token& t = Next();
      bool neg = t.type == Tok::kSub;
      int start = t.pos;
      // Unary minus binds like multiplication: only ^ binds tighter (Prometheus %prec MUL).
      NodePtr e = ParseBinary(6);
      if (e->kind == NodeKind::kNumberLiteral) {
        auto& n = static_cast<NumberLiteral&>(*e);
        if (neg) n.value = -n.value;
        n.pos.start = start;
        return e;
      }
      auto u = std::make_unique<UnaryExpr>();
      u->negate = neg;
      u->pos = {start, e->pos.end};
      u->expr = std::move(e);
      return u;
    }
    return ParsePostfix(ParsePrimary());
  }

  std::vector<std::string> ParseLabelList(std::string_view context) {
    Expect(Tok::kLParen, context, "\"(\"");
    std::vector<std::string> out;
    while (Peek().type != Tok::kRParen) {
      const Token& t = Peek();
      if (t.type != Tok::kIdent || (t.text.size() && !model::IsValidLabelName(t.text))) {
        Unexpected(context, "label");
      }
      out.emplace_back(Next().text);
      if (Peek().type == Tok::kComma) {
        Next();
      } else if (Peek().type != Tok::kRParen) {
        Unexpected(context, "\",\" or \")\"");
      }
    }
    Next();
    return out;
  }

  int64_t ParseDurationTok(std::string_view context) {
    if (Peek().type != Tok::kDuration) {
      if (Peek().type == Tok::kNumber) {
        // Prometheus 2.42 accepts no bare numbers as durations.
        Unexpected(context, "duration");
      }
      Unexpected(context, "duration");
    }
    const Token& t = Next();
    auto ms = ParseDurationMs(t.text);
    if (!ms.ok()) throw ParseError{t.pos, fmt::format("not a valid duration string: {}", Quote(t.text))};
    return *ms;
  }

  NodePtr ParsePostfix(NodePtr e) {
    while (true) {
      const Token& t = Peek();
      if (t.type == Tok::kLBracket) {
        e = ParseRangeOrSubquery(std::move(e));
      } else if (PeekWord("offset")) {
        int pos = Next().pos;
        bool neg = false;
        if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) neg = Next().type == Tok::kSub;
        int64_t d = ParseDurationTok("offset");
        if (neg) d = -d;
        SetOffset(e.get(), d, pos);
        e->pos.end = EndOfPrev();
      } else if (t.type == Tok::kAt) {
        int pos = Next().pos;
        AtModifier at = AtModifier::kTimestamp;
        int64_t at_ms = 0;
        if (PeekWord("start") || PeekWord("end")) {
          at = Lower(Next()) == "start" ? AtModifier::kStart : AtModifier::kEnd;
          if (Peek().type != Tok::kLParen) Unexpected("@", "timestamp");
          Next();
          Expect(Tok::kRParen, "@", "\")\"");
        } else {
          bool neg = false;
          if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) neg = Next().type == Tok::kSub;
          if (Peek().type != Tok::kNumber) Unexpected("@", "timestamp");
          double v = ParseNumber(Next().text);
          if (neg) v = -v;
          // Milliseconds must stay far from int64 overflow when offsets and ranges are applied.
          if (std::isnan(v) || std::isinf(v) || v >= 1e15 || v <= -1e15) {
            throw ParseError{pos, fmt::format("timestamp out of bounds for @ modifier: {:f}", v)};
          }
          at_ms = static_cast<int64_t>(std::llround(v * 1000.0));
        }
        SetAt(e.get(), at, at_ms, pos);
        e->pos.end = EndOfPrev();
      } else {
        return e;
      }
    }
  }

  void SetOffset(Node* e, int64_t d, int pos) {
    int64_t* slot = nullptr;
    if (e->kind == NodeKind::kVectorSelector) {
      slot = &static_cast<VectorSelector*>(e)->offset_ms;
    } else if (e->kind == NodeKind::kMatrixSelector) {
      slot = &static_cast<VectorSelector*>(static_cast<MatrixSelector*>(e)->selector.get())->offset_ms;
    } else if (e->kind == NodeKind::kSubquery) {
      slot = &static_cast<SubqueryExpr*>(e)->offset_ms;
    } else {
      throw ParseError{pos,
                       "offset modifier must be preceded by an instant vector selector or range vector selector "
                       "or a subquery"};
    }
    if (offset_set_.count(slot)) throw ParseError{e->pos.start, "offset may not be set multiple times"};
    offset_set_.insert(slot);
    *slot = d;
  }

  void SetAt(Node* e, AtModifier at, int64_t at_ms, int pos) {
    AtModifier* a = nullptr;
    int64_t* ms = nullptr;
    if (e->kind == NodeKind::kVectorSelector || e->kind == NodeKind::kMatrixSelector) {
      auto* vs = e->kind == NodeKind::kVectorSelector
                     ? static_cast<VectorSelector*>(e)
                     : static_cast<VectorSelector*>(static_cast<MatrixSelector*>(e)->selector.get());
      a = &vs->at;
      ms = &vs->at_ms;
    } else if (e->kind == NodeKind::kSubquery) {
      a = &static_cast<SubqueryExpr*>(e)->at;
      ms = &static_cast<SubqueryExpr*>(e)->at_ms;
    } else {
      throw ParseError{pos,
                       "@ modifier must be preceded by an instant vector selector or range vector selector or a "
                       "subquery"};
    }
    if (*a != AtModifier::kNone) throw ParseError{e->pos.start, "@ <timestamp> may not be set multiple times"};
    *a = at;
    *ms = at_ms;
  }

  NodePtr ParseRangeOrSubquery(NodePtr e) {
    int lpos = Next().pos;  // '['
    int64_t range = ParseDurationTok("");
    if (Peek().type == Tok::kColon) {
      Next();
      int64_t step = 0;
      if (Peek().type == Tok::kDuration) step = ParseDurationTok("subquery");
      Expect(Tok::kRBracket, "subquery selector", "\"]\"");
      auto sq = std::make_unique<SubqueryExpr>();
      sq->range_ms = range;
      sq->step_ms = step;
      sq->pos = {e->pos.start, EndOfPrev()};
      sq->expr = std::move(e);
      return sq;
    }
    Expect(Tok::kRBracket, "matrix selector", "\"]\"");
    if (e->kind != NodeKind::kVectorSelector) {
      throw ParseError{lpos, "ranges only allowed for vector selectors"};
    }
    auto& vs = static_cast<VectorSelector&>(*e);
    if (offset_set_.count(&vs.offset_ms)) throw ParseError{lpos, "no offset modifiers allowed before range"};
    if (vs.at != AtModifier::kNone) throw ParseError{lpos, "no @ modifiers allowed before range"};
    auto ms = std::make_unique<MatrixSelector>();
    ms->range_ms = range;
    ms->pos = {e->pos.start, EndOfPrev()};
    ms->selector = std::move(e);
    return ms;
  }

  NodePtr ParsePrimary() {
    const Token& t = Peek();
    switch (t.type) {
      case Tok::kNumber: {
        Next();
        auto n = std::make_unique<NumberLiteral>();
        n->value = ParseNumber(t.text);
        n->pos = {t.pos, t.pos + static_cast<int>(t.text.size())};
        return n;
      }
      case Tok::kString: {
        Next();
        auto s = std::make_unique<StringLiteral>();
        auto v = UnquotePromQL(t.text);
        if (!v.ok()) throw ParseError{t.pos, "invalid syntax"};
        s->value = *v;
        s->pos = {t.pos, t.pos + static_cast<int>(t.text.size())};
        return s;
      }
      case Tok::kLParen: {
        Next();
        auto p = std::make_unique<ParenExpr>();
        p->expr = ParseBinary(0);
        Expect(Tok::kRParen, "paren expression", "\")\"");
        p->pos = {t.pos, EndOfPrev()};
        return p;
      }
      case Tok::kLBrace: return ParseSelector("", t.pos);
      case Tok::kMetricIdent: Next(); return ParseSelector(t.text, t.pos);
      case Tok::kIdent: {
        std::string lower = Lower(t);
        if (auto agg = AggregatorFor(lower)) return ParseAggregate(*agg);
        if (Peek(1).type == Tok::kLParen && !IsKeyword(lower) && !IsWordOperator(lower)) return ParseCall();
        if (IsKeyword(lower) || IsWordOperator(lower)) Unexpected("");
        Next();
        return ParseSelector(t.text, t.pos);
      }
      default: Unexpected("");
    }
  }

  NodePtr ParseCall() {
    const Token& name = Next();
    auto c = std::make_unique<Call>();
    Next();  // '('
    while (Peek().type != Tok::kRParen) {
      c->args.push_back(ParseBinary(0));
      if (Peek().type == Tok::kComma) {
        Next();
        if (Peek().type == Tok::kRParen) Unexpected("");  // trailing comma
      } else if (Peek().type != Tok::kRParen) {
        Unexpected("function call", "\",\" or \")\"");
      }
    }
    Next();
    c->pos = {name.pos, EndOfPrev()};
    // As in Prometheus's grammar, the name is resolved once the whole call has been read, so a
    // syntax error inside it (`foo(`) is reported first.
    c->func = LookupFunction(name.text);
    if (!c->func) throw ParseError{name.pos, fmt::format("unknown function with name {}", Quote(name.text))};
    return c;
  }

  NodePtr ParseAggregate(AggOp op) {
    const Token& name = Next();
    auto a = std::make_unique<AggregateExpr>();
    a->op = op;
    bool have_grouping = false;
    auto grouping = [&]() {
      if (PeekWord("by") || PeekWord("without")) {
        if (have_grouping) Unexpected("aggregation");
        a->without = Lower(Next()) == "without";
        a->grouping = ParseLabelList("grouping opts");
        have_grouping = true;
      }
    };
    grouping();
    if (Peek().type != Tok::kLParen) Unexpected("aggregation");
    int lparen = Next().pos;
    std::vector<NodePtr> args;
    while (Peek().type != Tok::kRParen) {
      args.push_back(ParseBinary(0));
      if (Peek().type == Tok::kComma) {
        Next();
      } else if (Peek().type != Tok::kRParen) {
        Unexpected("aggregation", "\",\" or \")\"");
      }
    }
    Next();
    grouping();
    a->pos = {name.pos, EndOfPrev()};
    if (args.empty()) throw ParseError{lparen, "no arguments for aggregate expression provided"};
    bool with_param = op == AggOp::kTopk || op == AggOp::kBottomk || op == AggOp::kQuantile ||
                      op == AggOp::kCountValues;
    size_t want = with_param ? 2 : 1;
    if (args.size() != want) {
      throw ParseError{a->pos.start,
                       fmt::format("wrong number of arguments for aggregate expression provided, expected {}, got {}",
                                   want, args.size())};
    }
    if (with_param) a->param = std::move(args[0]);
    a->expr = std::move(args.back());
    return a;
  }

  NodePtr ParseSelector(std::string_view name, int start) {
    auto vs = std::make_unique<VectorSelector>();
    vs->name = std::string(name);
    if (!name.empty()) {
      vs->matchers.push_back(*model::Matcher::Make(model::MatchType::kEqual, std::string(model::kMetricName), vs->name));
    }
    if (Peek().type == Tok::kLBrace) {
      Next();
      while (Peek().type != Tok::kRBrace) {
        const Token& ln = Peek();
        if (ln.type != Tok::kIdent) Unexpected("label matching", "identifier or \"}\"");
        Next();
        const Token& op = Peek();
        model::MatchType mt;
        switch (op.type) {
          case Tok::kAssign: mt = model::MatchType::kEqual; break;
          case Tok::kNeq: mt = model::MatchType::kNotEqual; break;
          case Tok::kEqlRegex: mt = model::MatchType::kRegexMatch; break;
          case Tok::kNeqRegex: mt = model::MatchType::kRegexNoMatch; break;
          default: Unexpected("label matching", "label matching operator");
        }
        Next();
        const Token& val = Peek();
        if (val.type != Tok::kString) Unexpected("label matching", "string");
        Next();
        auto v = UnquotePromQL(val.text);
        if (!v.ok()) throw ParseError{val.pos, "invalid syntax"};
        auto m = model::Matcher::Make(mt, std::string(ln.text), *v);
        if (!m.ok()) throw ParseError{ln.pos, GoRegexpError(*v)};
        vs->matchers.push_back(*m);
        if (Peek().type == Tok::kComma) {
          Next();
        } else if (Peek().type != Tok::kRBrace) {
          Unexpected("label matching", "\",\" or \"}\"");
        }
      }
      Next();
    }
    vs->pos = {start, EndOfPrev()};
    // Prometheus checks: the name set twice, or only matchers that match the empty string.
    if (!name.empty()) {
      for (size_t i = 1; i < vs->matchers.size(); ++i) {
        if (vs->matchers[i].name() == model::kMetricName) {
          throw ParseError{start, fmt::format("metric name must not be set twice: {} or {}", Quote(name),
                                              Quote(vs->matchers[i].value()))};
        }
      }
    } else {
      bool non_empty = false;
      for (const auto& m : vs->matchers) {
        if (!m.MatchesEmpty()) non_empty = true;
      }
      if (!non_empty && !selector_only_) {
        throw ParseError{start, "vector selector must contain at least one non-empty matcher"};
      }
    }
    return vs;
  }

  void ExpectType(const Node& n, ValueType want, std::string_view context) {
    ValueType got = n.type();
    if (got != want) {
      throw ParseError{n.pos.start, fmt::format("expected type {} in {}, got {}", ValueTypeName(want), context,
                                                ValueTypeName(got))};
    }
  }

  // Prometheus checkAST: type rules after parsing.
  void Check(Node& n) {
    switch (n.kind) {
      case NodeKind::kParen: Check(*static_cast<ParenExpr&>(n).expr); break;
      case NodeKind::kUnary: {
        auto& u = static_cast<UnaryExpr&>(n);
        Check(*u.expr);
        ValueType t = u.expr->type();
        if (t != ValueType::kScalar && t != ValueType::kVector) {
          throw ParseError{n.pos.start,
                           fmt::format("unary expression only allowed on expressions of type scalar or instant "
                                       "vector, got {}",
                                       Quote(ValueTypeName(t)))};
        }
        break;
      }
      case NodeKind::kSubquery: {
        auto& s = static_cast<SubqueryExpr&>(n);
        Check(*s.expr);
        ValueType t = s.expr->type();
        if (t != ValueType::kVector) {
          static constexpr const char* kGoNames[] = {"none", "scalar", "vector", "matrix", "string"};
          throw ParseError{n.pos.start, fmt::format("subquery is only allowed on instant vector, got {} instead",
                                                    kGoNames[static_cast<int>(t)])};
        }
        break;
      }
      case NodeKind::kCall: {
        auto& c = static_cast<Call&>(n);
        const FunctionDef& f = *c.func;
        size_t nargs = f.arg_types.size();
        if (f.variadic == 0) {
          if (nargs != c.args.size()) {
            throw ParseError{n.pos.start, fmt::format("expected {} argument(s) in call to {}, got {}", nargs,
                                                      Quote(f.name), c.args.size())};
          }
        } else {
          size_t na = nargs - 1;
          if (na > c.args.size()) {
            throw ParseError{n.pos.start, fmt::format("expected at least {} argument(s) in call to {}, got {}", na,
                                                      Quote(f.name), c.args.size())};
          }
          if (f.variadic > 0 && na + f.variadic < c.args.size()) {
            throw ParseError{n.pos.start, fmt::format("expected at most {} argument(s) in call to {}, got {}",
                                                      na + f.variadic, Quote(f.name), c.args.size())};
          }
        }
        for (size_t i = 0; i < c.args.size(); ++i) {
          Check(*c.args[i]);
          size_t k = std::min(i, nargs - 1);
          ExpectType(*c.args[i], f.arg_types[k], fmt::format("call to function {}", Quote(f.name)));
        }
        break;
      }
      case NodeKind::kAggregate: {
        auto& a = static_cast<AggregateExpr&>(n);
        Check(*a.expr);
        ExpectType(*a.expr, ValueType::kVector, "aggregation expression");
        if (a.param) {
          Check(*a.param);
          ExpectType(*a.param, a.op == AggOp::kCountValues ? ValueType::kString : ValueType::kScalar,
                     "aggregation parameter");
        }
        break;
      }
      case NodeKind::kBinary: {
        auto& b = static_cast<BinaryExpr&>(n);
        Check(*b.lhs);
        Check(*b.rhs);
        int op_pos = op_pos_.count(&b) ? op_pos_[&b] : n.pos.start;
        ValueType lt = b.lhs->type(), rt = b.rhs->type();
        if (b.return_bool && !IsComparison(b.op)) {
          throw ParseError{op_pos, "bool modifier can only be used on comparison operators"};
        }
        if (IsComparison(b.op) && !b.return_bool && lt == ValueType::kScalar && rt == ValueType::kScalar) {
          throw ParseError{op_pos, "comparisons between scalars must use BOOL modifier"};
        }
        VectorMatching& vm = *b.matching;
        if (IsSetOperator(b.op) && vm.card == Cardinality::kOneToOne) vm.card = Cardinality::kManyToMany;
        if (vm.on) {
          for (const auto& l1 : vm.matching_labels) {
            for (const auto& l2 : vm.include) {
              if (l1 == l2) {
                throw ParseError{op_pos, fmt::format("label {} must not occur in ON and GROUP clause at once",
                                                     Quote(l1))};
              }
            }
          }
        }
        if (lt != ValueType::kScalar && lt != ValueType::kVector) {
          throw ParseError{b.lhs->pos.start, "binary expression must contain only scalar and instant vector types"};
        }
        if (rt != ValueType::kScalar && rt != ValueType::kVector) {
          throw ParseError{b.rhs->pos.start, "binary expression must contain only scalar and instant vector types"};
        }
        if (lt != ValueType::kVector || rt != ValueType::kVector) {
          if (!vm.matching_labels.empty()) {
            throw ParseError{n.pos.start, "vector matching only allowed between instant vectors"};
          }
          if (IsSetOperator(b.op)) {
            throw ParseError{n.pos.start, fmt::format("set operator {} not allowed in binary scalar expression",
                                                      Quote(BinOpName(b.op)))};
          }
          b.matching.reset();
        } else if (IsSetOperator(b.op)) {
          if (vm.card == Cardinality::kOneToMany || vm.card == Cardinality::kManyToOne) {
            throw ParseError{n.pos.start, fmt::format("no grouping allowed for {} operation", Quote(BinOpName(b.op)))};
          }
        }
        break;
      }
      default: break;
    }
  }

  std::string_view input_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int binary_ops_ = 0;
  std::set<const void*> offset_set_;
  std::map<const Node*, int> op_pos_;
};

Status MakeError(std::string_view input, const ParseError& e) {
  int pos = std::clamp(e.pos, 0, static_cast<int>(input.size()));
  int line = 1, last_break = -1;
  for (int i = 0; i < pos; ++i) {
    if (input[i] == '\n') {
      last_break = i;
      ++line;
    }
  }
  return Status::InvalidArgument(fmt::format("{}:{}: parse error: {}", line, pos - last_break, e.msg));
}

}  // namespace

Result<NodePtr> ParseExpr(std::string_view input) {
  try {
    Lexer lexer(input);
    Parser p(input, lexer.Run());
    return p.ParseTop();
  } catch (const ParseError& e) {
    return MakeError(input, e);
  }
}

Result<std::vector<model::Matcher>> ParseMetricSelector(std::string_view input) {
  try {
    Lexer lexer(input);
    Parser p(input, lexer.Run());
    return p.ParseSelectorOnly();
  } catch (const ParseError& e) {
    return MakeError(input, e);
  }
}

}  // namespace sremon::promql
