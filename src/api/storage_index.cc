// The storage's home page (`GET /`): what VictoriaMetrics shows at its root, an index of the
// pages and APIs a newcomer looks for, in the stack's shared look.
#include "api/storage_index.h"

#include "http/page.h"
#include "util/strings.h"

namespace sremon::api {

namespace {

struct IndexEntry {
  const char* path;
  const char* what;
};

std::string StorageIndexHtml() {
  std::string h = http::PageStart("storage", "Storage", {{"targets", "/targets"}, {"flags", "/flags"}, {"metrics", "/metrics"}});
  h += "<h1>sremon storage</h1><p>A VictoriaMetrics stand-in: it scrapes the targets of its "
       "<code>-promscrape.config</code>, stores the samples and answers the Prometheus query API.</p>";
  for (const auto& l : http::StackLinks()) {
    if (l.label == "dashboards") {
      h += "<p>Run queries in the dashboards' <a href=\"" + HtmlEscape(l.url) + "/explore\">Explore</a> page.</p>";
    }
  }
  auto section = [&h](const char* title, std::initializer_list<IndexEntry> entries) {
    h += std::string("<h2>") + title + "</h2><table>";
    for (const auto& e : entries) {
      h += std::string("<tr><td><a href=\"") + e.path + "\">" + e.path + "</a></td><td>" + e.what + "</td></tr>";
    }
    h += "</table>";
  };
  section("Pages", {{"/targets", "scrape targets: state, labels, last error, recent failures"},
                    {"/metrics", "the storage's own metrics (Prometheus text format)"},
                    {"/flags", "the flags it runs with"},
                    {"/health", "health check: 200 OK"}});
  section("Query API (Prometheus)", {{"/api/v1/query?query=up", "instant query"},
                                     {"/api/v1/query_range?query=up&start=-1h&step=1m", "range query"},
                                     {"/api/v1/series?match[]=up", "series matching selectors"},
                                     {"/api/v1/labels", "label names"},
                                     {"/api/v1/label/job/values", "values of one label"},
                                     {"/api/v1/metadata", "metric metadata (type, help, unit)"},
                                     {"/api/v1/targets", "scrape targets as JSON"},
                                     {"/api/v1/status/buildinfo", "version"}});
  section("Write and export (VictoriaMetrics)",
          {{"/api/v1/import/prometheus", "POST Prometheus text format"},
           {"/api/v1/write", "POST Prometheus remote_write (snappy protobuf)"},
           {"/api/v1/import", "POST JSON lines, as /api/v1/export writes them"},
           {"/api/v1/export?match[]=up", "export series as JSON lines"},
           {"/api/v1/admin/tsdb/delete_series", "POST: delete series matching match[]"},
           {"/internal/force_flush", "write the in-memory head to a block now"},
           {"/-/reload", "reload the scrape config"}});
  return h + http::PageEnd();
}

}  // namespace

void RegisterStorageIndex(http::Server& server) {
  server.Route("GET", "/", [html = StorageIndexHtml()](http::Request&, http::Response& r) { r.SetHtml(200, html); });
}

}  // namespace sremon::api
