// The look every service's HTML pages share: one small stylesheet and a header that names the
// service, links its own pages and, when the supervisor told it where the others are, the other
// services of the stack. Each service's pages still work alone (no shared assets to fetch).
// Thread-safety: StackLinks is read-only after start-up; the functions are pure.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sremon::http {

struct PageLink {
  std::string label;
  std::string url;  // absolute, or a path of this service
};

// The environment variable the supervisor sets for every service: the stack's home pages as
// `name=URL` pairs separated by commas (e.g. storage=http://127.0.0.1:8428,rules=...).
inline constexpr const char* kStackUrlsEnv = "SREMON_STACK_URLS";

// The stack's pages from kStackUrlsEnv, in the order given; empty when unset. Entries that are
// not `name=http(s)://...` are ignored.
std::vector<PageLink> StackLinks();
// Parses a kStackUrlsEnv value (exposed for tests).
std::vector<PageLink> ParseStackLinks(std::string_view spec);

// `<!doctype html>` up to and including the header and the opening <main>; `title` and every
// label/url are escaped. `own` are this service's pages, shown first.
std::string PageStart(std::string_view service, std::string_view title, const std::vector<PageLink>& own,
                      std::string_view extra_css = "");
// Closes what PageStart opened.
std::string PageEnd();

}  // namespace sremon::http
