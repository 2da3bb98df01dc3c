// Boost.Beast implementation of http::Server. One strand per connection; blocking handlers hop
// to a worker pool (the shared one or a lane's) and post the response back to the connection's
// strand. With ServerOptions::tls a connection is wrapped in an SSL stream after its first bytes
// showed a TLS handshake; every read and write goes through WithStream, so the plain path stays
// the same code (and keeps its recv(2) fast path for bodies).
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/beast.h"
#include "http/http.h"
#include "util/heap.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::http {

namespace {

struct RouteEntry {
  std::string method;  // "" = any
  std::string pattern;
  bool prefix = false;
  bool blocking = false;
  int lane = 0;  // with blocking: 0 = the shared worker pool, else Server::Impl::lanes[lane - 1]
  bool parse_form = true;  // merge application/x-www-form-urlencoded bodies into params
  Handler handler;
  AsyncHandler async_handler;
};

class Session;

// A request waiting for a slot of a lane. Its timer lives on the connection's strand.
struct LaneJob {
  std::function<void()> run;     // the handler, then the answer posted to the connection
  std::function<void()> reject;  // the 503, called on the connection's strand
  std::shared_ptr<asio::steady_timer> timer;
};

struct LaneState {
  LaneOptions opts;
  std::unique_ptr<asio::thread_pool> pool;  // opts.max_concurrent threads
  std::mutex mu;
  int active = 0;                               // jobs given to the pool, not finished; GUARDED_BY(mu)
  std::deque<std::shared_ptr<LaneJob>> queue;  // GUARDED_BY(mu)
};

// A PEM from a file or inline text (exporter-toolkit's cert_file / cert pairs).
Result<std::string> ReadPem(const std::string& file, const std::string& text) {
  if (file.empty()) return text;
  std::ifstream f(file);
  if (!f) return Status::NotFound(fmt::format("cannot read {}", Quote(file)));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The server's SSL context. Errors name the tls_server_config field, as the config says it.
Result<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const TlsServerOptions& t) {
  namespace ssl = asio::ssl;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  auto fail = [](std::string_view field, std::string_view why) {
    return Status::InvalidArgument(fmt::format("tls_server_config {}: {}", field, why));
  };
  if (!SSL_CTX_set_min_proto_version(native, t.min_version) || !SSL_CTX_set_max_proto_version(native, t.max_version) ||
      t.min_version > t.max_version) {
    return fail("min_version/max_version", "not a usable range of TLS versions");
  }
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  beast::error_code ec;
  if (!t.cert_file.empty()) {
    ctx->use_certificate_chain_file(t.cert_file, ec);
  } else {
    ctx->use_certificate_chain(asio::buffer(t.cert), ec);
  }
  if (ec) return fail(t.cert_file.empty() ? "cert" : "cert_file " + Quote(t.cert_file), ec.message());
  if (!t.key_file.empty()) {
    ctx->use_private_key_file(t.key_file, ssl::context::pem, ec);
  } else {
    ctx->use_private_key(asio::buffer(t.key), ssl::context::pem, ec);
  }
  // OpenSSL also checks here that the key belongs to the certificate ("key values mismatch").
  if (ec) return fail(t.key_file.empty() ? "key" : "key_file " + Quote(t.key_file), ec.message());
  if (t.client_auth == ClientAuth::kNoClientCert) return ctx;

  std::string ca_field = t.client_ca_file.empty() ? "client_ca" : "client_ca_file " + Quote(t.client_ca_file);
  auto pem = ReadPem(t.client_ca_file, t.client_ca);
  if (!pem.ok()) return fail(ca_field, pem.status().message());
  if (!pem->empty()) {
    // Each CA both verifies and is named in the CertificateRequest, so clients with several
    // certificates know which one to send.
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())), BIO_free);
    int n = 0;
    while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(native), x);
      SSL_CTX_add_client_CA(native, x);
      X509_free(x);
      ++n;
    }
    ERR_clear_error();  // the loop ends on "no start line"
    if (n == 0) return fail(ca_field, "no PEM certificate in it");
  } else {
    ctx->set_default_verify_paths(ec);  // Go verifies against the system's roots then, too
    if (ec) return fail("client_ca_file", "none given, and the system's CAs: " + ec.message());
  }
  bool verify = t.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                t.client_auth == ClientAuth::kRequireAndVerifyClientCert;
  bool require = t.client_auth == ClientAuth::kRequireAnyClientCert ||
                 t.client_auth == ClientAuth::kRequireAndVerifyClientCert;
  ctx->set_verify_mode(ssl::verify_peer | (require ? ssl::verify_fail_if_no_peer_cert : 0));
  if (!verify) ctx->set_verify_callback([](bool, ssl::verify_context&) { return true; });
  return ctx;
}

