// HTTP server and client types shared by every service. This header is deliberately free of
// Boost so that most translation units compile fast; Beast lives in server.cc / client.cc.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace sremon::http {

// Header list; names compare case-insensitively.
class Headers {
 public:
  void Add(std::string name, std::string value) { items_.emplace_back(std::move(name), std::move(value)); }
  // Replaces every header of that name.
  void Set(std::string name, std::string value);
  // First value or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Request {
  std::string method;  // upper case: GET, POST...
  std::string target;  // as received: /path?query
  std::string path;    // percent-decoded path, without the query
  std::string query;   // raw query string
  // Query parameters, then form fields of an application/x-www-form-urlencoded body, decoded.
  std::vector<std::pair<std::string, std::string>> params;
  Headers headers;
  std::string body;  // already gunzipped when the request had Content-Encoding: gzip
  std::string remote_ip;
  bool from_loopback = false;
  // The connection arrived on a loopback address of this machine (the server's side).
  bool to_loopback = false;
  // For prefix routes: the part of the path after the prefix.
  std::string path_suffix;

  // First value of a parameter, or "" when absent.
  std::string_view Param(std::string_view name) const;
  bool HasParam(std::string_view name) const;
  // Every value of a repeated parameter (match[]=a&match[]=b).
  std::vector<std::string> Params(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  Headers headers;
  // Set to false to close the connection after this response.
  bool keep_alive = true;

  void SetJson(int status_code, std::string json) {
    status = status_code;
    content_type = "application/json";
    body = std::move(json);
  }
  void SetText(int status_code, std::string text) {
    status = status_code;
    content_type = "text/plain; charset=utf-8";
    body = std::move(text);
  }
  void SetHtml(int status_code, std::string html) {
    status = status_code;
    content_type = "text/html; charset=utf-8";
    body = std::move(html);
  }
};

using Handler = std::function<void(Request& req, Response& resp)>;
// Completes a request later, from any thread. Call exactly once.
using Reply = std::function<void(Response resp)>;
using AsyncHandler = std::function<void(Request& req, Reply reply)>;

// Called after each response with the route's pattern (not the raw path), for instrumentation.
using Observer = std::function<void(const Request& req, const Response& resp, std::string_view route,
                                    double seconds)>;

// Decides whether a request may reach any route at all (authentication): true lets it through,
// false answers with *resp (a 401...). Called for every request, with form fields already in
// req.params, before 404/405. Runs on an I/O thread, so it must be quick or cache slow answers.
using Gate = std::function<bool(const Request& req, Response* resp)>;

struct ServerOptions {
  std::string name = "http";                  // for logs and errors: the service name
  std::string listen_addr = "127.0.0.1:8080";  // host:port, :port (all interfaces), [::1]:port
  int io_threads = 0;                          // 0 = number of cores
  int worker_threads = 4;                      // for blocking handlers
  size_t max_body_bytes = 32 << 20;            // larger bodies answer 413
  std::chrono::seconds read_timeout{30};       // whole request, so slowloris clients get cut
  std::chrono::seconds idle_timeout{120};      // keep-alive connections with nothing to say
};

// An HTTP/1.1 server (Boost.Beast) with exact-path and prefix routes.
// Thread-safety: register routes before Start(); Start()/Stop() from one thread.
// Non-blocking handlers run on the I/O threads and must be fast; handlers that may take time
// (queries, disk, outbound HTTP) are registered with blocking = true and run on a worker pool.
class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // method "" matches any method. A path can have several methods.
  void Route(std::string method, std::string path, Handler handler, bool blocking = false);
  // Like Route, but a body sent as application/x-www-form-urlencoded (curl's default) is left
  // alone instead of being parsed into params: for write endpoints that take raw data.
  void RouteRaw(std::string method, std::string path, Handler handler, bool blocking = false);
  // Matches every path starting with prefix (longest prefix wins); req.path_suffix is the rest.
  void RoutePrefix(std::string method, std::string prefix, Handler handler, bool blocking = false);
  void RouteAsync(std::string method, std::string path, AsyncHandler handler);
  void SetObserver(Observer observer);
  // At most one; set before Start().
  void SetGate(Gate gate);

  // Binds and starts serving. Error when the address is in use:
  // "app: cannot listen on 127.0.0.1:8080: address already in use".
  Status Start();
  // The bound port (useful with port 0).
  int port() const;
  // Stops accepting, lets in-flight requests finish for up to `grace`, then stops.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  // Runs fn on an I/O thread after delay: async handlers wait this way without blocking.
  void RunAfter(std::chrono::milliseconds delay, std::function<void()> fn);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port", ":port", "[::1]:port". ":port" means all interfaces.
Status ParseListenAddr(std::string_view addr, std::string* host, int* port);

// ---- client ----

// Upstream's tls_config for outgoing connections (https, SMTP STARTTLS).
struct TlsOptions {
  std::string ca_file;      // PEM; empty = the system's trusted CAs
  std::string cert_file;    // client certificate (PEM), with key_file
  std::string key_file;
  std::string server_name;  // name the certificate must carry; empty = the host dialed
  bool insecure_skip_verify = false;
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // http[s]://[user:pass@]host[:port]/path?query
  TlsOptions tls;   // for https
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};  // connect + send + receive
  size_t max_response_bytes = 64 << 20;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;  // gunzipped when the server sent Content-Encoding: gzip
};

// Performs one request synchronously (a new connection per call). Errors name the phase that
// failed; FetchErrorPhase reads it back.
Result<ClientResponse> Fetch(const ClientRequest& request);
// The phase a Fetch error names: "resolve", "connect", "TLS handshake", "write", "read",
// "timeout", "response too large", "tls_config" (bad TLS settings) or "request" (a bad URL).
std::string FetchErrorPhase(const Status& fetch_error);
// Fetch with the URL and defaults.
Result<ClientResponse> Get(const std::string& url, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
Result<ClientResponse> Post(const std::string& url, std::string body, std::string content_type,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

// ---- helpers ----

std::string UrlDecode(std::string_view s, bool plus_is_space = true);
std::string UrlEncode(std::string_view s);
// Standard base64 with padding (Basic auth headers, SMTP AUTH).
std::string Base64Encode(std::string_view in);
// Standard base64; padding optional. Error on any other byte.
Result<std::string> Base64Decode(std::string_view in);
// Parses a query string or form body into *out (appending).
void ParseQueryString(std::string_view qs, std::vector<std::pair<std::string, std::string>>* out);
// Gzip (RFC 1952) or zlib streams; fails when the output would exceed max_bytes.
Result<std::string> Gunzip(std::string_view data, size_t max_bytes);
std::string Gzip(std::string_view data);
// Standard reason phrase, e.g. 404 → "Not Found".
std::string_view StatusText(int status);

}  // namespace sremon::http
