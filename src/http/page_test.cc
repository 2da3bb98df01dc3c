#include "http/page.h"

#include <gtest/gtest.h>

namespace sremon::http {
namespace {

TEST(PageTest, ParseStackLinksKeepsOnlyNamedHttpUrls) {
  auto links = ParseStackLinks(" storage=http://127.0.0.1:8428, rules=https://r:8880,bad,=http://x,js=javascript:alert(1)");
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].label, "storage");
  EXPECT_EQ(links[0].url, "http://127.0.0.1:8428");
  EXPECT_EQ(links[1].label, "rules");
  EXPECT_EQ(links[1].url, "https://r:8880");
  EXPECT_TRUE(ParseStackLinks("").empty());
}

TEST(PageTest, PageStartEscapesEverythingItIsGiven) {
  std::string h = PageStart("inbox", "<script>x</script>", {{"a\"b", "/x?a=1&b=\"2\""}});
  EXPECT_EQ(h.find("<script>"), std::string::npos) << h;
  EXPECT_NE(h.find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos) << h;
  EXPECT_NE(h.find("href=\"/x?a=1&amp;b=&quot;2&quot;\""), std::string::npos) << h;
  EXPECT_NE(h.find("<b>sremon inbox</b>"), std::string::npos) << h;
  EXPECT_TRUE(h.ends_with("<main>"));
  EXPECT_EQ(PageEnd(), "</main></body></html>");
}

}  // namespace
}  // namespace sremon::http
