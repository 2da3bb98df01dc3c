// Lexer, parser and executor of the Go text/template subset (template.h). The structure follows
// Go's text/template/parse (lex.go, parse.go, node.go) and text/template/exec.go.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "template/template.h"
#include "util/go_compat.h"
#include "util/strings.h"

namespace sremon::tmpl {

namespace {

// ---------------------------------------------------------------- lexer

enum class Tok {
  kText, kLeftDelim, kRightDelim, kIdent, kField, kVariable, kDot, kString, kNumber, kChar,
  kPipe, kLParen, kRParen, kDeclare, kAssign, kComma, kEOF,
};

struct Token {
  Tok type;
  std::string text;  // decoded for strings; name without '.' for fields; with '$' for variables
  int pos;           // byte offset into the source
  bool space_before = false;
};

// Line (1-based) and column (0-based byte offset, as Go's ErrorContext) of pos.
std::pair<int, int> LineCol(std::string_view src, int pos) {
  pos = std::clamp(pos, 0, static_cast<int>(src.size()));
  int line = 1 + static_cast<int>(std::count(src.begin(), src.begin() + pos, '\n'));
  size_t nl = src.rfind('\n', pos == 0 ? 0 : pos - 1);
  int col = (nl == std::string_view::npos || pos == 0) ? pos : pos - static_cast<int>(nl) - 1;
  return {line, col};
}

struct SyntaxError {
  int pos;
  std::string msg;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Splits the source into text and action tokens, applying {{- -}} trimming.
std::vector<Token> Lex(std::string_view src) {
  std::vector<Token> toks;
  size_t i = 0;
  bool trim_next_text = false;
  while (i <= src.size()) {
    size_t open = src.find("{{", i);
    size_t text_end = open == std::string_view::npos ? src.size() : open;
    bool left_trim = open != std::string_view::npos && open + 3 < src.size() + 1 && open + 2 < src.size() &&
                     src[open + 2] == '-' && open + 3 < src.size() && IsSpace(src[open + 3]);
    std::string_view text = src.substr(i, text_end - i);
    if (trim_next_text) {
      while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
    }
    if (left_trim) {
      while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
    }
    if (!text.empty()) toks.push_back({Tok::kText, std::string(text), static_cast<int>(i)});
    trim_next_text = false;
    if (open == std::string_view::npos) break;
    toks.push_back({Tok::kLeftDelim, "", static_cast<int>(open)});
    size_t p = open + 2 + (left_trim ? 2 : 0);
    // Comment: {{/* ... */}}, possibly with trim markers.
    size_t q = p;
    while (q < src.size() && IsSpace(src[q]) && left_trim) ++q;
    if (src.substr(q, 2) == "/*") {
      size_t end = src.find("*/", q + 2);
      if (end == std::string_view::npos) throw SyntaxError{static_cast<int>(q), "unclosed comment"};
      size_t r = end + 2;
      if (src.substr(r, 4) == " -}}" || src.substr(r, 4) == "\n-}}" || src.substr(r, 4) == "\t-}}") {
        trim_next_text = true;
        r += 4;
      } else if (src.substr(r, 2) == "}}") {
        r += 2;
      } else {
        throw SyntaxError{static_cast<int>(r), "comment ends before closing delimiter"};
      }
      toks.pop_back();  // comments leave nothing behind
      i = r;
      continue;
    }
    bool space = false;
    while (true) {
      if (p >= src.size()) throw SyntaxError{static_cast<int>(open), "unclosed action"};
      char c = src[p];
      if (IsSpace(c)) {
        // " -}}" is a right trim marker.
        if (src.substr(p + 1, 3) == "-}}") {
          toks.push_back({Tok::kRightDelim, "", static_cast<int>(p)});
          trim_next_text = true;
          p += 4;
          break;
        }
        space = true;
        ++p;
        continue;
      }
      if (src.substr(p, 2) == "}}") {
        toks.push_back({Tok::kRightDelim, "", static_cast<int>(p)});
        p += 2;
        break;
      }
      Token t{Tok::kEOF, "", static_cast<int>(p), space};
      space = false;
      if (c == '|') {
        t.type = Tok::kPipe;
        ++p;
      } else if (c == '(') {
        t.type = Tok::kLParen;
        ++p;
      } else if (c == ')') {
        t.type = Tok::kRParen;
        ++p;
      } else if (c == ',') {
        t.type = Tok::kComma;
        ++p;
      } else if (c == ':' && p + 1 < src.size() && src[p + 1] == '=') {
        t.type = Tok::kDeclare;
        p += 2;
      } else if (c == '=') {
        t.type = Tok::kAssign;
        ++p;
      } else if (c == '"') {
        size_t e = p + 1;
        while (e < src.size() && src[e] != '"' && src[e] != '\n') e += src[e] == '\\' ? 2 : 1;
        if (e >= src.size() || src[e] != '"') throw SyntaxError{static_cast<int>(p), "unterminated quoted string"};
        t.type = Tok::kString;
        auto text = Unquote(src.substr(p, e - p + 1));
        if (!text.ok()) throw SyntaxError{static_cast<int>(p), "invalid syntax in quoted string"};
        t.text = std::move(*text);
        p = e + 1;
      } else if (c == '`') {
        size_t e = src.find('`', p + 1);
        if (e == std::string_view::npos) throw SyntaxError{static_cast<int>(p), "unterminated raw quoted string"};
        t.type = Tok::kString;
        t.text = *Unquote(src.substr(p, e - p + 1));  // cannot fail: no backquote inside
        p = e + 1;
      } else if (c == '\'') {
        size_t e = p + 1;
        while (e < src.size() && src[e] != '\'' && src[e] != '\n') e += src[e] == '\\' ? 2 : 1;
        if (e >= src.size() || src[e] != '\'') throw SyntaxError{static_cast<int>(p), "unterminated character constant"};
        // As text/template's parser: one character or escape, then the closing quote.
        auto ch = UnquoteChar(src.substr(p + 1, e - p), '\'');
        if (!ch.ok() || ch->rest != "'") throw SyntaxError{static_cast<int>(p), "invalid character constant"};
        t.type = Tok::kChar;
        t.text = std::to_string(ch->value);
        p = e + 1;
      } else if (c == '$') {
        size_t e = p + 1;
        while (e < src.size() && IsAlnum(src[e])) ++e;
        t.type = Tok::kVariable;
        t.text = std::string(src.substr(p, e - p));
        p = e;
      } else if (c == '.') {
        if (p + 1 < src.size() && src[p + 1] >= '0' && src[p + 1] <= '9' && (toks.empty() || toks.back().type != Tok::kRParen || space)) {
          goto number;
        }
        size_t e = p + 1;
        while (e < src.size() && IsAlnum(src[e])) ++e;
        if (e == p + 1) {
          t.type = Tok::kDot;
        } else {
          t.type = Tok::kField;
          t.text = std::string(src.substr(p + 1, e - p - 1));
        }
        p = e;
      } else if ((c >= '0' && c <= '9') || c == '+' || c == '-') {
      number:
        size_t e = p;
        if (src[e] == '+' || src[e] == '-') ++e;
        while (e < src.size() && (IsAlnum(src[e]) || src[e] == '.' ||
                                  ((src[e] == '+' || src[e] == '-') && (src[e - 1] == 'e' || src[e - 1] == 'E' || src[e - 1] == 'p' || src[e - 1] == 'P')))) {
          ++e;
        }
        t.type = Tok::kNumber;
        t.text = std::string(src.substr(p, e - p));
        if (t.text == "+" || t.text == "-") throw SyntaxError{static_cast<int>(p), fmt::format("unrecognized character in action: U+{:04X} '{}'", static_cast<int>(c), c)};
        p = e;
      } else if (IsAlnum(c)) {
        size_t e = p;
        while (e < src.size() && IsAlnum(src[e])) ++e;
        t.type = Tok::kIdent;
        t.text = std::string(src.substr(p, e - p));
        p = e;
      } else {
        throw SyntaxError{static_cast<int>(p), fmt::format("unrecognized character in action: U+{:04X}", static_cast<unsigned char>(c))};
      }
      toks.push_back(std::move(t));
    }
    i = p;
  }
  toks.push_back({Tok::kEOF, "", static_cast<int>(src.size())});
  return toks;
}

}  // namespace

// ---------------------------------------------------------------- AST

struct Pipe;

struct Arg {
  enum Kind { kField, kVariable, kIdent, kDot, kNil, kLiteral, kPipe } kind;
  int pos = 0;
  std::string name;                 // variable or function name
  std::vector<std::string> fields;  // field chain (for kField, kVariable, kPipe)
  Value literal;
  std::shared_ptr<Pipe> pipe;
  std::string Text() const {
    std::string s;
    if (kind == kVariable || kind == kIdent) s = name;
    else if (kind == kDot) s = ".";
    else if (kind == kNil) s = "nil";
    else if (kind == kLiteral) s = literal.kind() == Value::Kind::kString ? "\"" + literal.as_string() + "\"" : literal.ToString();
    else if (kind == kPipe) s = "(...)";
    for (const auto& f : fields) s += "." + f;
    return s;
  }
};

struct Command {
  int pos = 0;
  std::vector<Arg> args;
};

struct Pipe {
  int pos = 0;
  bool is_assign = false;
  std::vector<std::string> decl;
  std::vector<Command> cmds;
};

struct Node {
  enum Kind { kText, kAction, kIf, kRange, kWith, kTemplate, kBreak, kContinue } kind;
  int pos = 0;
  std::string text;  // kText; template name for kTemplate
  std::shared_ptr<Pipe> pipe;
  std::vector<Node> list, else_list;
};

struct Tree {
  std::string name;
  std::shared_ptr<const std::string> source;
  std::vector<Node> root;
};

namespace {

const std::set<std::string, std::less<>>& Builtins() {
  static const std::set<std::string, std::less<>> kNames = {
      "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne",
      "lt", "le", "gt", "ge", "html", "js", "urlquery", "call"};
  return kNames;
}

// ---------------------------------------------------------------- parser

class Parser {
 public:
  Parser(std::string name, std::shared_ptr<const std::string> src, const FuncMap& funcs)
      : name_(std::move(name)), src_(std::move(src)), funcs_(funcs) {}

