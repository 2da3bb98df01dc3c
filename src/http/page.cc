#include "http/page.h"

#include <cstdlib>

#include <fmt/format.h>

#include "util/strings.h"

namespace sremon::http {

namespace {

// Kept small on purpose: system fonts, one accent colour, readable tables and code blocks.
constexpr std::string_view kStackCss =
    "body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#222}"
    "header{background:#2b3a55;color:#fff;padding:8px 16px;display:flex;flex-wrap:wrap;gap:4px 16px;align-items:baseline}"
    "header b{font-size:16px;margin-right:8px}header a{color:#dfe7ff;text-decoration:none;font-size:14px}"
    "header a:hover{text-decoration:underline}header .stack{margin-left:auto;display:flex;gap:12px}"
    "main{padding:12px 16px;max-width:1200px}h1{font-size:20px}h2{font-size:17px;margin-top:1.4em}"
    "table{border-collapse:collapse;width:100%;margin-bottom:1.5em;background:#fff}"
    "td,th{border:1px solid #dde;padding:4px 6px;text-align:left;vertical-align:top;font-size:13px}"
    "th{background:#eef1f6}pre,code{background:#eef0f3;font-size:12px}pre{padding:6px;overflow:auto;white-space:pre-wrap}"
    ".up,.ok,.resolved{color:#137333;font-weight:600}.down,.error,.firing{color:#b00020;font-weight:600}"
    ".unknown,.meta{color:#666}.card{background:#fff;border:1px solid #dde;border-radius:6px;padding:8px 12px;margin:8px 0}";

bool IsHttpUrl(std::string_view u) { return u.starts_with("http://") || u.starts_with("https://"); }

}  // namespace

std::vector<PageLink> ParseStackLinks(std::string_view spec) {
  std::vector<PageLink> out;
  for (std::string_view item : Split(spec, ',')) {
    item = Trim(item);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view url = item.substr(eq + 1);
    if (!IsHttpUrl(url)) continue;
    out.push_back({std::string(item.substr(0, eq)), std::string(url)});
  }
  return out;
}

std::vector<PageLink> StackLinks() {
  static const std::vector<PageLink> links = [] {
    const char* env = std::getenv(kStackUrlsEnv);
    return env ? ParseStackLinks(env) : std::vector<PageLink>{};
  }();
  return links;
}

std::string PageStart(std::string_view service, std::string_view title, const std::vector<PageLink>& own,
                      std::string_view extra_css) {
  std::string h = fmt::format(
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width\"><title>{} - sremon {}</title><style>{}{}</style></head><body><header>"
      "<b>sremon {}</b>",
      HtmlEscape(title), HtmlEscape(service), kStackCss, extra_css, HtmlEscape(service));
  for (const auto& l : own) h += fmt::format("<a href=\"{}\">{}</a>", HtmlEscape(l.url), HtmlEscape(l.label));
  auto stack = StackLinks();
  if (!stack.empty()) {
    h += "<span class=\"stack\">";
    for (const auto& l : stack) {
      if (l.label == service) continue;
      h += fmt::format("<a href=\"{}\">{}</a>", HtmlEscape(l.url), HtmlEscape(l.label));
    }
    h += "</span>";
  }
  return h + "</header><main>";
}

std::string PageEnd() { return "</main></body></html>"; }

}  // namespace sremon::http