// Buffers of large request bodies, kept for the next body: an import client sends one large
// body after another, and a fresh buffer's pages, faulted in and zeroed as the body arrives, cost
// a quarter of the lab import's CPU (docs/benchmarks.md). At most kMaxKept buffers, and all are
// freed once no large body was handed back for kIdle, so a burst leaves no memory behind.
class BodyPool {
 public:
  static constexpr size_t kMinBytes = 1 << 20;  // smaller bodies come from the heap's free lists
  static constexpr size_t kMaxKept = 4;
  static constexpr auto kIdle = std::chrono::seconds(1);

  explicit BodyPool(asio::io_context& ioc) : timer_(ioc) {}
  // The smallest kept buffer that holds a body of len bytes (so that nothing is reallocated and
  // copied), else a new one reserved an eighth larger (address space: the next body of about the
  // same size then fits it), or an empty string for a small body. A kept buffer's old bytes are
  // stale: the reader overwrites them before the body is handed on.
  std::string Take(size_t len) {
    if (len < kMinBytes) return {};
    std::lock_guard l(mu_);
    auto best = kept_.end();
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (it->capacity() >= len && (best == kept_.end() || it->capacity() < best->capacity())) best = it;
    }
    if (best == kept_.end()) {
      std::string fresh;
      fresh.reserve(len + len / 8);
      return fresh;
    }
    std::string s = std::move(*best);
    kept_.erase(best);
    return s;
  }
  void Give(std::string s) {
    if (s.capacity() < kMinBytes) return;
    std::lock_guard l(mu_);
    if (kept_.size() >= kMaxKept) return;
    kept_.push_back(std::move(s));
    last_give_ = std::chrono::steady_clock::now();
    if (!armed_) Arm();
  }

 private:
  void Arm() {  // REQUIRES: mu_
    armed_ = true;
    timer_.expires_at(last_give_ + kIdle);
    timer_.async_wait([this](beast::error_code ec) {
      if (ec) return;  // the server is going away: touch nothing
      std::lock_guard l(mu_);
      armed_ = false;
      if (std::chrono::steady_clock::now() - last_give_ < kIdle) return Arm();
      kept_.clear();
      // The burst is over: what its parsing allocated is free in the heap too.
      util::HintHeapFreed();
    });
  }
  std::mutex mu_;
  std::vector<std::string> kept_;                     // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point last_give_;  // GUARDED_BY(mu_)
  bool armed_ = false;                                // GUARDED_BY(mu_)
  asio::steady_timer timer_;
};

}  // namespace

struct Server::Impl {
  ServerOptions opts;
  // Connections: declared before ioc, since sessions destroyed with it still count themselves out.
  std::mutex conns_mu;
  size_t open_conns = 0;                                 // GUARDED_BY(conns_mu)
  uint64_t wait_seq = 0;                                 // GUARDED_BY(conns_mu)
  std::map<uint64_t, std::weak_ptr<Session>> waiting;  // awaiting a request, oldest first; GUARDED_BY(conns_mu)
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<asio::thread_pool> workers;
  std::vector<std::unique_ptr<LaneState>> lanes;  // their queued jobs hold timers of ioc: after it
  std::vector<std::thread> threads;
  std::map<std::string, std::vector<RouteEntry>> exact;  // by path
  std::vector<RouteEntry> prefixes;                       // longest first
  Observer observer;
  Headers response_headers;
  Gate gate;
  std::map<std::string, ErrorShaper> error_shapers;  // by exact path
  std::unique_ptr<asio::ssl::context> tls;  // set by Start() when opts.tls.enabled()
  int bound_port = 0;
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  BodyPool body_pool{ioc};

  explicit Impl(ServerOptions o) : opts(std::move(o)) {}