  // Returns the main tree and the {{define}}d ones.
  std::vector<Tree> Run() {
    toks_ = Lex(*src_);
    Tree main{name_, src_, {}};
    while (Peek().type != Tok::kEOF) {
      if (Peek().type == Tok::kLeftDelim && PeekAt(1).type == Tok::kIdent && PeekAt(1).text == "define") {
        Next();
        Next();
        Token n = Next();
        if (n.type != Tok::kString) throw SyntaxError{n.pos, "name of defined template must be a string"};
        Expect(Tok::kRightDelim, "define clause");
        Tree t{n.text, src_, {}};
        Node* end = nullptr;
        t.root = ParseList(&end, "define");
        if (end->text != "end") throw SyntaxError{end->pos, "unexpected {{" + end->text + "}} in define"};
        defined_.push_back(std::move(t));
        continue;
      }
      Node* end = nullptr;
      auto list = ParseList(&end, "");
      for (auto& n : list) main.root.push_back(std::move(n));
      if (end) throw SyntaxError{end->pos, "unexpected {{" + end->text + "}}"};
    }
    std::vector<Tree> out;
    out.push_back(std::move(main));
    for (auto& t : defined_) out.push_back(std::move(t));
    return out;
  }

 private:
  const Token& Peek() const { return toks_[pos_]; }
  const Token& PeekAt(size_t k) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  Token Next() {
    Token t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  void Expect(Tok type, std::string_view context) {
    Token t = Next();
    if (t.type != type) throw SyntaxError{t.pos, fmt::format("unexpected {} in {}", Describe(t), context)};
  }
  static std::string Describe(const Token& t) {
    switch (t.type) {
      case Tok::kRightDelim: return "\"}}\"";
      case Tok::kEOF: return "EOF";
      case Tok::kString: return "quoted string";
      case Tok::kNumber: return "number " + t.text;
      case Tok::kLParen: return "\"(\"";
      case Tok::kRParen: return "\")\"";
      case Tok::kPipe: return "\"|\"";
      case Tok::kComma: return "\",\"";
      case Tok::kDeclare: return "\":=\"";
      case Tok::kAssign: return "\"=\"";
      case Tok::kText: return "text";
      default: return "<" + t.text + ">";
    }
  }

  // Parses nodes until {{end}}, {{else...}} (returned through *end, with the delimiter and
  // keyword consumed) or EOF (end = nullptr; an error inside a block).
  std::vector<Node> ParseList(Node** end, std::string_view context) {
    std::vector<Node> out;
    *end = nullptr;
    if (++depth_ > 500) throw SyntaxError{Peek().pos, "template nested too deeply"};
    while (true) {
      const Token& t = Peek();
      if (t.type == Tok::kEOF) {
        if (!context.empty()) throw SyntaxError{t.pos, fmt::format("unexpected EOF in {}", context)};
        break;
      }
      if (t.type == Tok::kText) {
        Node n{Node::kText, t.pos};
        n.text = t.text;
        Next();
        out.push_back(std::move(n));
        continue;
      }
      // Left delimiter.
      if (context.empty() && PeekAt(1).type == Tok::kIdent && PeekAt(1).text == "define") break;
      Next();
      const Token& kw = Peek();
      if (kw.type == Tok::kIdent && (kw.text == "end" || kw.text == "else")) {
        end_node_ = Node{Node::kText, kw.pos};
        end_node_.text = kw.text;
        Next();
        if (kw.type == Tok::kIdent && end_node_.text == "end") Expect(Tok::kRightDelim, "end");
        *end = &end_node_;
        break;
      }
      out.push_back(ParseAction());
    }
    --depth_;
    return out;
  }

  Node ParseAction() {
    Token kw = Peek();
    if (kw.type == Tok::kIdent) {
      if (kw.text == "if" || kw.text == "range" || kw.text == "with") {
        Next();
        return ParseControl(kw.text == "if" ? Node::kIf : kw.text == "range" ? Node::kRange : Node::kWith, kw.pos, kw.text);
      }
      if (kw.text == "template" || kw.text == "block") {
        Next();
        Token n = Next();
        if (n.type != Tok::kString) throw SyntaxError{n.pos, fmt::format("unexpected {} in {} clause", Describe(n), kw.text)};
        Node node{Node::kTemplate, kw.pos};
        node.text = n.text;
        if (Peek().type != Tok::kRightDelim) node.pipe = ParsePipeline(kw.text, false);
        else Next();
        if (kw.text == "block") {
          Tree t{n.text, src_, {}};
          Node* end = nullptr;
          t.root = ParseList(&end, "block");
          if (end->text != "end") throw SyntaxError{end->pos, "unexpected {{else}} in block"};
          defined_.push_back(std::move(t));
        }
        return node;
      }
      if (kw.text == "break" || kw.text == "continue") {
        if (range_depth_ == 0) throw SyntaxError{kw.pos, fmt::format("{{{{{}}}}} outside {{{{range}}}}", kw.text)};
        Next();
        Expect(Tok::kRightDelim, kw.text);
        return Node{kw.text == "break" ? Node::kBreak : Node::kContinue, kw.pos};
      }
      if (kw.text == "define") throw SyntaxError{kw.pos, "unexpected define: define is only allowed at top level"};
    }
    Node n{Node::kAction, kw.pos};
    n.pipe = ParsePipeline("command", true);
    return n;
  }

  Node ParseControl(Node::Kind kind, int pos, const std::string& context) {
    Node n{kind, pos};
    size_t vars_mark = vars_.size();
    n.pipe = ParsePipeline(context, true, kind == Node::kRange);
    if (kind == Node::kRange) ++range_depth_;
    Node* end = nullptr;
    n.list = ParseList(&end, context);
    if (kind == Node::kRange) --range_depth_;
    if (end->text == "else") {
      // {{else if ...}} / {{else with ...}} nest a control node in the else branch.
      if ((kind == Node::kIf && Peek().type == Tok::kIdent && Peek().text == "if") ||
          (kind == Node::kWith && Peek().type == Tok::kIdent && Peek().text == "with")) {
        Token kw = Next();
        vars_.resize(vars_mark);
        n.else_list.push_back(ParseControl(kind, kw.pos, context));
        return n;
      }
      Expect(Tok::kRightDelim, "else");
      n.else_list = ParseList(&end, context);
      if (end->text != "end") throw SyntaxError{end->pos, "expected end; found {{else}}"};
    }
    vars_.resize(vars_mark);
    return n;
  }

  std::shared_ptr<Pipe> ParsePipeline(std::string_view context, bool allow_decl, bool range = false) {
    auto pipe = std::make_shared<Pipe>();
    pipe->pos = Peek().pos;
    // Declarations: $x := / $x = / $i, $v :=
    if (allow_decl && Peek().type == Tok::kVariable) {
      size_t save = pos_;
      std::vector<std::string> names{Next().text};
      if (range && Peek().type == Tok::kComma) {
        Next();
        if (Peek().type == Tok::kVariable) names.push_back(Next().text);
        else throw SyntaxError{Peek().pos, "missing variable after comma in range"};
      }
      if (Peek().type == Tok::kDeclare || Peek().type == Tok::kAssign) {
        pipe->is_assign = Peek().type == Tok::kAssign;
        Next();
        if (names.size() > 1 && pipe->is_assign && !range) throw SyntaxError{pipe->pos, "too many declarations"};
        pipe->decl = names;
        if (!pipe->is_assign) {
          for (auto& v : names) vars_.push_back(v);
        } else {
          for (auto& v : names) CheckVariable(v, pipe->pos);
        }
      } else {
        pos_ = save;
      }
    }
    while (true) {
      const Token& t = Peek();
      if (t.type == Tok::kRightDelim) {
        Next();
        break;
      }
      if (t.type == Tok::kRParen && paren_depth_ > 0) break;
      pipe->cmds.push_back(ParseCommand());
    }
    if (pipe->cmds.empty()) throw SyntaxError{pipe->pos, fmt::format("missing value for {}", context)};
    for (size_t i = 1; i < pipe->cmds.size(); ++i) {
      const Arg& first = pipe->cmds[i].args[0];
      if (first.kind == Arg::kLiteral || first.kind == Arg::kNil || first.kind == Arg::kDot) {
        throw SyntaxError{first.pos, fmt::format("non executable command in pipeline stage {}", i + 1)};
      }
    }
    return pipe;
  }

  Command ParseCommand() {
    Command cmd;
    cmd.pos = Peek().pos;
    while (true) {
      const Token& t = Peek();
      if (t.type == Tok::kRightDelim || t.type == Tok::kRParen) break;
      if (t.type == Tok::kPipe) {
        Next();
        break;
      }
      if (!cmd.args.empty() && !t.space_before && t.type != Tok::kEOF) {
        throw SyntaxError{t.pos, fmt::format("missing space? unexpected {} in operand", Describe(t))};
      }
      cmd.args.push_back(ParseOperand());
    }
    if (cmd.args.empty()) throw SyntaxError{Peek().pos, "missing command"};
    return cmd;
  }

  void CheckVariable(const std::string& name, int pos) {
    std::string_view base = name;
    if (std::find(vars_.begin(), vars_.end(), base) == vars_.end()) {
      throw SyntaxError{pos, fmt::format("undefined variable \"{}\"", name)};
    }
  }

  Arg ParseOperand() {
    Token t = Next();
    Arg a;
    a.pos = t.pos;
    switch (t.type) {
      case Tok::kField:
        a.kind = Arg::kField;
        a.fields.push_back(t.text);
        break;
      case Tok::kVariable:
        CheckVariable(t.text, t.pos);
        a.kind = Arg::kVariable;
        a.name = t.text;
        break;
      case Tok::kDot:
        a.kind = Arg::kDot;
        break;
      case Tok::kString:
        a.kind = Arg::kLiteral;
        a.literal = Value(t.text);
        break;
      case Tok::kChar:
        a.kind = Arg::kLiteral;
        a.literal = Value(static_cast<int64_t>(std::stoll(t.text)));
        break;
      case Tok::kNumber:
        a.kind = Arg::kLiteral;
        a.literal = ParseNumber(t);
        break;
      case Tok::kIdent:
        if (t.text == "true" || t.text == "false") {
          a.kind = Arg::kLiteral;
          a.literal = Value(t.text == "true");
        } else if (t.text == "nil") {
          a.kind = Arg::kNil;
        } else {
          if (!Builtins().count(t.text) && !funcs_.count(t.text)) {
            throw SyntaxError{t.pos, fmt::format("function \"{}\" not defined", t.text)};
          }
          a.kind = Arg::kIdent;
          a.name = t.text;
        }
        break;
      case Tok::kLParen: {
        ++paren_depth_;
        if (paren_depth_ > 200) throw SyntaxError{t.pos, "expression nested too deeply"};
        a.kind = Arg::kPipe;
        a.pipe = ParsePipeline("parenthesized pipeline", false);
        Token r = Next();
        if (r.type != Tok::kRParen) throw SyntaxError{r.pos, fmt::format("unclosed left paren")};
        --paren_depth_;
        break;
      }
      default:
        throw SyntaxError{t.pos, fmt::format("unexpected {} in operand", Describe(t))};
    }
    // Field chain directly attached: $x.A.B, (pipe).A, .A.B
    while (Peek().type == Tok::kField && !Peek().space_before) {
      if (a.kind == Arg::kLiteral || a.kind == Arg::kNil || a.kind == Arg::kIdent || a.kind == Arg::kDot) {
        throw SyntaxError{Peek().pos, fmt::format("unexpected . after term \"{}\"", a.Text())};
      }
      a.fields.push_back(Next().text);
    }
    return a;
  }

  static Value ParseNumber(const Token& t) {
    std::string s;
    for (char c : t.text) {
      if (c != '_') s.push_back(c);
    }
    bool neg = !s.empty() && s[0] == '-';
    std::string_view body = s;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
    bool is_hex = body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
    bool floaty = body.find('.') != std::string_view::npos ||
                  (!is_hex && body.find_first_of("eE") != std::string_view::npos) ||
                  (is_hex && body.find_first_of("pP") != std::string_view::npos);
    if (!floaty) {
      int base = 10;
      std::string_view digits = body;
      if (is_hex) { base = 16; digits.remove_prefix(2); }
      else if (body.size() > 1 && body[0] == '0' && (body[1] == 'b' || body[1] == 'B')) { base = 2; digits.remove_prefix(2); }
      else if (body.size() > 1 && body[0] == '0' && (body[1] == 'o' || body[1] == 'O')) { base = 8; digits.remove_prefix(2); }
      else if (body.size() > 1 && body[0] == '0') { base = 8; digits.remove_prefix(1); }
      uint64_t v = 0;
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
      if (ec == std::errc() && ptr == digits.data() + digits.size() && !digits.empty() && v <= static_cast<uint64_t>(INT64_MAX)) {
        return Value(neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v));
      }
    }
    bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    auto f = ascii ? ParseFloat(s) : Result<double>(Status::InvalidArgument("not ASCII"));
    if (!f.ok() || std::isnan(*f) || (std::isinf(*f) && body.find_first_of("iI") != std::string_view::npos)) {
      throw SyntaxError{t.pos, fmt::format("bad number syntax: \"{}\"", t.text)};
    }
    return Value(*f);
  }

