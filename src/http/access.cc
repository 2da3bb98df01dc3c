#include "http/access.h"

#include <fmt/format.h>

#include "util/strings.h"

namespace sremon::http {

namespace {

// host (lower case, IPv6 without brackets) and port ("" when absent) of an authority.
struct Authority {
  std::string host;
  std::string port;
};

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

// "host[:port]" or "[v6]:port", as in a Host header or after an Origin's "scheme://".
bool ParseAuthority(std::string_view s, Authority* out) {
  std::string lower = ToLower(s);
  std::string_view rest = lower;
  if (rest.starts_with('[')) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    out->host = std::string(rest.substr(1, close - 1));
    for (char c : out->host) {
      if (!((c >= 'a' && c <= 'f') || (c >= '0' && c <= '9') || c == ':' || c == '.')) return false;
    }
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return false;
  } else {
    size_t colon = rest.find(':');
    out->host = std::string(rest.substr(0, colon));
    if (out->host.empty()) return false;
    for (char c : out->host) {
      if (!IsHostChar(c)) return false;
    }
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  }
  out->port.clear();
  if (!rest.empty()) {
    out->port = std::string(rest.substr(1));
    if (out->port.empty() || out->port.size() > 5) return false;
    for (char c : out->port) {
      if (c < '0' || c > '9') return false;
    }
  }
  return true;
}

// Same origin when host and port agree, an absent port being the scheme's default.
bool SameAuthority(const Authority& origin, const Authority& host, std::string_view default_port) {
  auto port = [&](const Authority& a) -> std::string_view { return a.port.empty() ? default_port : a.port; };
  return origin.host == host.host && port(origin) == port(host);
}

Status Refused(std::string_view why) {
  return Status::InvalidArgument(fmt::format("cross-site request refused: {}", why));
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  std::string h = ToLower(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h == "localhost" || h.ends_with(".localhost") || h == "::1") return true;
  // 127.0.0.0/8 as a dotted quad.
  auto parts = Split(h, '.');
  if (parts.size() != 4) return false;
  for (auto p : parts) {
    if (p.empty() || p.size() > 3) return false;
    for (char c : p) {
      if (c < '0' || c > '9') return false;
    }
    if (std::stoi(std::string(p)) > 255) return false;
  }
  return parts[0] == "127";
}

bool IsLoopbackListenAddr(std::string_view listen_addr) {
  std::string host;
  int port = 0;
  return ParseListenAddr(listen_addr, &host, &port).ok() && !host.empty() && IsLoopbackHost(host);
}

Status CheckSameOrigin(const Request& req) {
  std::string_view origin = req.headers.Get("Origin");
  std::string_view fetch_site = req.headers.Get("Sec-Fetch-Site");
  bool from_browser = req.headers.Has("Origin") || req.headers.Has("Sec-Fetch-Site");
  if (!from_browser) return Status::Ok();
  if (!fetch_site.empty() && fetch_site != "same-origin" && fetch_site != "none") {
    return Refused(fmt::format("Sec-Fetch-Site is {}", Quote(fetch_site)));
  }
  Authority host;
  if (!ParseAuthority(req.headers.Get("Host"), &host)) return Refused("the request has no valid Host header");
  if (req.to_loopback && !IsLoopbackHost(host.host)) {
    // A browser reached this loopback port through a name that is not loopback: DNS rebinding.
    return Refused(fmt::format("Host {} is not a loopback name", Quote(req.headers.Get("Host"))));
  }
  if (!req.headers.Has("Origin")) return Status::Ok();
  std::string_view scheme, default_port;
  if (origin.starts_with("http://")) {
    scheme = "http://", default_port = "80";
  } else if (origin.starts_with("https://")) {
    scheme = "https://", default_port = "443";
  } else {
    return Refused(fmt::format("Origin {} is not this server", Quote(origin)));
  }
  Authority from;
  if (!ParseAuthority(origin.substr(scheme.size()), &from)) {
    return Refused(fmt::format("Origin {} is not this server", Quote(origin)));
  }
  if (SameAuthority(from, host, default_port)) return Status::Ok();
  // Behind a reverse proxy the browser's origin is the proxy's name, which the proxy passes on.
  // A page cannot set this header on a cross-site request without a CORS preflight, which no
  // service here grants.
  std::string_view forwarded = req.headers.Get("X-Forwarded-Host");
  forwarded = Trim(forwarded.substr(0, forwarded.find(',')));
  Authority proxy;
  if (!forwarded.empty() && ParseAuthority(forwarded, &proxy) && SameAuthority(from, proxy, default_port)) {
    return Status::Ok();
  }
  return Refused(fmt::format("Origin {} is not this server ({})", Quote(origin), Quote(req.headers.Get("Host"))));
}

bool AllowStateChange(const Request& req, Response* resp) {
  Status st = CheckSameOrigin(req);
  if (st.ok()) return true;
  resp->SetText(403, st.message() + "\n");
  return false;
}

Handler StateChanging(Handler handler) {
  return [handler = std::move(handler)](Request& req, Response& resp) {
    if (AllowStateChange(req, &resp)) handler(req, resp);
  };
}

bool ParseBasicAuth(std::string_view header, std::string* user, std::string* password) {
  constexpr std::string_view kPrefix = "basic ";
  if (header.size() <= kPrefix.size() || ToLower(header.substr(0, kPrefix.size())) != kPrefix) return false;
  auto decoded = Base64Decode(Trim(header.substr(kPrefix.size())));
  if (!decoded.ok()) return false;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  *user = decoded->substr(0, colon);
  *password = decoded->substr(colon + 1);
  return true;
}

bool SecretEquals(std::string_view a, std::string_view b) {
  // Every byte of a is looked at whatever b is; only the lengths leak.
  unsigned char diff = a.size() != b.size();
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

void SetUnauthorized(Response* resp, std::string_view realm, std::string_view message) {
  resp->SetText(401, std::string(message) + "\n");
  resp->headers.Set("WWW-Authenticate", fmt::format("Basic realm=\"{}\"", realm));
}

}  // namespace sremon::http