  // Finds the route for (method, path). Returns nullptr when none matches; *allowed then lists
  // the methods the path does answer (exact or prefix routes), empty for an unknown path, so
  // that a wrong method gets 405 with Allow rather than 404 (as Prometheus's router does). A
  // prefix route on "/" is a fallback for every other path, not a resource: it stays 404.
  const RouteEntry* Find(const std::string& method, const std::string& path, std::string* suffix,
                         std::set<std::string>* allowed) const {
    allowed->clear();
    auto match = [&](const RouteEntry& r) {
      return r.method.empty() || r.method == method || (method == "HEAD" && r.method == "GET");
    };
    auto note = [&](const RouteEntry& r) {
      allowed->insert(r.method);
      if (r.method == "GET") allowed->insert("HEAD");
    };
    auto it = exact.find(path);
    if (it != exact.end()) {
      for (const auto& r : it->second) {
        if (match(r)) return &r;
        note(r);
      }
    }
    for (const auto& r : prefixes) {
      if (path.compare(0, r.pattern.size(), r.pattern) != 0) continue;
      if (match(r)) {
        *suffix = path.substr(r.pattern.size());
        return &r;
      }
      if (r.pattern != "/") note(r);
    }
    return nullptr;
  }

  void DoAccept();
  // Counts a new connection in; at the cap, picks the connection that has waited longest for a
  // request to be closed (*victim), or refuses (false) when every connection is busy.
  bool Admit(std::shared_ptr<Session>* victim);
  void Release() {
    std::lock_guard<std::mutex> l(conns_mu);
    --open_conns;
  }
  uint64_t MarkWaiting(const std::shared_ptr<Session>& s) {
    std::lock_guard<std::mutex> l(conns_mu);
    waiting.emplace(++wait_seq, s);
    return wait_seq;
  }
  void UnmarkWaiting(uint64_t key) {
    std::lock_guard<std::mutex> l(conns_mu);
    waiting.erase(key);
  }
  // Runs job in lane (1-based id) now, or queues it until a slot frees or its wait is over.
  // REQUIRES: job->timer is bound to the connection's strand.
  void Submit(int lane_id, std::shared_ptr<LaneJob> job);
  static void RunLane(LaneState* lane, std::shared_ptr<LaneJob> job);
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl* srv) : stream_(std::move(socket)), srv_(srv) {
    if (srv_->tls) tls_.emplace(stream_, *srv_->tls);
  }

  void Start() {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      auto addr = ep.address();
      remote_ip_ = addr.to_string();
      loopback_ = IsLoopback(addr);
    }
    auto local = stream_.socket().local_endpoint(ec);
    if (!ec) to_loopback_ = IsLoopback(local.address());
    stream_.socket().set_option(tcp::no_delay(true), ec);
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->tls_) return self->DetectTls();
      self->ReadHeader();
    });
  }
  ~Session() { Release(); }

  // Closes the connection from any thread (the connection cap's eviction).
  void Evict() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  static bool IsLoopback(const asio::ip::address& addr) {
    return addr.is_loopback() || (addr.is_v6() && addr.to_v6().is_v4_mapped() &&
                                  asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).is_loopback());
  }

  // Every read and write of a request or response: f(the SSL stream) or f(the TCP stream).
  template <typename F>
  void WithStream(F&& f) {
    if (tls_) return f(*tls_);
    f(stream_);
  }

  // The handshake must be done within the header timeout, and the connection may be evicted
  // meanwhile, as one waiting for its headers.
  void DetectTls() {
    stream_.expires_after(srv_->opts.header_read_timeout);
    wait_key_ = srv_->MarkWaiting(shared_from_this());
    beast::async_detect_ssl(stream_, buffer_, [self = shared_from_this()](beast::error_code ec, bool is_tls) {
      if (ec) return self->Close();
      if (!is_tls) return self->RefusePlainHttp();
      self->Handshake();
    });
  }

  // Go's net/http answers plain HTTP on a TLS port so, and curl or a browser shows it.
  void RefusePlainHttp() {
    Unwait();
    static constexpr std::string_view kAnswer =
        "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
        "Client sent an HTTP request to an HTTPS server.\n";
    asio::async_write(stream_, asio::buffer(kAnswer.data(), kAnswer.size()),
                      [self = shared_from_this()](beast::error_code, size_t) { self->Close(); });
  }

  void Handshake() {
    // The bytes detect_ssl read start the handshake (ssl::stream's buffered overload; Beast's
    // ssl_stream wrapper declares it with the wrong handler signature).
    tls_->next_layer().async_handshake(asio::ssl::stream_base::server, buffer_.data(),
                          [self = shared_from_this()](beast::error_code ec, size_t used) {
                            self->Unwait();
                            if (ec) {
                              // A client without the required certificate lands here, as do scanners.
                              spdlog::warn("{}: TLS handshake error from {}: {}", self->srv_->opts.name,
                                           self->remote_ip_, ec.message());
                              return self->Close();
                            }
                            self->buffer_.consume(used);
                            self->ReadHeader();
                          });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(64 * 1024);
    parser_->body_limit(srv_->opts.max_body_bytes);
    // The first request must arrive within the header timeout; later ones on a keep-alive
    // connection get the idle one. Either way the connection is a candidate for eviction.
    stream_.expires_after(requests_ ? srv_->opts.idle_timeout : srv_->opts.header_read_timeout);
    wait_key_ = srv_->MarkWaiting(shared_from_this());
    WithStream([&](auto& s) {
      bhttp::async_read_header(s, buffer_, *parser_,
                               [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
    });
  }

  void OnHeader(beast::error_code ec) {
    Unwait();
    if (ec) return OnReadError(ec);
    stream_.expires_after(srv_->opts.read_timeout);
    const auto& h = parser_->get();
    auto expect = h[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, h.version());
      WithStream([&](auto& s) {
        bhttp::async_write(s, *cont, [self = shared_from_this(), cont](beast::error_code ec, size_t) {
          if (ec) return self->Close();
          self->ReadBody();
        });
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return Dispatch();
    // The recv(2) fast path reads the socket itself: plain connections only.
    if (auto len = parser_->content_length(); len && !parser_->chunked() && !tls_) return ReadKnownLengthBody(*len);
    WithStream([&](auto& s) {
      bhttp::async_read(s, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->OnReadError(ec);
        self->Dispatch();
      });
    });
  }

  // A body of known length is read straight into the request's string: Beast's loop reads it in
  // 64 KB pieces and arms and cancels its timer for each, which cost more CPU than parsing a
  // large import body (the profile in docs/benchmarks.md). Here the kernel's socket buffer is
  // drained with plain recv(2) calls and the io_context is involved only when it runs dry; one
  // timer keeps the whole request within read_timeout, as before. A large body reuses the buffer
  // of an earlier one (BodyPool). Otherwise the announced length is only reserved (address
  // space: bodies over 1 MB are mmapped, their pages become resident as they are written) and
  // the string's size grows with what arrives (doubling), so a client announcing a large body
  // and sending nothing holds no memory, and a real one is never copied to a bigger buffer
  // (growing by reallocation copied and zeroed every import body three times over: 40% of the
  // import's CPU).
  void ReadKnownLengthBody(uint64_t len) {
    if (len > srv_->opts.max_body_bytes) return OnReadError(bhttp::error::body_limit);
    std::string& body = parser_->get().body();
    body = srv_->body_pool.Take(len);
    body.reserve(len);
    auto buffered = buffer_.data();
    size_t have = std::min<size_t>(buffered.size(), len);
    body.resize(std::min<size_t>(len, std::max({have, kInitialBodyBytes, body.size()})));
    asio::buffer_copy(asio::buffer(body.data(), have), buffered);
    buffer_.consume(have);
    body_read_ = have;
    body_len_ = len;
    beast::error_code ec;
    stream_.socket().non_blocking(true, ec);
    if (ec) return OnReadError(ec);
    // A timer that fires as the body completes may still run after the next request began:
    // it acts only on the body it was armed for.
    uint64_t this_body = ++bodies_;
    body_timer_.expires_after(srv_->opts.read_timeout);
    body_timer_.async_wait([self = shared_from_this(), this_body](beast::error_code ec) {
      if (!ec && self->bodies_ == this_body && self->body_read_ < self->body_len_) self->Close();
    });
    DrainBody();
  }

  void DrainBody() {
    std::string& body = parser_->get().body();
    auto& sock = stream_.socket();
    while (body_read_ < body_len_) {
      if (body_read_ == body.size()) body.resize(std::min<size_t>(body_len_, body.size() * 2));
      beast::error_code ec;
      size_t n = sock.read_some(asio::buffer(body.data() + body_read_, body.size() - body_read_), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        sock.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
          if (ec) return self->OnReadError(ec);
          self->DrainBody();
        });
        return;
      }
      if (ec) {
        body_timer_.cancel();
        return OnReadError(ec);
      }
      body_read_ += n;
    }
    body_timer_.cancel();
    Dispatch();
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      Response r;
      r.SetText(413, "request body is larger than the limit of " + std::to_string(srv_->opts.max_body_bytes) + " bytes\n");
      r.keep_alive = false;
      // Beast refuses a declared length over the limit as it completes the header: the fields
      // read so far are there even though is_header_done() is not yet true.
      if (parser_) {
        Request req;
        const auto& h = parser_->get();
        req.method = std::string(h.method_string());
        req.target = std::string(h.target());
        req.path = UrlDecode(std::string_view(req.target).substr(0, req.target.find('?')), /*plus_is_space=*/false);
        for (const auto& f : h) req.headers.Add(std::string(f.name_string()), std::string(f.value()));
        ShapeOwnError(req, &r);
      }
      return Send(std::move(r), 11);
    }
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == bhttp::error::header_limit) {
      Response r;
      r.SetText(431, "request headers are too large\n");
      r.keep_alive = false;
      return Send(std::move(r), 11);
    }
    // Malformed request: answer 400 and close, as Go's net/http does.
    Response r;
    r.SetText(400, "bad request: " + ec.message() + "\n");
    r.keep_alive = false;
    Send(std::move(r), 11);
  }

  void Dispatch() {
    ++requests_;
    ++srv_->in_flight;
    auto msg = parser_->release();
    auto req = std::make_shared<Request>();
    req->method = std::string(msg.method_string());
    req->target = std::string(msg.target());
    size_t q = req->target.find('?');
    req->path = UrlDecode(std::string_view(req->target).substr(0, q), /*plus_is_space=*/false);
    if (q != std::string::npos) req->query = req->target.substr(q + 1);
    ParseQueryString(req->query, &req->params);
    for (const auto& f : msg) req->headers.Add(std::string(f.name_string()), std::string(f.value()));
    req->body = std::move(msg.body());
    req->remote_ip = remote_ip_;
    req->from_loopback = loopback_;
    req->to_loopback = to_loopback_;
    version_ = msg.version();
    keep_alive_ = msg.keep_alive();
    is_head_ = req->method == "HEAD";
    start_ = MonotonicSeconds();

    if (beast::iequals(req->headers.Get("Content-Encoding"), "gzip")) {
      auto plain = Gunzip(req->body, srv_->opts.max_body_bytes);
      if (!plain.ok()) {
        Response r;
        bool too_big = plain.status().code() == Status::Code::kResourceExhausted;
        r.SetText(too_big ? 413 : 400, "cannot decompress gzip request body: " + plain.status().message() + "\n");
        ShapeOwnError(*req, &r);
        return Finish(req, "", std::move(r));
      }
      req->body = std::move(*plain);
    }
    std::set<std::string> allowed;
    std::string suffix;
    const RouteEntry* route = srv_->Find(req->method, req->path, &suffix, &allowed);
    if (route && route->parse_form && req->method == "POST" &&
        req->headers.Get("Content-Type").starts_with("application/x-www-form-urlencoded")) {
      ParseQueryString(req->body, &req->params);
    }
    if (srv_->gate) {
      Response r;
      if (!srv_->gate(*req, &r)) return Finish(req, route ? route->pattern : "", std::move(r));
    }
    if (!route) {
      Response r;
      if (!allowed.empty()) {
        r.SetText(405, "method not allowed\n");
        r.headers.Add("Allow", Join(std::vector<std::string>(allowed.begin(), allowed.end()), ", "));
      } else {
        r.SetText(404, "404 page not found\n");
      }
      return Finish(req, "", std::move(r));
    }
    req->path_suffix = std::move(suffix);
    std::string pattern = route->pattern;
    auto self = shared_from_this();
    if (route->async_handler) {
      auto executor = stream_.get_executor();
      Reply reply = [self, req, pattern, executor](Response r) {
        asio::post(executor, [self, req, pattern, r = std::move(r)]() mutable {
          self->Finish(req, pattern, std::move(r));
        });
      };
      route->async_handler(*req, std::move(reply));
      return;
    }
    if (route->blocking) {
      auto executor = stream_.get_executor();
      Handler handler = route->handler;
      auto run = [self, req, pattern, executor, handler] {
        Response r;
        RunHandler(handler, *req, r);
        asio::post(executor, [self, req, pattern, r = std::move(r)]() mutable {
          self->Finish(req, pattern, std::move(r));
        });
      };
      if (route->lane == 0) return asio::post(*srv_->workers, std::move(run));
      auto job = std::make_shared<LaneJob>();
      job->run = std::move(run);
      const LaneOptions& lane = srv_->lanes[route->lane - 1]->opts;
      job->reject = [self, req, pattern, msg = lane.busy_message] {
        spdlog::warn("{} {}: {}", req->method, req->target, msg);
        Response r;
        r.SetText(503, msg + "\n");
        self->Finish(req, pattern, std::move(r));
      };
      job->timer = std::make_shared<asio::steady_timer>(executor);
      srv_->Submit(route->lane, std::move(job));
      return;
    }
    Response r;
    RunHandler(route->handler, *req, r);
    Finish(req, pattern, std::move(r));
  }

  static void RunHandler(const Handler& handler, Request& req, Response& r) {
    try {
      handler(req, r);
    } catch (const std::exception& e) {
      // A bug in a handler must not take the service down: log it and answer 500.
      spdlog::error("handler for {} {} threw: {}", req.method, req.path, e.what());
      r = Response();
      r.SetText(500, std::string("internal error: ") + e.what() + "\n");
    }
  }

  void ShapeOwnError(const Request& req, Response* r) {
    auto it = srv_->error_shapers.find(req.path);
    if (it != srv_->error_shapers.end()) it->second(req, r);
  }

  void Finish(const std::shared_ptr<Request>& req, const std::string& pattern, Response r) {
    if (srv_->observer) srv_->observer(*req, r, pattern, MonotonicSeconds() - start_);
    srv_->body_pool.Give(std::move(req->body));
    --srv_->in_flight;
    Send(std::move(r), version_);
  }

  void Send(Response r, unsigned version) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(r.status),
                                                                      version ? version : 11);
    res->set(bhttp::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers.items()) res->insert(k, v);
    for (const auto& [k, v] : srv_->response_headers.items()) {
      if (!r.headers.Has(k)) res->insert(k, v);
    }
    bool keep = keep_alive_ && r.keep_alive && !srv_->stopping;
    res->keep_alive(keep);
    if (is_head_) {
      res->content_length(r.body.size());
    } else {
      res->body() = std::move(r.body);
      res->prepare_payload();
    }
    stream_.expires_after(srv_->opts.read_timeout);
    WithStream([&](auto& s) {
      bhttp::async_write(s, *res, [self = shared_from_this(), res, keep](beast::error_code ec, size_t) {
        if (ec || !keep) return self->Close();
        self->ReadHeader();
      });
    });
  }

  void Close() {
    Unwait();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
    Release();
  }

  void Unwait() {
    if (wait_key_) srv_->UnmarkWaiting(wait_key_);
    wait_key_ = 0;
  }
  // Counts the connection out of the cap, once: its descriptor is closed or about to be.
  void Release() {
    if (released_) return;
    released_ = true;
    Unwait();
    if (srv_->opts.max_connections) srv_->Release();
  }

  beast::tcp_stream stream_;
  // Over stream_ when the server has TLS (declared after it: destroyed first). Close() drops the
  // TCP connection without a close_notify, as after a timeout; HTTP framing ends each response.
  // flat_stream, as in beast::ssl_stream: a response's buffers go out in one TLS record.
  std::optional<beast::flat_stream<asio::ssl::stream<beast::tcp_stream&>>> tls_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  static constexpr size_t kInitialBodyBytes = 64 * 1024;
  asio::steady_timer body_timer_{stream_.get_executor()};
  size_t body_read_ = 0, body_len_ = 0;  // of the known-length body being read
  uint64_t bodies_ = 0;                  // known-length bodies begun on this connection
  Server::Impl* srv_;
  std::string remote_ip_;
  bool loopback_ = false;
  bool to_loopback_ = false;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool is_head_ = false;
  int requests_ = 0;
  double start_ = 0;
  uint64_t wait_key_ = 0;  // in srv_->waiting while nonzero
  bool released_ = false;
};

}  // namespace