  std::string name_;
  std::shared_ptr<const std::string> src_;
  const FuncMap& funcs_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int paren_depth_ = 0;
  int range_depth_ = 0;
  std::vector<std::string> vars_{"$"};
  std::vector<Tree> defined_;
  Node end_node_{Node::kText};
};

// ---------------------------------------------------------------- executor

struct ExecError {
  std::string msg;
};

enum class Flow { kNormal, kBreak, kContinue };

constexpr int kMaxExecDepth = 300;  // template calls; small enough for thread stacks under ASan
constexpr size_t kMaxOutputBytes = 16 << 20;

class Exec {
 public:
  Exec(const std::map<std::string, std::shared_ptr<const Tree>, std::less<>>& trees, const FuncMap& funcs, std::string* out)
      : trees_(trees), funcs_(funcs), out_(out) {}

  void Run(const Tree& tree, const Value& dot) {
    const Tree* saved = tree_;
    tree_ = &tree;
    if (++depth_ > kMaxExecDepth) Fail(0, "exceeded maximum template depth (300)");
    size_t mark = vars_.size();
    vars_.push_back({"$", dot});
    WalkList(tree.root, dot);
    vars_.resize(mark);
    --depth_;
    tree_ = saved;
  }

 private:
  [[noreturn]] void Fail(int pos, const std::string& msg, const std::string& at = "") {
    auto [line, col] = LineCol(*tree_->source, pos);
    std::string where = at.empty() ? "" : fmt::format(" at <{}>", at);
    throw ExecError{fmt::format("template: {}:{}:{}: executing \"{}\"{}: {}", tree_->name, line, col, tree_->name, where, msg)};
  }

