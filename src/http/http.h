// HTTP server and client types shared by every service. This header is deliberately free of
// Boost so that most translation units compile fast; Beast lives in server.cc / client.cc.
#pragma once

#include <chrono>
#include <cstdint>
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
// Rewrites one of the server's own error answers (Server::ShapeErrors); req holds what was read
// of the request: method, target, path and headers always, the body not always.
using ErrorShaper = std::function<void(const Request& req, Response* resp)>;

// Who must show a client certificate, as Go's tls.ClientAuthType (exporter-toolkit's
// client_auth_type names them): kNoClientCert asks for none; kRequestClientCert and
// kRequireAnyClientCert ask and accept any certificate (the second refuses a client without
// one); kVerifyClientCertIfGiven and kRequireAndVerifyClientCert check it against the client
// CAs (the second refuses a client without one).
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};

// HTTPS for a Server (exporter-toolkit's tls_server_config). Each PEM comes from a file or
// inline text, not both. Read once, at Start().
struct TlsServerOptions {
  std::string cert_file, cert;  // the certificate chain, leaf first
  std::string key_file, key;    // its private key
  // Trusted roots for client certificates; empty with a verifying client_auth = the system's CAs.
  std::string client_ca_file, client_ca;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  // Protocol versions as on the wire (0x0303 = TLS 1.2, 0x0304 = TLS 1.3), upstream's defaults.
  int min_version = 0x0303;
  int max_version = 0x0304;
  bool enabled() const { return !cert_file.empty() || !cert.empty(); }
};

struct ServerOptions {
  std::string name = "http";                  // for logs and errors: the service name
  std::string listen_addr = "127.0.0.1:8080";  // host:port, :port (all interfaces), [::1]:port
  int io_threads = 0;                          // 0 = number of cores
  int worker_threads = 4;                      // for blocking handlers outside any lane
  size_t max_body_bytes = 32 << 20;            // larger bodies answer 413
  // A new connection must deliver its request headers within this (Go's ReadHeaderTimeout;
  // VictoriaMetrics uses 5 s), so slowloris clients are cut early.
  std::chrono::seconds header_read_timeout{5};
  std::chrono::seconds read_timeout{30};       // the body, and writing the response
  std::chrono::seconds idle_timeout{120};      // keep-alive connections with nothing to say
  // Open connections at most (Prometheus --web.max-connections, 512). At the cap, the connection
  // that has waited longest for a request (idle keep-alive or slow headers) is closed to make
  // room; when every connection has a request in progress the new one is closed. 0 = no cap.
  size_t max_connections = 512;
  // Serve HTTPS when tls.enabled(): a client that speaks plain HTTP to it gets a 400 saying so
  // (as Go's server answers) and the connection is closed.
  TlsServerOptions tls;
};

// A lane: blocking routes with their own threads and a bound on how many run at once, so one
// kind of work cannot starve another (VictoriaMetrics bounds search and insert requests apart:
// -search.maxConcurrentRequests / -search.maxQueueDuration, -maxConcurrentInserts /
// -insert.maxQueueDuration). A request that finds every slot busy waits in a FIFO queue; when it
// has waited max_queue_duration it is answered 503 with busy_message.
struct LaneOptions {
  std::string name;  // for logs: "search", "insert"
  int max_concurrent = 4;
  std::chrono::milliseconds max_queue_duration{10000};
  std::string busy_message;  // the 503 body (the upstream's words)
};
// A handle from Server::AddLane.
struct Lane {
  int id = 0;
};
// Where a handler runs: on an I/O thread (false: fast handlers only), on the shared worker pool
// (true), or in a lane.
struct Exec {
  Exec(bool blocking = false) : blocking(blocking) {}  // NOLINT: implicit, as the old bool was
  Exec(Lane lane) : blocking(true), lane(lane.id) {}   // NOLINT
  bool blocking;
  int lane = 0;  // 0 = the shared pool
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
  void Route(std::string method, std::string path, Handler handler, Exec exec = false);
  // Like Route, but a body sent as application/x-www-form-urlencoded (curl's default) is left
  // alone instead of being parsed into params: for write endpoints that take raw data.
  void RouteRaw(std::string method, std::string path, Handler handler, Exec exec = false);
  // Matches every path starting with prefix (longest prefix wins); req.path_suffix is the rest.
  void RoutePrefix(std::string method, std::string prefix, Handler handler, Exec exec = false);
  // A lane with its own max_concurrent threads. Before Start().
  Lane AddLane(LaneOptions options);
  void RouteAsync(std::string method, std::string path, AsyncHandler handler);
  void SetObserver(Observer observer);
  // Headers set on every response, the server's own 404/405/413 answers included, unless the
  // handler set that header itself: for security headers (a service's CSP). Call before Start().
  void SetResponseHeaders(Headers headers);
  // At most one; set before Start().
  void SetGate(Gate gate);
  // The server's own error answers to requests for `path` (413 over max_body_bytes, 400 or 413
  // for a body that does not gunzip) go through shaper before they are sent: for protocols whose
  // errors have a shape of their own (OTLP/HTTP's google.rpc.Status). Before Start().
  void ShapeErrors(std::string path, ErrorShaper shaper);

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

// The methods a Prometheus-style read endpoint answers (query, series, label values, rules...):
// GET, and POST with a form body, which clients use for long selectors. VictoriaMetrics answers
// both on every read endpoint and Grafana's data source sends either, so every such route is
// registered once per method here (a wrong method then answers 405 with Allow).
inline constexpr const char* kReadMethods[] = {"GET", "POST"};
// Raises the soft open-file limit (RLIMIT_NOFILE) to the hard limit, as Prometheus and
// VictoriaMetrics do at start: the common soft limit of 1024 is reached by a thousand idle
// connections. Returns the soft limit now in force.
uint64_t RaiseOpenFileLimit();

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
// failed; FetchErrorPhase reads it back. A request CheckRequest refuses is not sent. Messages show
// the URL through RedactUrl.
Result<ClientResponse> Fetch(const ClientRequest& request);
// What Fetch refuses before anything leaves the process, so that no caller can turn a value into
// extra request-line or header bytes (request smuggling, header injection): a URL or header name
// with a byte <= 0x20 or 0x7F (a URL carries spaces and controls percent-encoded), a header value
// with a control byte other than tab or with 0x7F (values may hold spaces: "Basic x"), a method
// that is not an upper-case token. InvalidArgument naming the field and the byte's offset.
Status CheckRequest(const ClientRequest& request);
// The phase a Fetch error names: "resolve", "connect", "TLS handshake", "write", "read",
// "timeout", "response too large", "tls_config" (bad TLS settings) or "request" (a bad URL).
std::string FetchErrorPhase(const Status& fetch_error);
// Fetch with the URL and defaults.
Result<ClientResponse> Get(const std::string& url, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
Result<ClientResponse> Post(const std::string& url, std::string body, std::string content_type,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

// ---- helpers ----

std::string UrlDecode(std::string_view s, bool plus_is_space = true);
// A URL for text (errors, logs, pages, metric labels): the password of its userinfo becomes
// "xxxxx" (http://user:xxxxx@host/path), as Go's url.URL.Redacted() shows it in vmalert and
// Prometheus. Works on URLs without a scheme too; everything else is kept.
std::string RedactUrl(std::string_view url);
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
