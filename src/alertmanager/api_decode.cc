#include "alertmanager/api_decode.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/json.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::alertmanager {

namespace {
using json = nlohmann::json;

bool Fail(ApiError* err, int http_status, int code, std::string msg) {
  *err = ApiError{http_status, code, std::move(msg)};
  return false;
}
}  // namespace

Result<int64_t> ParseApiTime(const std::string& s) {
  if (s.empty() || s.rfind("0001-01-01T00:00:00", 0) == 0) return int64_t{0};
  return ParseRfc3339(s);
}

bool DecodeAlerts(std::string_view text, int64_t now, int64_t resolve_timeout, std::vector<Alert>* valid,
                  std::vector<std::string>* invalid, ApiError* err) {
  auto parsed = ParseJson(text);
  if (!parsed.ok()) {
    return Fail(err, 400, 400, "parsing alerts body from \"\" failed, because " + parsed.status().message());
  }
  const json& body = *parsed;
  if (!body.is_array()) {
    return Fail(err, 400, 400,
                "parsing alerts body from \"\" failed, because json: cannot unmarshal object into Go value of type "
                "models.PostableAlerts");
  }
  std::vector<Alert> decoded;
  std::vector<std::vector<std::string>> bad_names(body.size());
  try {
    for (size_t i = 0; i < body.size(); ++i) {
      const json& j = body[i];
      if (!j.is_object()) {
        return Fail(err, 400, 400, "parsing alerts body from \"\" failed, because json: cannot unmarshal into models.PostableAlert");
      }
      if (!j.contains("labels") || j["labels"].is_null()) return Fail(err, 422, 602, fmt::format("{}.labels in body is required", i));
      Alert a;
      std::vector<model::Label> ls;
      for (const auto& [k, v] : j.at("labels").items()) {
        if (!model::IsValidLabelName(k)) bad_names[i].push_back(k);
        ls.push_back({k, v.get<std::string>()});
      }
      a.labels = model::Labels(std::move(ls));
      if (j.contains("annotations") && !j["annotations"].is_null()) {
        for (const auto& [k, v] : j["annotations"].items()) a.annotations[k] = v.get<std::string>();
      }
      if (j.contains("generatorURL") && !j["generatorURL"].is_null()) a.generator_url = j["generatorURL"].get<std::string>();
      for (auto [key, dst] : {std::pair{"startsAt", &a.starts_at}, std::pair{"endsAt", &a.ends_at}}) {
        if (!j.contains(key) || j[key].is_null()) continue;
        auto t = ParseApiTime(j[key].get<std::string>());
        if (!t.ok()) return Fail(err, 400, 400, fmt::format("parsing alerts body from \"\" failed, because {}", t.status().message()));
        *dst = *t;
      }
      decoded.push_back(std::move(a));
    }
  } catch (const json::exception& e) {
    return Fail(err, 400, 400, fmt::format("parsing alerts body from \"\" failed, because {}", e.what()));
  }
  for (size_t i = 0; i < decoded.size(); ++i) {
    Alert& a = decoded[i];
    a.updated_at = now;
    if (a.starts_at == 0) a.starts_at = a.ends_at == 0 ? now : a.ends_at;
    if (a.ends_at == 0) {
      a.timeout = true;
      a.ends_at = now + resolve_timeout;
    }
    // Validation as types.Alert.Validate.
    std::vector<std::string> errs;
    if (!bad_names[i].empty()) errs.push_back(fmt::format("invalid label set: invalid name {}", Quote(bad_names[i][0])));
    if (a.ends_at < a.starts_at) errs.push_back("start time must be before end time");
    if (a.labels.empty() && bad_names[i].empty()) errs.push_back("at least one label pair required");
    if (!errs.empty()) {
      invalid->push_back(Join(errs, "; "));
      continue;
    }
    valid->push_back(std::move(a));
  }
  return true;
}

bool DecodeSilence(std::string_view text, size_t max_bytes, Silence* s, ApiError* err) {
  auto parsed = ParseJson(text);
  if (!parsed.ok()) {
    return Fail(err, 400, 400, "parsing silence body from \"\" failed, because " + parsed.status().message());
  }
  const json& body = *parsed;
  if (!body.is_object()) {
    return Fail(err, 400, 400,
                "parsing silence body from \"\" failed, because json: cannot unmarshal into Go value of type "
                "models.PostableSilence");
  }
  for (const char* field : {"comment", "createdBy", "endsAt", "matchers", "startsAt"}) {
    if (!body.contains(field) || body[field].is_null()) return Fail(err, 422, 602, fmt::format("{} in body is required", field));
  }
  try {
    if (body.contains("id") && !body["id"].is_null()) s->id = body["id"].get<std::string>();
    s->comment = body["comment"].get<std::string>();
    s->created_by = body["createdBy"].get<std::string>();
    if (!body["matchers"].is_array()) {
      return Fail(err, 400, 400, "parsing silence body from \"\" failed, because json: cannot unmarshal into []*models.Matcher");
    }
    if (body["matchers"].empty()) return Fail(err, 422, 612, "matchers in body should have at least 1 items");
    // Upstream (v0.27+) measures the silence's protobuf; the strings are what counts.
    size_t size = s->id.size() + s->comment.size() + s->created_by.size();
    for (const auto& m : body["matchers"]) {
      for (const char* f : {"name", "value"}) {
        if (m.is_object() && m.contains(f) && m[f].is_string()) size += m[f].get_ref<const std::string&>().size();
      }
    }
    if (max_bytes != 0 && size > max_bytes) {
      return Fail(err, 400, 0,
                  fmt::format("silence exceeded maximum size: {} bytes (limit: {} bytes, "
                              "--silences.max-silence-size-bytes)",
                              size, max_bytes));
    }
    size_t i = 0;
    for (const auto& m : body["matchers"]) {
      for (const char* f : {"isRegex", "name", "value"}) {
        if (!m.is_object() || !m.contains(f) || m[f].is_null()) {
          return Fail(err, 422, 602, fmt::format("matchers.{}.{} in body is required", i, f));
        }
      }
      bool is_equal = !m.contains("isEqual") || m["isEqual"].is_null() || m["isEqual"].get<bool>();
      auto matcher = MatcherFromApi(m["name"].get<std::string>(), m["value"].get<std::string>(), m["isRegex"].get<bool>(),
                                    is_equal);
      if (!matcher.ok()) {
        return Fail(err, 400, 0, fmt::format("silence invalid: invalid label matcher {}: {}", i, matcher.status().message()));
      }
      s->matchers.push_back(*matcher);
      ++i;
    }
    for (auto [key, dst] : {std::pair{"startsAt", &s->starts_at}, std::pair{"endsAt", &s->ends_at}}) {
      auto t = ParseApiTime(body[key].get<std::string>());
      if (!t.ok()) return Fail(err, 400, 400, fmt::format("parsing silence body from \"\" failed, because {}", t.status().message()));
      *dst = *t;
    }
  } catch (const json::exception& e) {
    return Fail(err, 400, 400, fmt::format("parsing silence body from \"\" failed, because {}", e.what()));
  }
  return true;
}

}  // namespace sremon::alertmanager
