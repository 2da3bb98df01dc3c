#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "http/http.h"
#include "testutil/raw_conn.h"
#include "testutil/testutil.h"
#include "testutil/tls.h"

namespace sremon::http {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.name = "test";
    o.listen_addr = "127.0.0.1:0";
    o.max_body_bytes = 1024;
    server_ = std::make_unique<Server>(o);
    server_->Route("GET", "/hello", [](Request& req, Response& r) {
      r.SetText(200, "hi " + std::string(req.Param("name")));
    });
    server_->Route("POST", "/echo", [](Request& req, Response& r) { r.SetText(200, req.body); });
    server_->Route("POST", "/form", [](Request& req, Response& r) { r.SetText(200, std::string(req.Param("q"))); },
                   /*blocking=*/true);
    server_->RoutePrefix("GET", "/api/v1/label/", [](Request& req, Response& r) { r.SetText(200, req.path_suffix); });
    server_->RouteAsync("GET", "/later", [this](Request&, Reply reply) {
      server_->RunAfter(std::chrono::milliseconds(50), [reply] {
        Response r;
        r.SetText(200, "done");
        reply(std::move(r));
      });
    });
    ASSERT_TRUE(server_->Start().ok());
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  std::unique_ptr<Server> server_;
  std::string base_;
};

TEST_F(ServerTest, RoutesAndParams) {
  auto r = Get(base_ + "/hello?name=a%20b");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hi a b");
  EXPECT_EQ(Get(base_ + "/nope")->status, 404);
  EXPECT_EQ(Post(base_ + "/hello", "", "text/plain")->status, 405);
  EXPECT_EQ(Get(base_ + "/api/v1/label/job/values")->body, "job/values");
  EXPECT_EQ(Get(base_ + "/later")->body, "done");
}

// A known path asked with another method answers 405 with the methods it has, for exact and
// prefix routes alike (a POST to a GET-only prefix route once answered 404).
TEST_F(ServerTest, WrongMethodAnswers405WithAllow) {
  auto check = [&](const std::string& method, const std::string& path, std::string_view allow) {
    ClientRequest req;
    req.method = method;
    req.url = base_ + path;
    auto r = Fetch(req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 405) << method << " " << path;
    EXPECT_EQ(r->headers.Get("Allow"), allow) << method << " " << path;
  };
  check("POST", "/hello", "GET, HEAD");
  check("DELETE", "/echo", "POST");
  check("POST", "/api/v1/label/job/values", "GET, HEAD");
  auto r = Get(base_ + "/nope");
  EXPECT_EQ(r->status, 404);
  EXPECT_FALSE(r->headers.Has("Allow"));
}

// A prefix route on "/" is a fallback (the dashboards' app pages, the inbox's webhooks), not a
// resource: an unknown path asked with another method stays 404.
TEST(ServerFallback, RootPrefixDoesNotTurn404Into405) {
  ServerOptions o;
  o.listen_addr = "127.0.0.1:0";
  Server server(o);
  server.RoutePrefix("GET", "/", [](Request&, Response& r) { r.SetText(200, "page"); });
  ASSERT_TRUE(server.Start().ok());
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(Get(base + "/any/page")->body, "page");
  auto r = Post(base + "/any/page", "", "text/plain");
  EXPECT_EQ(r->status, 404);
  EXPECT_FALSE(r->headers.Has("Allow"));
  server.Stop();
}

TEST_F(ServerTest, BodiesFormsGzipAndLimits) {
  EXPECT_EQ(Post(base_ + "/echo", "payload", "text/plain")->body, "payload");
  EXPECT_EQ(Post(base_ + "/form", "q=up%7Bjob%3D%22a%22%7D", "application/x-www-form-urlencoded")->body,
            "up{job=\"a\"}");
  ClientRequest gz;
  gz.method = "POST";
  gz.url = base_ + "/echo";
  gz.body = Gzip("compressed");
  gz.headers.Add("Content-Encoding", "gzip");
  EXPECT_EQ(Fetch(gz)->body, "compressed");
  gz.body = "not gzip at all";
  EXPECT_EQ(Fetch(gz)->status, 400);
  EXPECT_EQ(Post(base_ + "/echo", std::string(4096, 'x'), "text/plain")->status, 413);
}