  Flow WalkList(const std::vector<Node>& list, const Value& dot) {
    for (const Node& n : list) {
      Flow f = Walk(n, dot);
      if (f != Flow::kNormal) return f;
    }
    return Flow::kNormal;
  }

  void Emit(std::string_view s) {
    if (out_->size() + s.size() > kMaxOutputBytes) throw ExecError{"template: output exceeds 16 MiB"};
    out_->append(s);
  }

  Flow Walk(const Node& n, const Value& dot) {
    switch (n.kind) {
      case Node::kText:
        Emit(n.text);
        return Flow::kNormal;
      case Node::kAction: {
        Value v = EvalPipeline(*n.pipe, dot);
        if (n.pipe->decl.empty()) Emit(Printable(v, n.pos));
        return Flow::kNormal;
      }
      case Node::kIf:
      case Node::kWith: {
        size_t mark = vars_.size();
        Value v = EvalPipeline(*n.pipe, dot);
        Flow f = Flow::kNormal;
        if (v.Truthy()) {
          f = WalkList(n.list, n.kind == Node::kWith ? v : dot);
        } else {
          f = WalkList(n.else_list, dot);
        }
        vars_.resize(mark);
        return f;
      }
      case Node::kRange:
        return WalkRange(n, dot);
      case Node::kTemplate: {
        auto it = trees_.find(n.text);
        if (it == trees_.end()) Fail(n.pos, fmt::format("template \"{}\" not defined", n.text), "");
        Value arg = n.pipe ? EvalPipeline(*n.pipe, dot) : Value();
        // A template invocation does not see the caller's variables.
        std::vector<std::pair<std::string, Value>> saved;
        saved.swap(vars_);
        Run(*it->second, arg);
        vars_.swap(saved);
        return Flow::kNormal;
      }
      case Node::kBreak:
        return Flow::kBreak;
      case Node::kContinue:
        return Flow::kContinue;
    }
    return Flow::kNormal;
  }