void Server::Impl::DoAccept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      // EMFILE and friends: log and keep accepting after a pause instead of spinning.
      spdlog::warn("{}: accept failed: {}", opts.name, ec.message());
      auto timer = std::make_shared<asio::steady_timer>(ioc, std::chrono::milliseconds(100));
      timer->async_wait([this, timer](beast::error_code) { DoAccept(); });
      return;
    }
    auto session = std::make_shared<Session>(std::move(socket), this);
    std::shared_ptr<Session> victim;
    if (Admit(&victim)) {
      if (victim) victim->Evict();
      session->Start();
    } else {
      spdlog::warn("{}: closing a new connection: {} connections are open and busy (the cap)", opts.name, open_conns);
    }
    DoAccept();
  });
}

bool Server::Impl::Admit(std::shared_ptr<Session>* victim) {
  if (opts.max_connections == 0) return true;
  std::lock_guard<std::mutex> l(conns_mu);
  if (open_conns >= opts.max_connections) {
    while (!waiting.empty() && !*victim) {
      *victim = waiting.begin()->second.lock();
      waiting.erase(waiting.begin());
    }
    // Refused: the new session is destroyed right away and counts itself out.
    if (!*victim) return ++open_conns, false;
  }
  ++open_conns;
  return true;
}

void Server::Impl::Submit(int lane_id, std::shared_ptr<LaneJob> job) {
  LaneState* lane = lanes[lane_id - 1].get();
  {
    std::lock_guard<std::mutex> l(lane->mu);
    if (lane->active >= lane->opts.max_concurrent) {
      lane->queue.push_back(job);
      job->timer->expires_after(lane->opts.max_queue_duration);
      job->timer->async_wait([lane, job](beast::error_code ec) {
        if (ec) return;  // cancelled: the job got a slot
        {
          std::lock_guard<std::mutex> l(lane->mu);
          auto it = std::find(lane->queue.begin(), lane->queue.end(), job);
          if (it == lane->queue.end()) return;  // taken by a thread as the timer fired
          lane->queue.erase(it);
        }
        job->reject();
      });
      return;
    }
    ++lane->active;
  }
  asio::post(*lane->pool, [lane, job] { RunLane(lane, job); });
}

