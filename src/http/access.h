// Who may change state through a service's HTTP API: the cross-site check every state-changing
// endpoint applies, and the pieces of HTTP Basic auth the services share. What each service
// exposes and how to put auth in front: docs/security.md, "Cross-site requests and authentication".
#pragma once

#include <string>
#include <string_view>

#include "http/http.h"
#include "util/status.h"

namespace sremon::http {

// Refuses a request that a browser sent on behalf of another site (cross-site request forgery,
// DNS rebinding). A request passes unless
//  - its Origin header is not this server's own origin: scheme://host[:port] compared with the
//    Host header, or with X-Forwarded-Host when a proxy in front set one ("null" is foreign);
//  - its Sec-Fetch-Site is other than "same-origin" or "none": a GET from another site's <img> or
//    link carries no Origin, but browsers send this header with it;
//  - it is a browser request (Origin or Sec-Fetch-Site present) that reached a loopback address
//    but names a Host that is not a loopback name: a page whose DNS name was rebound to 127.0.0.1.
// Clients that send none of these headers (curl, vmctl, promtool, amtool, the services
// themselves) always pass. The error says why, for the 403 body.
Status CheckSameOrigin(const Request& req);

// For handlers that change state only for some methods: true when CheckSameOrigin passes, else
// false with *resp set to the 403.
bool AllowStateChange(const Request& req, Response* resp);
// Wraps the handler of a state-changing route: a request CheckSameOrigin refuses answers 403 and
// never reaches handler.
Handler StateChanging(Handler handler);

// True for "localhost", "*.localhost", 127.0.0.0/8 and ::1 ("[::1]" too): names that can only
// mean this machine.
bool IsLoopbackHost(std::string_view host);
// True when a listen address (host:port, :port, [::1]:port) accepts only local connections.
bool IsLoopbackListenAddr(std::string_view listen_addr);

// Decodes an "Authorization: Basic base64(user:password)" value; false when it is not one.
bool ParseBasicAuth(std::string_view header, std::string* user, std::string* password);
// Compares secrets in a time that does not depend on where they first differ.
bool SecretEquals(std::string_view a, std::string_view b);
// A 401 asking for Basic credentials (WWW-Authenticate with realm).
void SetUnauthorized(Response* resp, std::string_view realm, std::string_view message);

}  // namespace sremon::http
