#include <gtest/gtest.h>

#include "http/http.h"

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

TEST_F(ServerTest, ClientErrors) {
  auto r = Get("http://127.0.0.1:1/x", std::chrono::milliseconds(500));
  EXPECT_FALSE(r.ok());
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