  Flow WalkRange(const Node& n, const Value& dot) {
    size_t mark = vars_.size();
    Value v = EvalPipeline(*n.pipe, dot);
    // The pipeline's declared variables are re-bound per element: value only, or key + value.
    const auto& decl = n.pipe->decl;
    size_t mark_elems = vars_.size();
    auto one = [&](const Value& key, const Value& elem) -> bool {
      if (!decl.empty()) {
        if (decl.size() == 1) SetVar(decl[0], elem, n.pipe->is_assign);
        else {
          SetVar(decl[0], key, n.pipe->is_assign);
          SetVar(decl[1], elem, n.pipe->is_assign);
        }
      }
      Flow f = WalkList(n.list, elem);
      vars_.resize(mark_elems);
      return f != Flow::kBreak;
    };
    bool any = false;
    switch (v.kind()) {
      case Value::Kind::kList: {
        const List& l = v.as_list();
        for (size_t i = 0; i < l.size(); ++i) {
          any = true;
          if (!one(Value(static_cast<int64_t>(i)), l[i])) break;
        }
        break;
      }
      case Value::Kind::kMap:
        for (const auto& [k, e] : v.as_map()) {
          any = true;
          if (!one(Value(k), e)) break;
        }
        break;
      case Value::Kind::kInt:
        for (int64_t i = 0; i < v.as_int(); ++i) {
          any = true;
          if (!one(Value(i), Value(i))) break;
        }
        break;
      case Value::Kind::kNull:
        break;
      default:
        Fail(n.pos, fmt::format("range can't iterate over {}", v.ToString()));
    }
    if (!any) WalkList(n.else_list, dot);
    vars_.resize(mark);
    return Flow::kNormal;
  }

