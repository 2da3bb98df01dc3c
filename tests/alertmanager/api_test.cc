// The API's answers to good and bad input (shapes as Alertmanager v0.25), reload keeping the
// old config, history, test-receiver, the UI pages, and the e-mail / Slack integrations against
// local sinks.

#include <fmt/format.h>

#include "harness.h"
#include "testutil/smtp_server.h"

namespace sremon::amtest {
namespace {

http::ClientResponse Call(const std::string& method, const std::string& url, const std::string& body = "") {
  http::ClientRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.headers.Set("Content-Type", "application/json");
  auto r = http::Fetch(req);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : http::ClientResponse{};
}

std::string BasicConf(const std::string& url) {
  return fmt::format(R"(
route:
  receiver: default
  group_wait: 100ms
  routes:
  - matchers: [team="ops"]
    receiver: ops
receivers:
- name: default
  webhook_configs: [{{url: '{}'}}]
- name: ops
)",
                     url);
}

TEST(Api, GarbageGetsUpstreamErrorShapes) {
  Webhook wh;
  AmServer am(BasicConf(wh.url()));
  std::string u = am.url() + "/api/v2";
  struct Case {
    std::string method, path, body;
    int code;
    std::string contains;
  };
  std::vector<Case> cases = {
      {"POST", "/alerts", "garbage", 400, "\"code\":400"},
      {"POST", "/alerts", "{}", 400, "cannot unmarshal object"},
      {"POST", "/alerts", "[{\"labels\":{}}]", 400, "at least one label pair required"},
      {"POST", "/alerts", "[{\"annotations\":{\"a\":\"b\"}}]", 422, "0.labels in body is required"},
      {"POST", "/alerts", "[{\"labels\":{\"a b\":\"x\"}}]", 400, "invalid label set: invalid name"},
      {"POST", "/alerts", "[{\"labels\":{\"a\":1}}]", 400, "parsing alerts body"},
      {"POST", "/alerts", "[{\"labels\":{\"a\":\"b\"},\"startsAt\":\"yesterday\"}]", 400, "parsing alerts body"},
      {"POST", "/alerts",
       "[{\"labels\":{\"x\":\"y\"},\"startsAt\":\"2020-01-01T00:00:00Z\",\"endsAt\":\"2019-01-01T00:00:00Z\"}]", 400,
       "start time must be before end time"},
      {"GET", "/alerts?filter=foo", "", 400, "bad matcher format: foo"},
      {"GET", "/alerts?receiver=(", "", 400, "failed to parse receiver param"},
      {"GET", "/alerts?active=maybe", "", 400, "active in query must be of type boolean"},
      {"GET", "/alerts/groups?filter=a=~(", "", 400, ""},
      {"GET", "/silences?filter=%7B%7D%3D", "", 400, "bad matcher format"},
      {"POST", "/silences", "garbage", 400, "parsing silence body"},
      {"POST", "/silences", "[]", 400, "parsing silence body"},
      {"POST", "/silences",
       R"({"matchers":[{"name":"a","value":"","isRegex":false}],"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"x","comment":"c"})",
       400, "silence invalid: at least one matcher must not match the empty string"},
      {"POST", "/silences",
       R"({"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2020-01-01T00:00:00Z","endsAt":"2020-01-01T00:00:00Z","createdBy":"x","comment":"c"})",
       400, "start time must be before end time"},
      {"POST", "/silences",
       R"({"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2020-01-01T00:00:00Z","endsAt":"2021-01-01T00:00:00Z","createdBy":"x","comment":"c"})",
       400, "end time can't be in the past"},
      {"POST", "/silences",
       R"({"matchers":[],"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"x","comment":"c"})",
       422, "matchers in body should have at least 1 items"},
      {"POST", "/silences",
       R"({"matchers":[{"name":"a b","value":"b","isRegex":false}],"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"x","comment":"c"})",
       400, "invalid label matcher 0"},
      {"POST", "/silences",
       R"({"matchers":[{"name":"a","value":"(","isRegex":true}],"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"x","comment":"c"})",
       400, "invalid regular expression"},
      {"POST", "/silences",
       R"({"id":"0b1a4d3c-2a9e-4c3a-9a1e-2b1a4d3c2a9e","matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"x","comment":"c"})",
       404, "silence not found"},
      {"POST", "/silences",
       R"({"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"x"})",
       422, "comment in body is required"},
      {"GET", "/silence/nope", "", 422, "must be of type uuid"},
      {"GET", "/silence/0b1a4d3c-2a9e-4c3a-9a1e-2b1a4d3c2a9e", "", 404, ""},
      {"DELETE", "/silence/0b1a4d3c-2a9e-4c3a-9a1e-2b1a4d3c2a9e", "", 404, ""},
      {"GET", "/history?limit=x", "", 400, "invalid limit"},
  };
  for (const auto& c : cases) {
    auto r = Call(c.method, u + c.path, c.body);
    EXPECT_EQ(r.status, c.code) << c.method << " " << c.path << " " << c.body << " -> " << r.body;
    EXPECT_NE(r.body.find(c.contains), std::string::npos) << c.method << " " << c.path << " -> " << r.body;
    if (!r.body.empty()) EXPECT_FALSE(json::parse(r.body, nullptr, false).is_discarded()) << r.body;
  }
  // Random bytes never crash it.
  std::string junk;
  for (int i = 0; i < 2000; ++i) junk += static_cast<char>((i * 7919) % 256);
  for (const char* p : {"/alerts", "/silences"}) EXPECT_EQ(Call("POST", u + p, junk).status, 400);
  EXPECT_EQ(Call("GET", u + "/status").status, 200);
}