// A lane thread runs its job, then takes queued ones until the queue is empty.
void Server::Impl::RunLane(LaneState* lane, std::shared_ptr<LaneJob> job) {
  while (job) {
    job->run();
    std::lock_guard<std::mutex> l(lane->mu);
    if (lane->queue.empty()) {
      --lane->active;
      job = nullptr;
    } else {
      job = lane->queue.front();
      lane->queue.pop_front();
      asio::post(job->timer->get_executor(), [t = job->timer] { t->cancel(); });
    }
  }
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() { Stop(std::chrono::milliseconds(0)); }

namespace {
RouteEntry MakeRoute(std::string method, std::string pattern, Handler handler, Exec exec) {
  RouteEntry e;
  e.method = std::move(method);
  e.pattern = std::move(pattern);
  e.blocking = exec.blocking;
  e.lane = exec.lane;
  e.handler = std::move(handler);
  return e;
}
}  // namespace

void Server::Route(std::string method, std::string path, Handler handler, Exec exec) {
  impl_->exact[path].push_back(MakeRoute(std::move(method), path, std::move(handler), exec));
}

void Server::RouteRaw(std::string method, std::string path, Handler handler, Exec exec) {
  RouteEntry e = MakeRoute(std::move(method), path, std::move(handler), exec);
  e.parse_form = false;
  impl_->exact[path].push_back(std::move(e));
}

Lane Server::AddLane(LaneOptions options) {
  auto lane = std::make_unique<LaneState>();
  lane->opts = std::move(options);
  lane->opts.max_concurrent = std::max(1, lane->opts.max_concurrent);
  impl_->lanes.push_back(std::move(lane));
  return Lane{static_cast<int>(impl_->lanes.size())};
}

void Server::RoutePrefix(std::string method, std::string prefix, Handler handler, Exec exec) {
  RouteEntry e = MakeRoute(std::move(method), std::move(prefix), std::move(handler), exec);
  e.prefix = true;
  impl_->prefixes.push_back(std::move(e));
  std::stable_sort(impl_->prefixes.begin(), impl_->prefixes.end(),
                   [](const RouteEntry& a, const RouteEntry& b) { return a.pattern.size() > b.pattern.size(); });
}

void Server::RouteAsync(std::string method, std::string path, AsyncHandler handler) {
  RouteEntry e;
  e.method = std::move(method);
  e.pattern = path;
  e.async_handler = std::move(handler);
  impl_->exact[path].push_back(std::move(e));
}

void Server::SetObserver(Observer observer) { impl_->observer = std::move(observer); }
void Server::SetResponseHeaders(Headers headers) { impl_->response_headers = std::move(headers); }

void Server::SetGate(Gate gate) { impl_->gate = std::move(gate); }

void Server::ShapeErrors(std::string path, ErrorShaper shaper) {
  impl_->error_shapers[std::move(path)] = std::move(shaper);
}

Status Server::Start() {
  std::string host;
  int port = 0;
  SREMON_RETURN_IF_ERROR(ParseListenAddr(impl_->opts.listen_addr, &host, &port));
  auto fail = [&](const beast::error_code& ec) {
    return Status::Unavailable(
        fmt::format("{}: cannot listen on {}: {}", impl_->opts.name, impl_->opts.listen_addr, ec.message()));
  };
  beast::error_code ec;
  asio::ip::address addr;
  if (host.empty()) {
    addr = asio::ip::address_v6::any();
  } else if (host == "localhost") {
    addr = asio::ip::make_address("127.0.0.1");
  } else {
    addr = asio::ip::make_address(host, ec);
    if (ec) return Status::InvalidArgument(fmt::format("{}: invalid listen address {}", impl_->opts.name, Quote(impl_->opts.listen_addr)));
  }
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  impl_->acceptor.open(ep.protocol(), ec);
  if (ec) return fail(ec);
  if (host.empty()) impl_->acceptor.set_option(asio::ip::v6_only(false), ec);
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  impl_->acceptor.bind(ep, ec);
  if (ec) return fail(ec);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec);
  impl_->bound_port = impl_->acceptor.local_endpoint().port();
  if (impl_->opts.tls.enabled()) {
    auto ctx = MakeTlsContext(impl_->opts.tls);
    if (!ctx.ok()) {
      impl_->acceptor.close(ec);
      return Status::InvalidArgument(fmt::format("{}: {}", impl_->opts.name, ctx.status().message()));
    }
    impl_->tls = std::move(*ctx);
  }
  impl_->workers = std::make_unique<asio::thread_pool>(std::max(1, impl_->opts.worker_threads));
  for (auto& lane : impl_->lanes) lane->pool = std::make_unique<asio::thread_pool>(lane->opts.max_concurrent);
  impl_->work.emplace(impl_->ioc.get_executor());
  impl_->DoAccept();
  int n = impl_->opts.io_threads > 0 ? impl_->opts.io_threads
                                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  return Status::Ok();
}

int Server::port() const { return impl_->bound_port; }

void Server::Stop(std::chrono::milliseconds grace) {
  if (impl_->threads.empty()) return;
  impl_->stopping = true;
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->work.reset();
  // Let in-flight requests finish; idle keep-alive connections would otherwise hold run().
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (impl_->in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // Queued lane jobs will not run: drop them (and their timers) while the io_context lives.
  for (auto& lane : impl_->lanes) {
    std::lock_guard<std::mutex> l(lane->mu);
    lane->queue.clear();
  }
  if (impl_->workers) impl_->workers->join();
  for (auto& lane : impl_->lanes) {
    if (lane->pool) lane->pool->join();
  }
}

uint64_t RaiseOpenFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur;
}

void Server::RunAfter(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(impl_->ioc, delay);
  timer->async_wait([timer, fn = std::move(fn)](beast::error_code ec) {
    if (!ec) fn();
  });
}

}  // namespace sremon::http