  void SetVar(const std::string& name, const Value& v, bool assign) {
    if (assign) {
      for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
        if (it->first == name) {
          it->second = v;
          return;
        }
      }
      throw ExecError{fmt::format("template: undefined variable: {}", name)};
    }
    vars_.push_back({name, v});
  }

  const Value& GetVar(const std::string& name, int pos) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    Fail(pos, fmt::format("undefined variable: {}", name));
  }

  std::string Printable(const Value& v, int pos) {
    if (v.kind() == Value::Kind::kFunc) Fail(pos, "can't print a function value");
    return v.ToString();
  }

  Value EvalPipeline(const Pipe& pipe, const Value& dot) {
    Value v;
    bool has_final = false;
    for (const Command& c : pipe.cmds) {
      v = EvalCommand(c, dot, has_final ? &v : nullptr);
      has_final = true;
    }
    // Range with two variables binds them per element (WalkRange), not here.
    if (pipe.decl.size() == 1) SetVar(pipe.decl[0], v, pipe.is_assign);
    return v;
  }

  Value EvalCommand(const Command& c, const Value& dot, const Value* final) {
    const Arg& first = c.args[0];
    std::span<const Arg> rest(c.args.data() + 1, c.args.size() - 1);
    switch (first.kind) {
      case Arg::kIdent:
        return CallFunction(first, rest, dot, final);
      case Arg::kField:
        return EvalFieldChain(dot, first, first.fields, rest, dot, final);
      case Arg::kVariable: {
        const Value& base = GetVar(first.name, first.pos);
        if (first.fields.empty()) {
          if (!rest.empty() || final) NotAFunction(first);
          return base;
        }
        return EvalFieldChain(base, first, first.fields, rest, dot, final);
      }
      case Arg::kPipe: {
        Value base = EvalPipeline(*first.pipe, dot);
        if (first.fields.empty()) {
          if (!rest.empty() || final) NotAFunction(first);
          return base;
        }
        return EvalFieldChain(base, first, first.fields, rest, dot, final);
      }
      default:
        if (!rest.empty() || final) NotAFunction(first);
        return EvalArg(first, dot);
    }
  }

  [[noreturn]] void NotAFunction(const Arg& a) {
    Fail(a.pos, fmt::format("can't give argument to non-function {}", a.Text()), a.Text());
  }

  Value EvalFieldChain(Value receiver, const Arg& node, const std::vector<std::string>& fields,
                       std::span<const Arg> args, const Value& dot, const Value* final) {
    for (size_t i = 0; i < fields.size(); ++i) {
      bool last = i + 1 == fields.size();
      const Value* f = receiver.Field(fields[i]);
      if (!f) {
        // Go: a missing map key, or any field of a missing value, is the invalid value
        // (printed "<no value>"), not an error.
        if (receiver.kind() == Value::Kind::kMap || receiver.is_null()) {
          if (last && (!args.empty() || final)) {
            Fail(node.pos, fmt::format("{} is not a method but has arguments", fields[i]), node.Text());
          }
          receiver = Value();
          continue;
        }
        Fail(node.pos, fmt::format("can't evaluate field {} in type {}", fields[i], receiver.TypeName()), node.Text());
      }
      if (const Function* fn = f->as_func()) {
        std::vector<Value> argv;
        if (last) {
          for (const Arg& a : args) argv.push_back(EvalArg(a, dot));
          if (final) argv.push_back(*final);
        }
        auto r = (*fn)(argv);
        if (!r.ok()) Fail(node.pos, fmt::format("error calling {}: {}", fields[i], r.status().message()), node.Text());
        receiver = std::move(r).value();
        continue;
      }
      if (last && (!args.empty() || final)) {
        Fail(node.pos, fmt::format("{} is not a method but has arguments", fields[i]), node.Text());
      }
      receiver = *f;
    }
    return receiver;
  }

  Value EvalArg(const Arg& a, const Value& dot) {
    switch (a.kind) {
      case Arg::kDot: return dot;
      case Arg::kNil: return Value();
      case Arg::kLiteral: return a.literal;
      case Arg::kField: return EvalFieldChain(dot, a, a.fields, {}, dot, nullptr);
      case Arg::kVariable: {
        const Value& base = GetVar(a.name, a.pos);
        return a.fields.empty() ? base : EvalFieldChain(base, a, a.fields, {}, dot, nullptr);
      }
      case Arg::kPipe: {
        Value base = EvalPipeline(*a.pipe, dot);
        return a.fields.empty() ? base : EvalFieldChain(base, a, a.fields, {}, dot, nullptr);
      }
      case Arg::kIdent: {
        // A function used as an argument is called with no arguments (Go: niladic function).
        return CallFunction(a, {}, dot, nullptr);
      }
    }
    return Value();
  }

  Value CallFunction(const Arg& fn, std::span<const Arg> args, const Value& dot, const Value* final) {
    const std::string& name = fn.name;
    // and/or evaluate lazily and return the deciding argument (Go 1.18+).
    if (name == "and" || name == "or") {
      size_t n = args.size() + (final ? 1 : 0);
      if (n < 1) Fail(fn.pos, fmt::format("wrong number of args for {}: want at least 1 got 0", name), name);
      Value v;
      for (size_t i = 0; i < n; ++i) {
        v = i < args.size() ? EvalArg(args[i], dot) : *final;
        if (v.Truthy() != (name == "and")) return v;
      }
      return v;
    }
    std::vector<Value> argv;
    argv.reserve(args.size() + 1);
    for (const Arg& a : args) argv.push_back(EvalArg(a, dot));
    if (final) argv.push_back(*final);
    Result<Value> r = Status::Internal("unreachable");
    if (auto it = funcs_.find(name); it != funcs_.end()) {
      r = it->second(argv);
    } else {
      r = CallBuiltin(name, argv);
    }
    if (!r.ok()) Fail(fn.pos, fmt::format("error calling {}: {}", name, r.status().message()), name);
    return std::move(r).value();
  }

