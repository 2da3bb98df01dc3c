// libFuzzer target for the dashboards proxy's path builder (issue 12): any request target that
// DecodePathSegments accepts gives an upstream URL with no byte <= 0x20 or 0x7F, no '?' or '#'
// from the path, and no segment that is "." or ".." after any number of decodings, so it stays
// under the data source's base path.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dashboards/proxy.h"
#include "http/http.h"
#include "util/strings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  auto segs = sremon::dashboards::DecodePathSegments(target);
  if (!segs.ok()) return 0;
  const std::string base = "http://127.0.0.1:8428/base";
  std::vector<std::pair<std::string, std::string>> query;
  size_t q = target.find('?');
  if (q != std::string_view::npos) sremon::http::ParseQueryString(target.substr(q + 1), &query);
  std::string url = sremon::dashboards::UpstreamUrl(base, *segs, query);
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f || c == '#') std::abort();
  }
  if (!url.starts_with(base + "/")) std::abort();
  std::string_view path = std::string_view(url).substr(base.size() + 1);
  path = path.substr(0, path.find('?'));
  for (std::string_view seg : sremon::Split(path, '/')) {
    // Decode as often as any upstream might: a dot segment must never appear.
    std::string s(seg);
    for (int i = 0; i < 4; ++i) {
      if (s == "." || s == "..") std::abort();
      s = sremon::http::UrlDecode(s, false);
    }
    if (s == "." || s == ".." || s.find('/') != std::string::npos) std::abort();
  }
  if (sremon::dashboards::IsDatasourceRead(*segs) && segs->size() > 5) std::abort();
  return 0;
}