TEST(Api, StatusReceiversSilenceLifecycle) {
  Webhook wh;
  AmServer am(BasicConf(wh.url()));
  json st = am.GetJson("/api/v2/status");
  EXPECT_EQ(st["cluster"]["status"], "disabled");
  EXPECT_NE(st["config"]["original"].get<std::string>().find("receiver: default"), std::string::npos);
  EXPECT_TRUE(st["versionInfo"].contains("version"));
  EXPECT_TRUE(st.contains("uptime"));
  EXPECT_EQ(am.GetJson("/api/v2/receivers"), json::parse(R"([{"name":"default"},{"name":"ops"}])"));

  // Update in place keeps the id; a matcher change expires the old one and makes a new id.
  std::string id = am.SetSilence(json::array({{{"name", "a"}, {"value", "b"}, {"isRegex", false}}}), -1, 100);
  json s = am.GetJson("/api/v2/silence/" + id);
  s["endsAt"] = FormatRfc3339Ms(NowMs() + 200000);
  s.erase("status");
  s.erase("updatedAt");
  auto r = Call("POST", am.url() + "/api/v2/silences", s.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["silenceID"], id);
  s["matchers"][0]["value"] = "c";
  r = Call("POST", am.url() + "/api/v2/silences", s.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  std::string id2 = json::parse(r.body)["silenceID"];
  EXPECT_NE(id2, id);
  EXPECT_EQ(am.GetJson("/api/v2/silence/" + id)["status"]["state"], "expired");
  // Filter by an equivalent matcher; expire; expired silences stay listed, last.
  EXPECT_EQ(am.GetJson("/api/v2/silences?filter=a%3Dc").size(), 1u);
  am.DelSilence(id2);
  json all = am.GetJson("/api/v2/silences");
  ASSERT_EQ(all.size(), 2u);
  for (const auto& x : all) EXPECT_EQ(x["status"]["state"], "expired");
  EXPECT_EQ(Call("DELETE", am.url() + "/api/v2/silence/" + id2).status, 500);
}

TEST(Api, ReloadKeepsOldConfigOnError) {
  Webhook wh;
  AmServer am(BasicConf(wh.url()));
  am.WriteConfig("route:\n  receiver: nope\nreceivers:\n- name: default\n");
  auto r = Call("POST", am.url() + "/-/reload");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("undefined receiver \"nope\" used in route"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("am.yml:2"), std::string::npos) << r.body;
  EXPECT_EQ(am.GetJson("/api/v2/receivers").size(), 2u);  // old config still serves
  am.WriteConfig("route:\n  receiver: only\nreceivers:\n- name: only\n");
  EXPECT_EQ(Call("POST", am.url() + "/-/reload").status, 200);
  EXPECT_EQ(am.GetJson("/api/v2/receivers"), json::parse(R"([{"name":"only"}])"));
}

TEST(Api, HistoryTestReceiverAndUi) {
  Webhook wh;
  AmServer am(BasicConf(wh.url()));
  am.Push({A({{"alertname", "Xss"}, {"evil", "<script>alert(1)</script>"}}).Annotate("summary", "<b>bold</b>")});
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  ASSERT_EQ(wh.batches().size(), 1u);
  json h = am.GetJson("/api/v2/history?alertname=Xss");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0]["receiver"], "default");
  EXPECT_EQ(h[0]["ok"], true);
  EXPECT_EQ(h[0]["httpStatus"], 200);
  EXPECT_EQ(json::parse(h[0]["payload"].get<std::string>())["version"], "4");
  EXPECT_EQ(am.GetJson("/api/v2/history?receiver=ops").size(), 0u);
  EXPECT_EQ(am.GetJson("/api/v2/history?alertname=Other").size(), 0u);

  // The UI button's endpoint and the CLI both go through the real receiver.
  auto r = Call("POST", am.url() + "/api/v2/receivers/test?receiver=default");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["results"][0]["ok"], true);
  EXPECT_EQ(Call("POST", am.url() + "/api/v2/receivers/test?receiver=missing").status, 404);
  std::string out;
  int rc = testutil::RunCommand(testutil::SremonBin() + " alertmanager test-receiver default --config.file=" +
                                    am.dir().File("am.yml"),
                                &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("SremonTestAlert"), std::string::npos) << out;
  EXPECT_NE(out.find("<-- OK (status 200)"), std::string::npos) << out;
  ASSERT_EQ(wh.batches().size(), 3u);
  EXPECT_EQ(wh.batches()[2].payload["alerts"][0]["labels"]["alertname"], "SremonTestAlert");
  EXPECT_EQ(am.GetJson("/api/v2/history?alertname=SremonTestAlert")[0]["test"], true);

  for (const char* page : {"/", "/silences", "/silences/new", "/history", "/status"}) {
    auto p = http::Get(am.url() + page);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->status, 200) << page;
    EXPECT_EQ(p->body.find("<script>alert(1)"), std::string::npos) << page;
  }
  auto home = http::Get(am.url() + "/");
  EXPECT_NE(home->body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(home->body.find("&lt;b&gt;bold&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(http::Get(am.url() + "/history")->body.find("Xss"), std::string::npos);
  auto pm = http::Get(am.url() + "/ui/parse-matchers?matchers=" + http::UrlEncode("a=\"b\", c=~\"d|e\""));
  EXPECT_EQ(json::parse(pm->body)[1]["isRegex"], true);
}

// Regression: a receiver name went into the status page's onclick script escaped for HTML only
// (the browser decodes &#39; before running it), and /ui/parse-matchers answered an error with a
// quote in it as invalid JSON. Inline handlers now hold only constant calls.
TEST(Api, UiKeepsValuesOutOfScriptsAndAnswersValidJson) {
  Webhook wh;
  AmServer am(fmt::format("route: {{receiver: \"x');alert('1\"}}\nreceivers:\n- name: \"x');alert('1\"\n"
                          "  webhook_configs: [{{url: '{}'}}]\n",
                          wh.url()));
  std::string status = http::Get(am.url() + "/status")->body;
  EXPECT_NE(status.find("x&#39;);alert(&#39;1"), std::string::npos) << status;
  const std::string handler = "onclick=\"";
  for (size_t at = status.find(handler); at != std::string::npos; at = status.find(handler, at + 1)) {
    size_t end = status.find('"', at + handler.size());
    EXPECT_EQ(status.substr(at, end - at + 1), "onclick=\"testReceiver(this.dataset.receiver)\"");
  }
  auto pm = http::Get(am.url() + "/ui/parse-matchers?matchers=" + http::UrlEncode("a\""));
  EXPECT_EQ(pm->status, 400);
  EXPECT_EQ(json::parse(pm->body, nullptr, false), "bad matcher format: a\"") << pm->body;
}

TEST(Api, EmailAndSlackReceivers) {
  testutil::SmtpServer smtp({});  // plain SMTP, accepts everything
  std::mutex mu;
  std::vector<json> slack_msgs;
  http::ServerOptions so;
  so.listen_addr = "127.0.0.1:0";
  http::Server slack(so);
  slack.Route("POST", "/slack", [&](http::Request& req, http::Response& resp) {
    std::lock_guard lock(mu);
    slack_msgs.push_back(json::parse(req.body, nullptr, false));
    resp.SetText(200, "ok");
  });
  ASSERT_TRUE(slack.Start().ok());
  testutil::TempDir tdir;
  testutil::WriteFile(tdir.File("custom.tmpl"), R"({{ define "my.text" }}{{ range .Alerts }}* {{ .Labels.alertname }}: {{ .Annotations.summary }}
{{ end }}{{ end }})");
  std::string conf = fmt::format(R"(
global:
  smtp_smarthost: 127.0.0.1:{}
  smtp_from: am@example.org
  smtp_require_tls: false
templates: ['{}']
route:
  receiver: mail
  group_by: [alertname]
  group_wait: 100ms
  routes:
  - matchers: [chan="slack"]
    receiver: chat
receivers:
- name: mail
  email_configs:
  - to: ops@example.org, Oncall <oncall@example.org>
    headers: {{Subject: 'Alert {{{{ .CommonLabels.alertname }}}}'}}
- name: chat
  slack_configs:
  - api_url: http://127.0.0.1:{}/slack
    channel: '#alerts'
    text: '{{{{ template "my.text" . }}}}'
)",
                                 smtp.port(), tdir.File("*.tmpl"), slack.port());
  AmServer am(conf);
  am.Push({A({{"alertname", "DiskFull"}, {"instance", "db1"}}).Annotate("summary", "disk 99%"),
           A({{"alertname", "Chat"}, {"chan", "slack"}}).Annotate("summary", "hello")});
  for (int i = 0; i < 40 && (smtp.data().empty() || slack_msgs.empty()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string mail = smtp.data();
  EXPECT_NE(mail.find("Subject: Alert DiskFull"), std::string::npos) << mail;
  EXPECT_NE(mail.find("To: ops@example.org, Oncall <oncall@example.org>"), std::string::npos) << mail;
  EXPECT_NE(mail.find("From: am@example.org"), std::string::npos) << mail;
  EXPECT_NE(mail.find("[1] Firing"), std::string::npos) << mail;
  EXPECT_NE(mail.find("instance = db1"), std::string::npos) << mail;
  EXPECT_NE(smtp.transcript().find("RCPT TO:<oncall@example.org>"), std::string::npos) << smtp.transcript();
  std::lock_guard lock(mu);
  ASSERT_EQ(slack_msgs.size(), 1u);
  const json& m = slack_msgs[0];
  EXPECT_EQ(m["channel"], "#alerts");
  EXPECT_EQ(m["username"], "Alertmanager");
  EXPECT_EQ(m["attachments"][0]["title"], "[FIRING:1] Chat (slack)");
  EXPECT_EQ(m["attachments"][0]["color"], "danger");
  EXPECT_EQ(m["attachments"][0]["text"], "* Chat: hello\n");
  slack.Stop(std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace sremon::amtest