// Bodies of known length bypass Beast's body loop (server.cc ReadKnownLengthBody): pieces that
// arrive apart, a body that shares its packet with the next pipelined request, a body cut short.
TEST_F(ServerTest, KnownLengthBodiesInPiecesPipelinedAndTruncated) {
  using namespace std::chrono_literals;
  {
    testutil::RawConn c(server_->port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nabc"));
    std::this_thread::sleep_for(30ms);  // the server has drained "abc" and waits for more
    ASSERT_TRUE(c.Send("defg"));
    std::this_thread::sleep_for(30ms);
    // The rest of the body and a whole second request in one send.
    ASSERT_TRUE(c.Send("hij" "GET /hello?name=z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::string out = c.ReadUntilClose(2000ms);
    size_t first = out.find("\r\n\r\nabcdefghij");
    EXPECT_NE(first, std::string::npos) << out;
    EXPECT_NE(out.find("hi z", first), std::string::npos) << out;
  }
  {
    testutil::RawConn c(server_->port());
    ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part"));
    c.ShutdownWrite();
    EXPECT_EQ(c.ReadStatus(2000ms), 0);  // closed without an answer: there is no whole request
  }
  {
    testutil::RawConn c(server_->port());
    ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"));
    EXPECT_EQ(c.ReadStatus(2000ms), 413);  // over max_body_bytes, refused before reading it
  }
  // A body of exactly the limit, sent in one piece, is read whole.
  EXPECT_EQ(Post(base_ + "/echo", std::string(1024, 'y'), "text/plain")->body, std::string(1024, 'y'));
  EXPECT_EQ(Get(base_ + "/hello?name=after")->body, "hi after");
}

// Large bodies reuse the buffers of earlier ones (server.cc BodyPool): a smaller body after a
// larger one, and a body after one cut short, arrive exactly as sent, with none of the stale
// bytes of the buffer's last use.
TEST(ServerBodyPool, ReusedBuffersHoldOnlyTheNewBody) {
  ServerOptions o;
  o.name = "test";
  o.listen_addr = "127.0.0.1:0";
  o.max_body_bytes = 8 << 20;
  Server server(o);
  server.Route("POST", "/echo", [](Request& req, Response& r) { r.SetText(200, req.body); });
  ASSERT_TRUE(server.Start().ok());
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  for (auto [size, fill] : {std::pair<size_t, char>{3 << 20, 'a'}, {2 << 20, 'b'}, {(3 << 20) + 7, 'c'}}) {
    auto r = Post(base + "/echo", std::string(size, fill), "text/plain");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->body.size(), size);
    EXPECT_EQ(r->body.find_first_not_of(fill), std::string::npos) << "stale bytes in a body of " << fill;
  }
  {
    testutil::RawConn c(server.port());
    ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n" + std::string(1 << 20, 'd')));
    c.ShutdownWrite();
    EXPECT_EQ(c.ReadStatus(std::chrono::milliseconds(2000)), 0);
  }
  auto r = Post(base + "/echo", std::string(2 << 20, 'e'), "text/plain");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, std::string(2 << 20, 'e'));
}

TEST(ServerTimeouts, BodySentTooSlowlyIsCut) {
  using namespace std::chrono_literals;
  ServerOptions o;
  o.listen_addr = "127.0.0.1:0";
  o.read_timeout = std::chrono::seconds(1);
  Server server(o);
  server.Route("POST", "/echo", [](Request& req, Response& r) { r.SetText(200, req.body); });
  ASSERT_TRUE(server.Start().ok());
  testutil::RawConn c(server.port());
  ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab"));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(c.ReadStatus(3000ms), 0);  // closed by the server after read_timeout
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
}

// Lanes: a busy lane queues, then answers 503 with its message once max_queue_duration passes;
// another lane and the I/O-thread routes are not held up by it.
TEST(ServerLanes, BusyLaneQueuesThenRefusesWithoutBlockingOthers) {
  using namespace std::chrono_literals;
  ServerOptions o;
  o.listen_addr = "127.0.0.1:0";
  Server server(o);
  Lane slow = server.AddLane({"search", 1, 300ms, "cannot handle more than 1 concurrent search requests"});
  Lane fast = server.AddLane({"insert", 1, 300ms, "insert busy"});
  server.Route("GET", "/slow", [](Request&, Response& r) {
    std::this_thread::sleep_for(1500ms);
    r.SetText(200, "slow");
  }, slow);
  server.Route("GET", "/fast", [](Request&, Response& r) { r.SetText(200, "fast"); }, fast);
  server.Route("GET", "/health", [](Request&, Response& r) { r.SetText(200, "OK"); });
  ASSERT_TRUE(server.Start().ok());
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  std::thread holder([&] { EXPECT_EQ(Get(base + "/slow")->body, "slow"); });
  std::this_thread::sleep_for(200ms);  // the holder has the only slot of the lane
  auto t0 = std::chrono::steady_clock::now();
  auto queued = Get(base + "/slow");
  auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(queued->status, 503);
  EXPECT_EQ(queued->body, "cannot handle more than 1 concurrent search requests\n");
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 1000ms);  // answered at its deadline, not when the slot frees
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(Get(base + "/fast")->body, "fast");
  EXPECT_EQ(Get(base + "/health")->body, "OK");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  holder.join();
  // Queued requests run in order once a slot frees, within their wait.
  std::thread a([&] { EXPECT_EQ(Get(base + "/fast")->status, 200); });
  std::thread b([&] { EXPECT_EQ(Get(base + "/fast")->status, 200); });
  a.join();
  b.join();
}

