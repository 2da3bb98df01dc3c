#include "rules/rule_file.h"

#include <glob.h>

#include <algorithm>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "template/template.h"
#include "util/time.h"
#include "util/yaml.h"

namespace sremon::rules {

namespace {

int Line(const YAML::Node& n) { return YamlLine(n); }

class FileParser {
 public:
  FileParser(std::string_view path, const ParseOptions& options) : path_(path), options_(options) {}

  Result<RuleFile> Parse(std::string_view text) {
    RuleFile file;
    file.path = path_;
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument(fmt::format("{}:{}: yaml: {}", path_, YamlLine(e.mark), e.msg));
    }
    if (root.IsNull()) return file;  // an empty file has no groups (promtool accepts it)
    if (!root.IsMap()) return Status::InvalidArgument(fmt::format("{}:{}: expected a mapping with \"groups\"", path_, Line(root)));
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string key = it->first.as<std::string>("");
      if (key != "groups") Error(Line(it->first), fmt::format("field {} not found in type rulefmt.RuleGroups", key));
    }
    YAML::Node groups = root["groups"];
    if (groups && !groups.IsNull()) {
      if (!groups.IsSequence()) {
        Error(Line(groups), "\"groups\" must be a list");
      } else {
        std::set<std::string> names;
        for (const auto& g : groups) {
          GroupSpec spec = ParseGroup(g);
          if (!spec.name.empty() && !names.insert(spec.name).second) {
            Error(spec.line, fmt::format("groupname: \"{}\" is repeated in the same file", spec.name));
          }
          file.groups.push_back(std::move(spec));
        }
      }
    }
    if (!errors_.empty()) return Status::InvalidArgument(errors_);
    return file;
  }

 private:
  void Error(int line, const std::string& msg) {
    if (!errors_.empty()) errors_ += "\n";
    errors_ += fmt::format("{}:{}: {}", path_, line, msg);
  }

  bool Scalar(const YAML::Node& n, std::string* out, std::string_view what) {
    if (!n.IsScalar()) {
      Error(Line(n), fmt::format("{} must be a string", what));
      return false;
    }
    *out = n.Scalar();
    return true;
  }

  int64_t Duration(const YAML::Node& n, std::string_view what) {
    std::string s;
    if (!Scalar(n, &s, what)) return 0;
    // Durations are ASCII; other bytes are rejected here, before any formatting of the text.
    bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    auto d = ascii ? ParseDurationMs(s) : Result<int64_t>(Status::InvalidArgument("not ASCII"));
    if (!d.ok()) {
      Error(Line(n), fmt::format("{}: not a valid duration string: \"{}\"", what, s));
      return 0;
    }
    return *d;
  }

  std::vector<model::Label> LabelMap(const YAML::Node& n, std::string_view what, bool check_names) {
    std::vector<model::Label> out;
    if (n.IsNull()) return out;
    if (!n.IsMap()) {
      Error(Line(n), fmt::format("{} must be a mapping", what));
      return out;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.as<std::string>(""), v;
      if (!it->second.IsNull() && !Scalar(it->second, &v, fmt::format("{} value of {}", what, k))) continue;
      if (check_names && (!model::IsValidLabelName(k) || k == model::kMetricName)) {
        Error(Line(it->first), fmt::format("invalid label name: {}", k));
      } else if (!check_names && !model::IsValidLabelName(k)) {
        Error(Line(it->first), fmt::format("invalid annotation name: {}", k));
      }
      out.push_back({k, v});
    }
    return out;
  }

