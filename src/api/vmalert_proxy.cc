#include "api/vmalert_proxy.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "util/strings.h"

namespace sremon::api {

Result<std::string> VmalertTarget(std::string_view base, std::string_view decoded_path, std::string_view raw_query) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  std::string url(base);
  for (std::string_view seg : Split(decoded_path.substr(decoded_path.starts_with('/') ? 1 : 0), '/')) {
    if (seg == "." || seg == "..") return Status::InvalidArgument("path has a \".\" or \"..\" segment");
    url.push_back('/');
    url.append(http::UrlEncode(seg));
  }
  if (!raw_query.empty()) {
    SREMON_RETURN_IF_ERROR(CheckPrintableAscii("query", raw_query));
    url.push_back('?');
    url.append(raw_query);
  }
  return url;
}

namespace {

void Forward(const std::string& base, const http::Request& req, std::string_view path, http::Response& resp) {
  auto target = VmalertTarget(base, path, req.query);
  if (!target.ok()) {
    return resp.SetJson(400, fmt::format("{{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":{}}}",
                                         Quote(target.status().message())));
  }
  http::ClientRequest out;
  out.method = req.method == "POST" ? "POST" : "GET";
  out.url = *target;
  out.body = req.body;
  if (auto ct = req.headers.Get("Content-Type"); !ct.empty()) out.headers.Add("Content-Type", std::string(ct));
  auto r = http::Fetch(out);
  if (!r.ok()) {
    spdlog::warn("cannot proxy {} to -vmalert.proxyURL: {}", Quote(req.path), r.status().message());
    return resp.SetText(502, "cannot reach -vmalert.proxyURL\n");
  }
  resp.status = r->status;
  resp.content_type = std::string(r->headers.Get("Content-Type"));
  resp.body = std::move(r->body);
}

}  // namespace

void RegisterVmalertProxy(http::Server& server, std::string proxy_url) {
  struct Empty {
    const char* path;
    const char* answer;
  };
  static const Empty kEndpoints[] = {{"/api/v1/rules", "{\"status\":\"success\",\"data\":{\"groups\":[]}}"},
                                     {"/api/v1/alerts", "{\"status\":\"success\",\"data\":{\"alerts\":[]}}"}};
  for (std::string prefix : {"", "/prometheus"}) {
    for (const auto& e : kEndpoints) {
      std::string path = e.path;
      http::Handler h = [proxy_url, path, answer = std::string(e.answer)](http::Request& req, http::Response& resp) {
        if (proxy_url.empty()) return resp.SetJson(200, answer);
        Forward(proxy_url, req, path, resp);  // the rules service serves it without /prometheus
      };
      server.Route("GET", prefix + path, h, /*blocking=*/true);
      server.Route("POST", prefix + path, h, /*blocking=*/true);
    }
  }
  http::Handler vmalert = [proxy_url](http::Request& req, http::Response& resp) {
    if (proxy_url.empty()) {
      return resp.SetText(400, "{\"status\":\"error\",\"msg\":\"for accessing vmalert flag '-vmalert.proxyURL' must be configured\"}");
    }
    Forward(proxy_url, req, req.path, resp);
  };
  for (const char* method : {"GET", "POST"}) {
    server.Route(method, "/vmalert", vmalert, /*blocking=*/true);
    server.RoutePrefix(method, "/vmalert/", vmalert, /*blocking=*/true);
  }
}

}  // namespace sremon::api
