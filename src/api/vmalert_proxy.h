// VictoriaMetrics' alerting endpoints on the storage: /api/v1/rules, /api/v1/alerts (also under
// /prometheus) and /vmalert/... are forwarded to the rules service given by -vmalert.proxyURL,
// so Grafana-style clients pointed at the storage see the rules. Without it, rules and alerts
// answer an empty success and /vmalert/ answers 400, as VictoriaMetrics 1.79 does.
// Forwarded requests are rebuilt from the decoded path, encoded again segment by segment, and the
// query must be printable ASCII: nothing a client sends reaches the rules service unencoded.
#pragma once

#include <string>

#include "http/http.h"

namespace sremon::api {

// proxy_url: http://host:port of the rules service, or "" (not configured).
void RegisterVmalertProxy(http::Server& server, std::string proxy_url);

// The URL a request is forwarded to: base + encoded path + "?" + query. InvalidArgument for a
// path with "." or ".." segments or a query with bytes outside 0x21..0x7e.
Result<std::string> VmalertTarget(std::string_view base, std::string_view decoded_path, std::string_view raw_query);

}  // namespace sremon::api
