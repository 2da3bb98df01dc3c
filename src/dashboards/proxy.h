// The dashboards' server-side proxies (data sources, /api/sremon/*): what they may forward and
// how the upstream URL is built. Pure functions, thread-safe.
//
// The upstream URL is built from the request target as received (still percent-encoded): each
// path segment is decoded once, checked, and encoded again, so an encoded CR/LF, space, '?' or
// '/' in the path stays inside its segment upstream and can never become request-line bytes or
// a second request (issue 12: request smuggling through the proxy). Only a fixed list of read
// endpoints is forwarded at all.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace sremon::dashboards {

// The path of a raw request target ("/a/b%2Fc?x=1": everything before '?'), split at '/' and
// each segment percent-decoded once. InvalidArgument when the target does not start with '/',
// or a segment is empty, decodes to "." or "..", or still holds '%' (double encoding such as
// %252e%252e), '/', '\\', a byte <= 0x20 or 0x7F after decoding.
Result<std::vector<std::string>> DecodePathSegments(std::string_view raw_target);

// base (scheme://host[:port][/path], trailing slashes ignored) + "/" + each segment
// percent-encoded, + "?" + the query's pairs re-encoded when there are any. The result has no
// byte <= 0x20 or 0x7F that base did not have, and stays under base's path.
std::string UpstreamUrl(std::string_view base, const std::vector<std::string>& segments,
                        const std::vector<std::pair<std::string, std::string>>& query);

// The read API a Prometheus data source needs (Grafana's calls): api/v1/query, query_range,
// series, labels, label/NAME/values, metadata, status/buildinfo, query_exemplars, rules,
// alerts. `path` is the segments after the data source's key.
bool IsDatasourceRead(const std::vector<std::string>& path);

// The fixed reads the web app makes through /api/sremon/SERVICE/ (web/src/panels/alertlist.ts):
// rules → api/v1/alerts, alertmanager → api/v2/alerts. Nothing else, no writes.
bool IsSremonRead(std::string_view service, const std::vector<std::string>& path);

}  // namespace sremon::dashboards
