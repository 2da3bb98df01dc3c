// A Go text/template subset (https://pkg.go.dev/text/template) shared by the rules service
// (alert labels/annotations: `{{ $labels.job }}`, `{{ $value | humanize }}`) and the
// alertmanager (notification text: `{{ range .Alerts.Firing }}...{{ end }}`).
//
// Parse once, execute many: a Template is immutable after parsing and Execute() is const, so
// one Template may be executed from several threads at once (function values must be
// thread-safe too). Errors read like Go's:
//   parse:   template: NAME:LINE:COL: unexpected "}" in operand
//   execute: template: NAME:LINE:COL: executing "NAME" at <humanize>: ...
// Execution errors are returned, never thrown to the caller.
//
// Supported: text, comments, `{{- -}}` trimming, pipelines, variables (`$x := `, `$x = `,
// `$`), fields and map keys (`.A.B`, `$x.A`, `(pipe).A`), function values reachable as fields
// (Go methods such as `.Alerts.Firing`), if/else if/else, range (with `$i, $v :=`, else,
// break, continue), with/else with, define/template/block, and the Go builtins and, or, not,
// len, index, slice, print, printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery, call.
// Prometheus's functions (humanize...) are in PrometheusFuncs().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace sremon::tmpl {

class Value;
using List = std::vector<Value>;
using Map = std::map<std::string, Value, std::less<>>;
// A function callable from a template. Args are the evaluated arguments, the piped value last.
using Function = std::function<Result<Value>(std::span<const Value> args)>;

// The data model: null, bool, int, float, string, list, map (sorted keys, as Go's range over a
// map), or a function. Lists and maps are shared and immutable once wrapped, so copies are cheap.
class Value {
 public:
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kList, kMap, kFunc };

  Value() = default;
  Value(bool b) : kind_(Kind::kBool), b_(b) {}                       // NOLINT
  Value(int i) : kind_(Kind::kInt), i_(i) {}                         // NOLINT
  Value(int64_t i) : kind_(Kind::kInt), i_(i) {}                     // NOLINT
  Value(double d) : kind_(Kind::kFloat), d_(d) {}                    // NOLINT
  Value(std::string s);                                              // NOLINT
  Value(std::string_view s) : Value(std::string(s)) {}               // NOLINT
  Value(const char* s) : Value(std::string(s)) {}                    // NOLINT
  Value(List l);                                                     // NOLINT
  Value(Map m);                                                      // NOLINT
  Value(Function f);                                                 // NOLINT

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat; }
  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  // Int or float as a double (0 for other kinds).
  double as_number() const;
  // The string of a kString value ("" for other kinds).
  const std::string& as_string() const;
  const List& as_list() const;  // empty for other kinds
  const Map& as_map() const;    // empty for other kinds
  const Function* as_func() const;

  // Go methods of the value's type, reachable as fields (`.Alerts.Firing`, `.Labels.Names`).
  // Functions receive only their explicit arguments: bind the receiver when building them.
  Value& WithMethods(std::shared_ptr<const Map> methods) {
    methods_ = std::move(methods);
    return *this;
  }
  // Field or key lookup as `.name` does: a map key, else a method. nullptr when neither.
  const Value* Field(std::string_view name) const;

  // Go's template truth: false, 0, nil, and empty strings/lists/maps are false.
  bool Truthy() const;
  // Go's fmt %v: 1e+06 for float64(1000000), [a b] for lists, map[k:v] for maps.
  std::string ToString() const;
  // Go type name for error messages ("float64", "string", "map", ...).
  const char* TypeName() const;

 private:
  Kind kind_ = Kind::kNull;
  bool b_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::shared_ptr<const void> p_;  // string, List, Map or Function, by kind_
  std::shared_ptr<const Map> methods_;
};

using FuncMap = std::map<std::string, Function, std::less<>>;

struct Tree;  // parsed template definitions (template.cc)

// A set of named templates, as a Go *template.Template with its associated templates.
class Template {
 public:
  // Parses text as the template `name`; {{define}} blocks inside add more named templates.
  // funcs are the functions beyond Go's builtins; calling an unknown one is a parse error.
  static Result<Template> Parse(std::string_view name, std::string_view text, FuncMap funcs = {});

  // Parses more text into this set (alertmanager: several template files). Definitions with
  // the same name replace earlier ones, except that an empty body never replaces a non-empty one.
  Status AddParse(std::string_view name, std::string_view text);

  // Executes the template given to Parse().
  Result<std::string> Execute(const Value& data) const;
  // Executes a named template of the set. NotFound when it does not exist.
  Result<std::string> ExecuteTemplate(std::string_view name, const Value& data) const;
  bool Has(std::string_view name) const;
  const std::string& name() const { return name_; }

  Template();
  ~Template();
  Template(const Template&);
  Template& operator=(const Template&);
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

 private:
  std::string name_;
  std::shared_ptr<const FuncMap> funcs_;
  std::shared_ptr<std::map<std::string, std::shared_ptr<const Tree>, std::less<>>> trees_;
};

// Prometheus's template functions (prometheus/template/template.go): humanize, humanize1024,
// humanizeDuration, humanizePercentage, humanizeTimestamp, toTime, title, toUpper, toLower,
// match, reReplaceAll, safeHtml, stripPort, stripDomain, parseDuration, join, first, label,
// value, strvalue, sortByLabel, args, and `query` when query_fn is set.
//
// A query result is a list of samples, each a map {"Labels": map, "Value": float}.
using QueryFunc = std::function<Result<List>(const std::string& query)>;
FuncMap PrometheusFuncs(QueryFunc query_fn = nullptr);

// Go's fmt.Sprintf for the verbs templates use (%s %v %d %f %g %e %q %x %t %%, width, precision,
// flags - + 0 space #). Mismatched verbs print as Go does: "%!d(float64=1.5)".
std::string Sprintf(std::string_view format, std::span<const Value> args);

// Helpers for the data model.
Value LabelsToMap(const std::vector<std::pair<std::string, std::string>>& labels);

}  // namespace sremon::tmpl
