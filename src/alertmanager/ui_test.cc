// The UI's pages rendered on their own with a hostile value in every field a client, an alert
// sender or the config can set: each must come out escaped (and be shown: counted), no markup
// may leak, and no script handler may carry a value.
#include "alertmanager/ui.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

namespace sremon::alertmanager {
namespace {

constexpr const char* kEvil = "<i>'\"&x";
constexpr const char* kEvilEscaped = "&lt;i&gt;&#39;&quot;&amp;x";

size_t Count(const std::string& page, const std::string& what) {
  size_t n = 0;
  for (size_t at = page.find(what); at != std::string::npos; at = page.find(what, at + 1)) ++n;
  return n;
}

// No markup from values, and inline handlers only the page's own constant calls.
void ExpectNoLeak(const std::string& page, size_t escaped_at_least) {
  EXPECT_EQ(page.find("<i>"), std::string::npos) << page;
  EXPECT_GE(Count(page, kEvilEscaped), escaped_at_least) << page;
  std::regex handler(R"re(\son[a-z]+="([^"]*)")re");
  for (std::sregex_iterator it(page.begin(), page.end(), handler), end; it != end; ++it) {
    std::string code = (*it)[1];
    EXPECT_TRUE(code == "expire(this.dataset.id)" || code == "testReceiver(this.dataset.receiver)") << code;
  }
}

TEST(Ui, AlertsPageEscapesLabelsAnnotationsAndReceiver) {
  Alert a;
  a.labels = model::Labels{{"alertname", kEvil}, {"job", "j"}};
  a.annotations = {{kEvil, kEvil}};
  a.starts_at = 1000;
  ui::AlertGroupRows g{kEvil, model::Labels{{"alertname", kEvil}}, {{a, true}}};
  std::string page = ui::AlertsPage({g, ui::AlertGroupRows{"empty", {}, {}}});
  ExpectNoLeak(page, 5);  // receiver, group label, alert label, annotation name and value
  EXPECT_EQ(Count(page, kEvilEscaped), 5u);
  EXPECT_NE(page.find("<span class=suppressed>suppressed</span>"), std::string::npos);
  EXPECT_EQ(page.find("empty"), std::string::npos);  // groups without alerts are left out
  // The silence link carries the labels as matchers, URL-encoded.
  EXPECT_NE(page.find("/silences/new?matchers=alertname%3D%22%3Ci%3E%27%5C%22%26x%22%2C%20job%3D%22j%22"),
            std::string::npos)
      << page;
  EXPECT_NE(ui::AlertsPage({}).find("No firing alerts."), std::string::npos);
}

TEST(Ui, SilencePagesEscapeEveryField) {
  Silence s;
  s.id = kEvil;
  s.matchers = {*ParseMatcher("a=b")};
  s.starts_at = 1000;
  s.ends_at = 2000;
  s.created_by = kEvil;
  s.comment = kEvil;
  std::string list = ui::SilencesPage({s}, 1500);
  ExpectNoLeak(list, 3);  // data-id, created by, comment
  EXPECT_NE(list.find("/silences/new?id=%3Ci%3E%27%22%26x"), std::string::npos) << list;
  EXPECT_NE(list.find("<td>active</td>"), std::string::npos);
  EXPECT_EQ(Count(ui::SilencesPage({s}, 2000), "onclick="), 0u);  // no Expire button once expired

  std::string form = ui::SilenceFormPage({kEvil, kEvil, kEvil, kEvil, kEvil, kEvil});
  ExpectNoLeak(form, 6);
  EXPECT_EQ(Count(form, kEvilEscaped), 6u);
  EXPECT_NE(form.find("<h2>Edit silence</h2>"), std::string::npos);
  EXPECT_NE(ui::SilenceFormPage({}).find("<h2>New silence</h2>"), std::string::npos);
}

TEST(Ui, HistoryPageEscapesRecordsAndFilters) {
  HistoryRecord r;
  r.time = 1000;
  r.receiver = kEvil;
  r.integration = kEvil;
  r.status = kEvil;
  Alert a;
  a.labels = model::Labels{{"alertname", kEvil}};
  r.alerts = {a};
  r.payload = kEvil;
  r.payload_bytes = 100;
  HistoryAttempt failed;
  failed.error = kEvil;
  failed.http_status = 502;
  r.AddAttempt(failed);
  std::string page = ui::HistoryPage(kEvil, kEvil, {r});
  ExpectNoLeak(page, 9);  // 2 filters, receiver, integration, status twice, alert, error, payload
  EXPECT_EQ(Count(page, kEvilEscaped), 9u);
  EXPECT_NE(page.find(" (502) attempt 1"), std::string::npos) << page;
  EXPECT_NE(page.find("payload (first 7 of 100 bytes)"), std::string::npos) << page;
}

// Regression: the receiver name went into the onclick handler's script as a quoted string,
// escaped for HTML only; the browser decodes &#39; back before running it, so a name with a
// quote ran as code. The name is now a data attribute.
TEST(Ui, StatusPageKeepsReceiverNamesOutOfScript) {
  Config c;
  c.path = kEvil;
  Receiver r;
  r.name = kEvil;
  c.receivers = {r};
  c.route.receiver = kEvil;
  std::string page = ui::StatusPage(1000, c);
  ExpectNoLeak(page, 3);  // config path, receiver name, its data attribute (and the dump)
  EXPECT_NE(page.find("data-receiver=\"&lt;i&gt;&#39;&quot;&amp;x\""), std::string::npos) << page;
}

// Regression: a parse error was put between quotes unescaped, so a matcher text with a quote
// or a backslash answered invalid JSON and the form showed nothing.
TEST(Ui, ParseMatchersJson) {
  int status = 0;
  auto ok = nlohmann::json::parse(ui::ParseMatchersJson(R"(a="b", c!~"d\\.e")", &status));
  EXPECT_EQ(status, 200);
  EXPECT_EQ(ok.dump(), R"([{"isEqual":true,"isRegex":false,"name":"a","value":"b"},)"
                       R"({"isEqual":false,"isRegex":true,"name":"c","value":"d\\.e"}])");
  for (const char* bad : {"a\"", R"(x\"y)", "a=~("}) {
    std::string body = ui::ParseMatchersJson(bad, &status);
    EXPECT_EQ(status, 400) << bad;
    EXPECT_TRUE(nlohmann::json::parse(body, nullptr, false).is_string()) << bad << ": " << body;
  }
  EXPECT_EQ(nlohmann::json::parse(ui::ParseMatchersJson("a\"", &status)), "bad matcher format: a\"");
}

}  // namespace
}  // namespace sremon::alertmanager