// At the connection cap, the connection that has waited longest for its request is closed to
// make room: slow clients cannot lock a normal one out. The header timeout cuts them anyway.
TEST(ServerConnections, CapEvictsTheLongestWaitingAndHeadersTimeOut) {
  using namespace std::chrono_literals;
  ServerOptions o;
  o.listen_addr = "127.0.0.1:0";
  o.max_connections = 20;
  o.header_read_timeout = std::chrono::seconds(2);
  Server server(o);
  server.Route("GET", "/health", [](Request&, Response& r) { r.SetText(200, "OK"); });
  ASSERT_TRUE(server.Start().ok());
  std::vector<std::unique_ptr<testutil::RawConn>> slow;
  for (int i = 0; i < 60; ++i) {
    slow.push_back(std::make_unique<testutil::RawConn>(server.port()));
    ASSERT_TRUE(slow.back()->ok());
    slow.back()->Send("GET /health HTTP/1.1\r\nHost: x\r\n");  // never finished
  }
  auto t0 = std::chrono::steady_clock::now();
  auto r = Get("http://127.0.0.1:" + std::to_string(server.port()) + "/health", 1000ms);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "OK");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);
  // The oldest slow connection was closed without an answer; ...
  EXPECT_EQ(slow.front()->ReadStatus(500ms), 0);
  // ... the newest is still open, until the header timeout closes it.
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(slow.back()->ReadStatus(4000ms), 0);
  auto cut = std::chrono::steady_clock::now() - t0;
  EXPECT_GT(cut, 500ms);
  EXPECT_LT(cut, 3500ms);
}

