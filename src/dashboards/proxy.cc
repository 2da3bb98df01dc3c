#include "dashboards/proxy.h"

#include <fmt/format.h>

#include "http/http.h"
#include "util/strings.h"

namespace sremon::dashboards {

Result<std::vector<std::string>> DecodePathSegments(std::string_view raw_target) {
  std::string_view path = raw_target.substr(0, raw_target.find('?'));
  if (!path.starts_with("/")) return Status::InvalidArgument("invalid proxy path: it must start with '/'");
  std::vector<std::string> out;
  for (std::string_view raw : Split(path.substr(1), '/')) {
    std::string seg = http::UrlDecode(raw, /*plus_is_space=*/false);
    if (seg.empty() || seg == "." || seg == "..") {
      return Status::InvalidArgument(fmt::format("invalid proxy path: segment {} is empty, '.' or '..'", out.size() + 1));
    }
    for (unsigned char c : seg) {
      if (c <= 0x20 || c == 0x7f || c == '%' || c == '/' || c == '\\') {
        return Status::InvalidArgument(
            fmt::format("invalid proxy path: segment {} holds byte 0x{:02x} after decoding", out.size() + 1, c));
      }
    }
    out.push_back(std::move(seg));
  }
  return out;
}

std::string UpstreamUrl(std::string_view base, const std::vector<std::string>& segments,
                        const std::vector<std::pair<std::string, std::string>>& query) {
  while (base.ends_with('/')) base.remove_suffix(1);
  std::string url(base);
  for (const auto& s : segments) url += "/" + http::UrlEncode(s);
  char sep = '?';
  for (const auto& [k, v] : query) {
    url += sep + http::UrlEncode(k) + "=" + http::UrlEncode(v);
    sep = '&';
  }
  return url;
}

namespace {

// Does path equal pattern, where "*" in the pattern matches any one segment?
bool Matches(const std::vector<std::string>& path, std::initializer_list<std::string_view> pattern) {
  if (path.size() != pattern.size()) return false;
  size_t i = 0;
  for (std::string_view p : pattern) {
    if (p != "*" && path[i] != p) return false;
    ++i;
  }
  return true;
}

}  // namespace

bool IsDatasourceRead(const std::vector<std::string>& path) {
  for (std::string_view endpoint : {"query", "query_range", "series", "labels", "metadata", "query_exemplars", "rules",
                                    "alerts"}) {
    if (Matches(path, {"api", "v1", endpoint})) return true;
  }
  return Matches(path, {"api", "v1", "label", "*", "values"}) || Matches(path, {"api", "v1", "status", "buildinfo"});
}

bool IsSremonRead(std::string_view service, const std::vector<std::string>& path) {
  if (service == "rules") return Matches(path, {"api", "v1", "alerts"});
  if (service == "alertmanager") return Matches(path, {"api", "v2", "alerts"});
  return false;
}

}  // namespace sremon::dashboards
