#include "alertmanager/templates.h"

#include <glob.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "util/strings.h"

namespace sremon::alertmanager {

namespace {

using tmpl::List;
using tmpl::Map;
using tmpl::Value;

// The subset of upstream's default.tmpl used by the default email and slack fields.
constexpr const char* kDefaultTemplates = R"TMPL(
{{ define "__alertmanager" }}Alertmanager{{ end }}
{{ define "__alertmanagerURL" }}{{ .ExternalURL }}/#/alerts?receiver={{ .Receiver | urlquery }}{{ end }}
{{ define "__subject" }}[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .GroupLabels.SortedPairs.Values | join " " }} {{ if gt (len .CommonLabels) (len .GroupLabels) }}({{ with .CommonLabels.Remove .GroupLabels.Names }}{{ .Values | join " " }}{{ end }}){{ end }}{{ end }}
{{ define "__description" }}{{ end }}
{{ define "__text_alert_list" }}{{ range . }}Labels:
{{ range .Labels.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end }}Annotations:
{{ range .Annotations.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end }}Source: {{ .GeneratorURL }}
{{ end }}{{ end }}
{{ define "slack.default.title" }}{{ template "__subject" . }}{{ end }}
{{ define "slack.default.username" }}{{ template "__alertmanager" . }}{{ end }}
{{ define "slack.default.fallback" }}{{ template "slack.default.title" . }} | {{ template "slack.default.titlelink" . }}{{ end }}
{{ define "slack.default.callbackid" }}{{ end }}
{{ define "slack.default.pretext" }}{{ end }}
{{ define "slack.default.titlelink" }}{{ template "__alertmanagerURL" . }}{{ end }}
{{ define "slack.default.iconemoji" }}{{ end }}
{{ define "slack.default.iconurl" }}{{ end }}
{{ define "slack.default.text" }}{{ end }}
{{ define "slack.default.footer" }}{{ end }}
{{ define "email.default.subject" }}{{ template "__subject" . }}{{ end }}
{{ define "email.default.html" }}<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>{{ template "__subject" . }}</title></head>
<body style="font-family:sans-serif">
<p><a href="{{ template "__alertmanagerURL" . }}">View in {{ template "__alertmanager" . }}</a></p>
{{ if gt (len .Alerts.Firing) 0 }}<h3>[{{ .Alerts.Firing | len }}] Firing</h3>
{{ range .Alerts.Firing }}<p><b>Labels</b><br>{{ range .Labels.SortedPairs }}{{ .Name }} = {{ .Value }}<br>{{ end }}{{ if gt (len .Annotations) 0 }}<b>Annotations</b><br>{{ end }}{{ range .Annotations.SortedPairs }}{{ .Name }} = {{ .Value }}<br>{{ end }}<a href="{{ .GeneratorURL }}">Source</a></p>
{{ end }}{{ end }}{{ if gt (len .Alerts.Resolved) 0 }}<h3>[{{ .Alerts.Resolved | len }}] Resolved</h3>
{{ range .Alerts.Resolved }}<p><b>Labels</b><br>{{ range .Labels.SortedPairs }}{{ .Name }} = {{ .Value }}<br>{{ end }}{{ if gt (len .Annotations) 0 }}<b>Annotations</b><br>{{ end }}{{ range .Annotations.SortedPairs }}{{ .Name }} = {{ .Value }}<br>{{ end }}<a href="{{ .GeneratorURL }}">Source</a></p>
{{ end }}{{ end }}<p>Sent by {{ template "__alertmanager" . }}</p>
</body></html>
{{ end }}
)TMPL";

Value StringList(const std::vector<std::string>& v) {
  List l;
  for (const auto& s : v) l.emplace_back(s);
  return Value(std::move(l));
}

Value MakeKV(const std::map<std::string, std::string>& kv);

// A method that returns `result` whatever its arguments (the fixed answers of Names, Firing...).
Value Returning(Value result) {
  return Value(tmpl::Function([result](std::span<const Value>) -> Result<Value> { return result; }));
}

// v with these Go methods of its type (Value::WithMethods).
Value AddMethods(Value v, Map methods) {
  v.WithMethods(std::make_shared<const Map>(std::move(methods)));
  return v;
}

// template.Pairs: a list of {Name, Value} with Names() and Values().
Value MakePairs(const std::map<std::string, std::string>& kv) {
  List l;
  std::vector<std::string> names, values;
  for (const auto& [k, v] : kv) {
    l.emplace_back(Map{{"Name", Value(k)}, {"Value", Value(v)}});
    names.push_back(k);
    values.push_back(v);
  }
  return AddMethods(Value(std::move(l)),
                    {{"Names", Returning(StringList(names))}, {"Values", Returning(StringList(values))}});
}

// template.KV: a map with SortedPairs, Names, Values and Remove(names).
Value MakeKV(const std::map<std::string, std::string>& kv) {
  Map m;
  std::vector<std::string> names, values;
  for (const auto& [k, v] : kv) {
    m.emplace(k, Value(v));
    names.push_back(k);
    values.push_back(v);
  }
  auto sorted_pairs = [kv](std::span<const Value>) -> Result<Value> { return MakePairs(kv); };
  auto remove = [kv](std::span<const Value> args) -> Result<Value> {
    if (args.size() != 1) return Status::InvalidArgument("Remove: wrong number of args: want 1");
    auto copy = kv;
    for (const Value& n : args[0].as_list()) copy.erase(n.as_string());
    return MakeKV(copy);
  };
  return AddMethods(Value(std::move(m)), {{"SortedPairs", Value(tmpl::Function(sorted_pairs))},
                                          {"Names", Returning(StringList(names))},
                                          {"Values", Returning(StringList(values))},
                                          {"Remove", Value(tmpl::Function(remove))}});
}