  static Result<Value> CallBuiltin(const std::string& name, std::span<const Value> a);

  const std::map<std::string, std::shared_ptr<const Tree>, std::less<>>& trees_;
  const FuncMap& funcs_;
  std::string* out_;
  const Tree* tree_ = nullptr;
  std::vector<std::pair<std::string, Value>> vars_;
  int depth_ = 0;
};

Status ArgCount(std::string_view name, std::span<const Value> a, size_t want) {
  if (a.size() != want) return Status::InvalidArgument(fmt::format("wrong number of args for {}: want {} got {}", name, want, a.size()));
  return Status::Ok();
}

// Go's template comparison: basic kinds only; ints and floats compare as numbers here.
Result<int> Compare(const Value& x, const Value& y, bool ordered) {
  if (x.is_number() && y.is_number()) {
    if (x.kind() == Value::Kind::kInt && y.kind() == Value::Kind::kInt) return x.as_int() < y.as_int() ? -1 : x.as_int() > y.as_int() ? 1 : 0;
    double a = x.as_number(), b = y.as_number();
    if (std::isnan(a) || std::isnan(b)) return 2;  // unordered: never equal, never less
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (x.kind() != y.kind()) {
    if (!ordered && (x.is_null() || y.is_null())) return x.is_null() && y.is_null() ? 0 : 3;
    return Status::InvalidArgument("incompatible types for comparison");
  }
  switch (x.kind()) {
    case Value::Kind::kString: {
      int c = x.as_string().compare(y.as_string());
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    case Value::Kind::kBool:
      if (ordered) return Status::InvalidArgument("invalid type for comparison");
      return x.as_bool() == y.as_bool() ? 0 : 3;
    case Value::Kind::kNull:
      if (ordered) return Status::InvalidArgument("invalid type for comparison");
      return 0;
    default:
      return Status::InvalidArgument("invalid type for comparison");
  }
}

std::string JsEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '"': out += "\\\""; break;
      case '<': out += "\\u003C"; break;
      case '>': out += "\\u003E"; break;
      case '&': out += "\\u0026"; break;
      case '=': out += "\\u003D"; break;
      case '\n': out += "\\u000A"; break;
      case '\r': out += "\\u000D"; break;
      case '\t': out += "\\u0009"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04X}", c);
        else out.push_back(c);
    }
  }
  return out;
}

// Go's fmt.Sprint: spaces between operands when neither side is a string.
std::string Sprint(std::span<const Value> a) {
  std::string out;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && a[i].kind() != Value::Kind::kString && a[i - 1].kind() != Value::Kind::kString) out += ' ';
    out += a[i].is_null() ? "<nil>" : a[i].ToString();
  }
  return out;
}