TEST(ClientTls, HttpsWithCaFileServerNameAndSkipVerify) {
  testutil::SelfSignedCert cert;
  testutil::HttpsServer server(cert, "metric 1\n");
  testutil::TempDir dir;
  std::string ca = dir.File("ca.pem");
  cert.WritePem(ca);
  std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/metrics";

  ClientRequest req;
  req.url = url;
  req.timeout = std::chrono::milliseconds(3000);
  req.tls.ca_file = ca;
  auto r = Fetch(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "metric 1\n");
  EXPECT_NE(server.last_request().find("GET /metrics HTTP/1.1"), std::string::npos);

  // The system's CAs do not know a self-signed certificate: the handshake fails, and says so.
  req.tls = {};
  r = Fetch(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("TLS handshake failed"), std::string::npos) << r.status().message();

  req.tls.insecure_skip_verify = true;
  r = Fetch(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "metric 1\n");

  // The certificate is for localhost and 127.0.0.1, not for the name asked for.
  req.tls = {};
  req.tls.ca_file = ca;
  req.tls.server_name = "example.org";
  EXPECT_FALSE(Fetch(req).ok());
  req.tls.server_name = "localhost";
  EXPECT_TRUE(Fetch(req).ok());

  req.tls.ca_file = dir.File("missing.pem");
  r = Fetch(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tls_config ca_file"), std::string::npos) << r.status().message();

  EXPECT_EQ(FetchErrorPhase(r.status()), "tls_config");

  // Plain HTTP to a TLS port is a read error, not a hang.
  r = Get("http://127.0.0.1:" + std::to_string(server.port()) + "/", std::chrono::milliseconds(3000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(FetchErrorPhase(r.status()), "read") << r.status().message();
  req.tls = {};
  req.tls.server_name = "example.org";
  req.tls.insecure_skip_verify = false;
  r = Fetch(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(FetchErrorPhase(r.status()), "TLS handshake") << r.status().message();
}

// ServerOptions::tls: requests and bodies (Beast's body loop, not the plain recv(2) path) over
// HTTPS, the body limit, and plain HTTP on the TLS port answered with Go's 400.
TEST(ServerTls, HttpsBodiesLimitsAndPlainHttpRefused) {
  testutil::SelfSignedCert cert;
  testutil::TempDir dir;
  std::string ca = dir.File("ca.pem");
  cert.WritePem(ca);
  ServerOptions o;
  o.name = "tls";
  o.listen_addr = "127.0.0.1:0";
  o.max_body_bytes = 1 << 20;
  o.tls.cert = testutil::ReadFile(ca);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, cert.key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* pem = nullptr;
  long pem_size = BIO_get_mem_data(bio, &pem);
  o.tls.key.assign(pem, pem_size);
  BIO_free(bio);
  Server server(o);
  server.Route("POST", "/echo", [](Request& req, Response& r) { r.SetText(200, req.body); });
  ASSERT_TRUE(server.Start().ok());
  ClientRequest req;
  req.method = "POST";
  req.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/echo";
  req.tls.ca_file = ca;
  req.timeout = std::chrono::milliseconds(5000);
  for (size_t size : {size_t{0}, size_t{5}, size_t{300000}, size_t{1} << 20}) {
    req.body = std::string(size, 'b');
    auto r = Fetch(req);
    ASSERT_TRUE(r.ok()) << size << ": " << r.status().message();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), size);
  }
  req.body = std::string((1 << 20) + 1, 'b');
  auto big = Fetch(req);
  EXPECT_TRUE(!big.ok() || big->status == 413);
  req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/echo";
  req.body = "x";
  auto plain = Fetch(req);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->status, 400);
  EXPECT_EQ(plain->body, "Client sent an HTTP request to an HTTPS server.\n");
  // A certificate that does not parse stops Start, naming the field.
  ServerOptions bad = o;
  bad.tls.cert = "not a certificate";
  Status st = Server(bad).Start();
  EXPECT_NE(st.message().find("tls: tls_server_config cert:"), std::string::npos) << st.message();
}

TEST(HttpUtil, Base64Encode) {
  // RFC 4648 test vectors.
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\0\xff", 2)), "AP8=");
}

TEST_F(ServerTest, ClientErrors) {
  auto r = Get("http://127.0.0.1:1/x", std::chrono::milliseconds(500));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(FetchErrorPhase(r.status()), "connect") << r.status().message();
  EXPECT_EQ(FetchErrorPhase(Get("ftp://x").status()), "request");
  EXPECT_FALSE(Get("ftp://x").ok());
}

TEST(ServerStart, PortInUseNamesServiceAndPort) {
  ServerOptions o;
  o.name = "app";
  o.listen_addr = "127.0.0.1:0";
  Server a(o);
  ASSERT_TRUE(a.Start().ok());
  o.listen_addr = "127.0.0.1:" + std::to_string(a.port());
  Server b(o);
  Status st = b.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("app: cannot listen on 127.0.0.1:"), std::string::npos) << st.message();
}

}  // namespace sremon::http