std::map<std::string, std::string> LabelMap(const model::Labels& ls) {
  std::map<std::string, std::string> m;
  for (const auto& l : ls) m[l.name] = l.value;
  return m;
}

// Go's time.Time %v: "2006-01-02 15:04:05.999999999 +0000 UTC".
std::string GoTimeText(int64_t ms) {
  if (ms == 0) return "0001-01-01 00:00:00 +0000 UTC";
  time_t s = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&s, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (ms % 1000) {
    std::string frac = fmt::format("{:03}", ms % 1000);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + " +0000 UTC";
}

Value AlertList(const std::vector<Value>& all, const std::vector<bool>& firing) {
  List l(all.begin(), all.end());
  List f, r;
  for (size_t i = 0; i < all.size(); ++i) (firing[i] ? f : r).push_back(all[i]);
  return AddMethods(Value(std::move(l)),
                    {{"Firing", Returning(Value(std::move(f)))}, {"Resolved", Returning(Value(std::move(r)))}});
}

tmpl::FuncMap AlertmanagerFuncs() {
  tmpl::FuncMap all = tmpl::PrometheusFuncs();
  tmpl::FuncMap m;
  for (const char* name : {"toUpper", "toLower", "title", "join", "match", "safeHtml", "reReplaceAll"}) {
    if (all.count(name)) m[name] = all[name];
  }
  m["stringSlice"] = [](std::span<const Value> args) -> Result<Value> { return Value(List(args.begin(), args.end())); };
  return m;
}

}  // namespace

Value TemplateData(const NotifyData& d) {
  std::vector<Value> alerts;
  std::vector<bool> firing;
  for (const auto& a : d.alerts) {
    bool resolved = a.ResolvedAt(d.now);
    std::map<std::string, std::string> ann(a.annotations.begin(), a.annotations.end());
    alerts.emplace_back(Map{{"Status", Value(resolved ? "resolved" : "firing")},
                            {"Labels", MakeKV(LabelMap(a.labels))},
                            {"Annotations", MakeKV(ann)},
                            {"StartsAt", Value(GoTimeText(a.starts_at))},
                            {"EndsAt", Value(GoTimeText(resolved ? a.ends_at : 0))},
                            {"GeneratorURL", Value(a.generator_url)},
                            {"Fingerprint", Value(FingerprintString(a.Fingerprint()))}});
    firing.push_back(!resolved);
  }
  auto common_ann = d.CommonAnnotations();
  return Value(Map{{"Receiver", Value(d.receiver)},
                   {"Status", Value(d.AnyFiring() ? "firing" : "resolved")},
                   {"Alerts", AlertList(alerts, firing)},
                   {"GroupLabels", MakeKV(LabelMap(d.group_labels))},
                   {"CommonLabels", MakeKV(LabelMap(d.CommonLabels()))},
                   {"CommonAnnotations", MakeKV(std::map<std::string, std::string>(common_ann.begin(), common_ann.end()))},
                   {"ExternalURL", Value(d.external_url)}});
}

Result<TemplateFn> BuildTemplates(const Config& config) {
  auto set = tmpl::Template::Parse("default.tmpl", kDefaultTemplates, AlertmanagerFuncs());
  if (!set.ok()) return set.status().WithContext("default templates");
  std::filesystem::path base = std::filesystem::path(config.path).parent_path();
  for (const auto& pattern : config.templates) {
    std::string full = std::filesystem::path(pattern).is_absolute() ? pattern : (base / pattern).string();
    glob_t g{};
    if (glob(full.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::ifstream f(g.gl_pathv[i], std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        Status st = set->AddParse(std::filesystem::path(g.gl_pathv[i]).filename().string(), ss.str());
        if (!st.ok()) {
          std::string path = g.gl_pathv[i];
          globfree(&g);
          return Status::InvalidArgument(fmt::format("{}: {}", path, st.message()));
        }
      }
    }
    globfree(&g);
  }
  // Every template string of the receivers, parsed once under a generated name.
  std::set<std::string> texts;
  for (const auto& r : config.receivers) {
    for (const auto& e : r.emails) {
      for (const auto& [k, v] : e.headers) texts.insert(v);
      texts.insert(e.html);
      texts.insert(e.text);
    }
    for (const auto& s : r.slacks) {
      for (const auto* t : {&s.channel, &s.username, &s.color, &s.title, &s.title_link, &s.pretext, &s.text,
                            &s.fallback, &s.icon_emoji, &s.icon_url}) {
        texts.insert(*t);
      }
    }
  }
  auto names = std::make_shared<std::map<std::string, std::string>>();
  int n = 0;
  for (const auto& t : texts) {
    std::string name = fmt::format("__sremon_field_{}", n++);
    Status st = set->AddParse(name, "{{ define \"" + name + "\" }}" + t + "{{ end }}");
    if (!st.ok()) return Status::InvalidArgument(fmt::format("{}: bad receiver template {}: {}", config.path, Quote(t), st.message()));
    (*names)[t] = name;
  }
  auto shared = std::make_shared<const tmpl::Template>(std::move(*set));
  return TemplateFn([shared, names](const std::string& text, const NotifyData& data) -> Result<std::string> {
    auto it = names->find(text);
    if (it == names->end()) return Status::Internal(fmt::format("template {} was not parsed with the config", Quote(text)));
    return shared->ExecuteTemplate(it->second, TemplateData(data));
  });
}

}  // namespace sremon::alertmanager