  GroupSpec ParseGroup(const YAML::Node& g) {
    GroupSpec spec;
    spec.file = path_;
    spec.line = Line(g);
    if (!g.IsMap()) {
      Error(spec.line, "a group must be a mapping");
      return spec;
    }
    static const std::set<std::string> kKnown = {"name", "interval", "limit", "rules", "labels", "query_offset",
                                                 "type", "params", "headers", "notifier_headers", "concurrency",
                                                 "eval_offset", "eval_delay", "eval_alignment"};
    for (auto it = g.begin(); it != g.end(); ++it) {
      std::string key = it->first.as<std::string>("");
      if (!kKnown.count(key)) Error(Line(it->first), fmt::format("field {} not found in type rulefmt.RuleGroup", key));
    }
    if (g["name"]) Scalar(g["name"], &spec.name, "group name");
    if (spec.name.empty()) Error(spec.line, "group name should not be empty");
    if (g["interval"]) spec.interval_ms = Duration(g["interval"], fmt::format("group \"{}\" interval", spec.name));
    if (g["limit"]) {
      std::string s;
      if (Scalar(g["limit"], &s, "limit")) {
        try {
          spec.limit = std::stoll(s);
        } catch (...) {
          Error(Line(g["limit"]), fmt::format("limit: not an integer: \"{}\"", s));
        }
      }
    }
    if (g["labels"]) spec.labels = LabelMap(g["labels"], "group labels", true);
    if (g["type"]) Scalar(g["type"], &spec.type, "type");
    if (g["params"] && g["params"].IsMap()) {
      for (auto it = g["params"].begin(); it != g["params"].end(); ++it) {
        spec.params.push_back({it->first.as<std::string>(""), it->second.IsScalar() ? it->second.Scalar() : ""});
      }
    }
    YAML::Node rules = g["rules"];
    if (rules && !rules.IsNull()) {
      if (!rules.IsSequence()) {
        Error(Line(rules), "\"rules\" must be a list");
      } else {
        int i = 0;
        for (const auto& r : rules) spec.rules.push_back(ParseRule(r, spec.name, ++i));
      }
    }
    return spec;
  }

  RuleSpec ParseRule(const YAML::Node& r, const std::string& group, int index) {
    RuleSpec spec;
    spec.line = Line(r);
    if (!r.IsMap()) {
      Error(spec.line, fmt::format("group \"{}\", rule {}: a rule must be a mapping", group, index));
      return spec;
    }
    auto rule_error = [&](int line, const std::string& msg) {
      Error(line, fmt::format("group \"{}\", rule {}, \"{}\": {}", group, index, spec.name(), msg));
    };
    if (r["record"]) Scalar(r["record"], &spec.record, "record");
    if (r["alert"]) Scalar(r["alert"], &spec.alert, "alert");
    static const std::set<std::string> kKnown = {"record", "alert", "expr", "for", "keep_firing_for", "labels",
                                                 "annotations", "debug", "update_entries_limit", "type", "id"};
    for (auto it = r.begin(); it != r.end(); ++it) {
      std::string key = it->first.as<std::string>("");
      if (!kKnown.count(key)) rule_error(Line(it->first), fmt::format("field {} not found in type rulefmt.RuleNode", key));
    }
    if (!spec.record.empty() && !spec.alert.empty()) rule_error(spec.line, "only one of 'record' and 'alert' must be set");
    if (spec.record.empty() && spec.alert.empty()) rule_error(spec.line, "one of 'record' or 'alert' must be set");
    if (r["expr"]) {
      spec.expr_line = Line(r["expr"]);
      Scalar(r["expr"], &spec.expr, "expr");
    }
    if (spec.expr.empty()) {
      rule_error(spec.line, "field 'expr' must be set in rule");
    } else if (options_.validate_expr) {
      Status st = options_.validate_expr(spec.expr);
      if (!st.ok()) rule_error(spec.expr_line, fmt::format("could not parse expression: {}", st.message()));
    }
    if (r["for"]) spec.for_ms = Duration(r["for"], "for");
    if (r["keep_firing_for"]) spec.keep_firing_for_ms = Duration(r["keep_firing_for"], "keep_firing_for");
    if (r["labels"]) spec.labels = LabelMap(r["labels"], "labels", true);
    if (r["annotations"]) spec.annotations = LabelMap(r["annotations"], "annotations", false);
    if (!spec.record.empty()) {
      if (r["annotations"]) rule_error(Line(r["annotations"]), "invalid field 'annotations' in recording rule");
      if (r["for"]) rule_error(Line(r["for"]), "invalid field 'for' in recording rule");
      if (r["keep_firing_for"]) rule_error(Line(r["keep_firing_for"]), "invalid field 'keep_firing_for' in recording rule");
      if (!model::IsValidMetricName(spec.record)) rule_error(spec.line, fmt::format("invalid recording rule name: {}", spec.record));
    }
    if (!spec.alert.empty() && options_.validate_templates) {
      tmpl::FuncMap funcs = tmpl::PrometheusFuncs([](const std::string&) -> Result<tmpl::List> { return tmpl::List{}; });
      auto check = [&](const std::vector<model::Label>& items, std::string_view kind, const YAML::Node& node) {
        for (const auto& l : items) {
          auto t = tmpl::Template::Parse("__alert_" + spec.alert, std::string(kTemplatePrelude) + l.value, funcs);
          if (!t.ok()) rule_error(node ? Line(node[l.name]) : spec.line, fmt::format("{} \"{}\": {}", kind, l.name, t.status().message()));
        }
      };
      check(spec.labels, "label", r["labels"]);
      check(spec.annotations, "annotation", r["annotations"]);
    }
    return spec;
  }