Result<Value> Exec::CallBuiltin(const std::string& name, std::span<const Value> a) {
  if (name == "not") {
    SREMON_RETURN_IF_ERROR(ArgCount(name, a, 1));
    return Value(!a[0].Truthy());
  }
  if (name == "len") {
    SREMON_RETURN_IF_ERROR(ArgCount(name, a, 1));
    switch (a[0].kind()) {
      case Value::Kind::kString: return Value(static_cast<int64_t>(a[0].as_string().size()));
      case Value::Kind::kList: return Value(static_cast<int64_t>(a[0].as_list().size()));
      case Value::Kind::kMap: return Value(static_cast<int64_t>(a[0].as_map().size()));
      default: return Status::InvalidArgument(fmt::format("len of type {}", a[0].TypeName()));
    }
  }
  if (name == "index") {
    if (a.empty()) return Status::InvalidArgument("wrong number of args for index: want at least 1 got 0");
    Value v = a[0];
    for (size_t i = 1; i < a.size(); ++i) {
      if (v.kind() == Value::Kind::kMap) {
        if (a[i].kind() != Value::Kind::kString) return Status::InvalidArgument(fmt::format("value has type {}; should be string", a[i].TypeName()));
        const Value* f = v.Field(a[i].as_string());
        v = f && v.as_map().count(a[i].as_string()) ? *f : Value(std::string());
      } else if (v.kind() == Value::Kind::kList || v.kind() == Value::Kind::kString) {
        if (a[i].kind() != Value::Kind::kInt) return Status::InvalidArgument(fmt::format("cannot index slice/array with type {}", a[i].TypeName()));
        int64_t idx = a[i].as_int();
        size_t n = v.kind() == Value::Kind::kList ? v.as_list().size() : v.as_string().size();
        if (idx < 0 || static_cast<size_t>(idx) >= n) return Status::InvalidArgument(fmt::format("index out of range: {}", idx));
        v = v.kind() == Value::Kind::kList ? v.as_list()[idx] : Value(static_cast<int64_t>(static_cast<unsigned char>(v.as_string()[idx])));
      } else if (v.is_null()) {
        return Status::InvalidArgument("index of untyped nil");
      } else {
        return Status::InvalidArgument(fmt::format("can't index item of type {}", v.TypeName()));
      }
    }
    return v;
  }
  if (name == "slice") {
    if (a.empty() || a.size() > 4) return Status::InvalidArgument("wrong number of args for slice");
    const Value& v = a[0];
    size_t n = v.kind() == Value::Kind::kList ? v.as_list().size() : v.as_string().size();
    if (v.kind() != Value::Kind::kList && v.kind() != Value::Kind::kString) return Status::InvalidArgument(fmt::format("can't slice item of type {}", v.TypeName()));
    int64_t idx[3] = {0, static_cast<int64_t>(n), static_cast<int64_t>(n)};
    for (size_t i = 1; i < a.size(); ++i) {
      if (a[i].kind() != Value::Kind::kInt) return Status::InvalidArgument("cannot index slice with non-int");
      idx[i - 1] = a[i].as_int();
    }
    if (idx[0] < 0 || idx[1] < idx[0] || idx[1] > static_cast<int64_t>(n)) return Status::InvalidArgument(fmt::format("index out of range: {}", idx[1]));
    if (v.kind() == Value::Kind::kString) return Value(v.as_string().substr(idx[0], idx[1] - idx[0]));
    return Value(List(v.as_list().begin() + idx[0], v.as_list().begin() + idx[1]));
  }
  if (name == "print") return Value(Sprint(a));
  if (name == "println") {
    std::string out;
    for (size_t i = 0; i < a.size(); ++i) {
      if (i) out += ' ';
      out += a[i].is_null() ? "<nil>" : a[i].ToString();
    }
    return Value(out + "\n");
  }
  if (name == "printf") {
    if (a.empty() || a[0].kind() != Value::Kind::kString) return Status::InvalidArgument("printf needs a format string");
    return Value(Sprintf(a[0].as_string(), a.subspan(1)));
  }
  if (name == "eq") {
    if (a.size() < 2) return Status::InvalidArgument("missing argument for comparison");
    for (size_t i = 1; i < a.size(); ++i) {
      auto c = Compare(a[0], a[i], false);
      if (!c.ok()) return c.status();
      if (*c == 0) return Value(true);
    }
    return Value(false);
  }
  if (name == "ne" || name == "lt" || name == "le" || name == "gt" || name == "ge") {
    SREMON_RETURN_IF_ERROR(ArgCount(name, a, 2));
    auto c = Compare(a[0], a[1], name != "ne");
    if (!c.ok()) return c.status();
    int r = *c;
    if (name == "ne") return Value(r != 0);
    if (r == 2) return Value(false);
    if (name == "lt") return Value(r < 0);
    if (name == "le") return Value(r <= 0);
    if (name == "gt") return Value(r > 0);
    return Value(r >= 0);
  }
  if (name == "html") return Value(HtmlEscape(Sprint(a)));
  if (name == "js") return Value(JsEscape(Sprint(a)));
  if (name == "urlquery") {
    std::string s = Sprint(a), out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
      else if (c == ' ') out.push_back('+');
      else out += fmt::format("%{:02X}", c);
    }
    return Value(out);
  }
  if (name == "call") {
    if (a.empty() || !a[0].as_func()) return Status::InvalidArgument("non-function of type " + std::string(a.empty() ? "nil" : a[0].TypeName()));
    return (*a[0].as_func())(a.subspan(1));
  }
  return Status::InvalidArgument(fmt::format("function \"{}\" not defined", name));
}

std::string ParseErrorMessage(std::string_view name, std::string_view src, const SyntaxError& e) {
  auto [line, col] = LineCol(src, e.pos);
  return fmt::format("template: {}:{}:{}: {}", name, line, col, e.msg);
}

bool IsEmptyTree(const Tree& t) {
  for (const Node& n : t.root) {
    if (n.kind != Node::kText || !Trim(n.text).empty()) return false;
  }
  return true;
}

}  // namespace

Template::Template()
    : funcs_(std::make_shared<const FuncMap>()),
      trees_(std::make_shared<std::map<std::string, std::shared_ptr<const Tree>, std::less<>>>()) {}
Template::~Template() = default;
Template::Template(const Template&) = default;
Template& Template::operator=(const Template&) = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

Result<Template> Template::Parse(std::string_view name, std::string_view text, FuncMap funcs) {
  Template t;
  t.name_ = std::string(name);
  t.funcs_ = std::make_shared<const FuncMap>(std::move(funcs));
  SREMON_RETURN_IF_ERROR(t.AddParse(name, text));
  return t;
}

Status Template::AddParse(std::string_view name, std::string_view text) {
  auto src = std::make_shared<const std::string>(text);
  std::vector<Tree> trees;
  try {
    Parser p(std::string(name), src, *funcs_);
    trees = p.Run();
  } catch (const SyntaxError& e) {
    return Status::InvalidArgument(ParseErrorMessage(name, *src, e));
  }
  // Copy on write: copies of this Template keep their own set.
  auto next = std::make_shared<std::map<std::string, std::shared_ptr<const Tree>, std::less<>>>(*trees_);
  for (auto& t : trees) {
    auto it = next->find(t.name);
    if (it != next->end() && IsEmptyTree(t) && !IsEmptyTree(*it->second)) continue;
    std::string n = t.name;
    (*next)[n] = std::make_shared<const Tree>(std::move(t));
  }
  trees_ = std::move(next);
  return Status::Ok();
}

bool Template::Has(std::string_view name) const { return trees_->count(name) > 0; }

Result<std::string> Template::Execute(const Value& data) const { return ExecuteTemplate(name_, data); }

Result<std::string> Template::ExecuteTemplate(std::string_view name, const Value& data) const {
  auto it = trees_->find(name);
  if (it == trees_->end()) {
    return Status::NotFound(fmt::format("template: no template \"{}\" associated with template \"{}\"", name, name_));
  }
  std::string out;
  try {
    Exec e(*trees_, *funcs_, &out);
    e.Run(*it->second, data);
  } catch (const ExecError& err) {
    return Status::Execution(err.msg);
  }
  return out;
}

}  // namespace sremon::tmpl