namespace sremon::http {

// Issue 12: a value with CR/LF must never become request-line or header bytes. The check runs
// before connecting: the listener sees no connection at all.
TEST(ClientRequestCheck, RefusesControlBytesAndSendsNothing) {
  int port = 0;
  int fd = testutil::ListenOnLoopback(&port);
  ASSERT_GE(fd, 0);
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto refused = [&](ClientRequest r, std::string_view why) {
    auto resp = Fetch(r);
    ASSERT_FALSE(resp.ok()) << why;
    EXPECT_EQ(resp.status().code(), Status::Code::kInvalidArgument) << why;
    EXPECT_NE(resp.status().message().find("refusing to send the request"), std::string::npos) << resp.status().message();
    EXPECT_EQ(FetchErrorPhase(resp.status()), "request");
  };
  auto with_url = [&](std::string path) {
    ClientRequest r;
    r.url = base + path;
    return r;
  };
  refused(with_url("/api/v1/query?query=1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /api/v1/admin/tsdb/delete_series"), "CRLF in target");
  refused(with_url("/a b"), "space in target");
  refused(with_url("/a\tb"), "tab in target");
  refused(with_url(std::string("/a\0b", 4)), "NUL in target");
  refused(with_url("/a\x7f"), "DEL in target");
  ClientRequest h = with_url("/ok");
  h.headers.Set("X-Test", "a\r\nInjected: yes");
  refused(h, "CRLF in a header value");
  h = with_url("/ok");
  h.headers.Set("X Test", "a");
  refused(h, "space in a header name");
  h = with_url("/ok");
  h.headers.Set("X-Test:", "a");
  refused(h, "colon in a header name");
  h = with_url("/ok");
  h.method = "GET /x HTTP/1.1\r\n";
  refused(h, "method with spaces");
  pollfd p{fd, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 200), 0) << "a refused request must not even connect";
  close(fd);

  ClientRequest ok;
  ok.url = "http://127.0.0.1:1/api/v1/query?query=up%0d%0a";
  ok.headers.Set("Authorization", "Basic dTpw");
  ok.headers.Set("X-Tabbed", "a\tb");
  EXPECT_TRUE(CheckRequest(ok).ok()) << "percent-encoded bytes, spaces and tabs inside values are fine";
}

TEST(HttpUtil, RedactUrl) {
  auto check = [](std::string_view in, std::string_view want) { EXPECT_EQ(RedactUrl(in), want) << in; };
  check("http://user:secret@127.0.0.1:8428/api/v1/write", "http://user:xxxxx@127.0.0.1:8428/api/v1/write");
  check("https://u:p%40ss@host/x?y=a@b", "https://u:xxxxx@host/x?y=a@b");
  check("http://a:b:c@host", "http://a:xxxxx@host");
  check("http://token@host/x", "http://token@host/x");
  check("http://host:9093/api/v2/alerts?x=u:p@y", "http://host:9093/api/v2/alerts?x=u:p@y");
  check("user:pw@host:80", "user:xxxxx@host:80");
  check("", "");
  check("http://h/p", "http://h/p");
}

TEST(ClientErrors, CredentialsNeverInFetchErrors) {
  int port = testutil::FreePort();  // nothing listens there
  auto r = Get("http://dsuser:dssecret@127.0.0.1:" + std::to_string(port) + "/api/v1/query", std::chrono::milliseconds(2000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("dssecret"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("dsuser:xxxxx@"), std::string::npos) << r.status().message();
  r = Get("ftp://dsuser:dssecret@host/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("dssecret"), std::string::npos) << r.status().message();
}

}  // namespace sremon::http