  std::string path_;
  const ParseOptions& options_;
  std::string errors_;
};

void AppendLabels(std::string* out, const std::vector<model::Label>& ls) {
  for (const auto& l : ls) {
    out->append(l.name);
    out->push_back('\x01');
    out->append(l.value);
    out->push_back('\x02');
  }
}

}  // namespace

std::string RuleSpec::Key() const {
  std::string k = (is_alert() ? "alert\x03" : "record\x03") + name() + "\x03" + expr + "\x03" +
                  std::to_string(for_ms) + "\x03" + std::to_string(keep_firing_for_ms) + "\x03";
  AppendLabels(&k, labels);
  k.push_back('\x03');
  AppendLabels(&k, annotations);
  return k;
}

Result<RuleFile> ParseRuleFile(std::string_view path, std::string_view text, const ParseOptions& options) {
  return FileParser(path, options).Parse(text);
}

Result<RuleFile> LoadRuleFile(const std::string& path, const ParseOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(fmt::format("cannot read rule file {}: {}", path, std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseRuleFile(path, ss.str(), options);
}

Result<std::vector<std::string>> ExpandRuleGlobs(const std::vector<std::string>& patterns) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& p : patterns) {
    glob_t g{};
    int rc = ::glob(p.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        if (seen.insert(g.gl_pathv[i]).second) out.push_back(g.gl_pathv[i]);
      }
    }
    globfree(&g);
    if (rc == GLOB_NOMATCH && p.find_first_of("*?[") == std::string::npos) {
      return Status::NotFound(fmt::format("cannot read rule file {}: no such file", p));
    }
    if (rc != 0 && rc != GLOB_NOMATCH) return Status::InvalidArgument(fmt::format("bad rule file pattern {}", p));
  }
  return out;
}

std::vector<std::string> FindDuplicateRules(const RuleFile& file) {
  std::vector<std::string> out;
  for (const auto& g : file.groups) {
    std::map<std::string, int> seen;
    for (const auto& r : g.rules) {
      std::vector<model::Label> sorted = r.labels;
      std::sort(sorted.begin(), sorted.end());
      std::string key = r.name() + "\x03" + r.expr + "\x03";
      AppendLabels(&key, sorted);
      if (++seen[key] == 2) {
        out.push_back(fmt::format("{}:{}: group \"{}\": duplicate rule \"{}\"", file.path, r.line, g.name, r.name()));
      }
    }
  }
  return out;
}

}  // namespace sremon::rules
