// `sremon alertmanager --check-config` and Debian's `amtool check-config` agree on every
// fixture in configs/: *.good.yml are accepted, *.bad.yml refused (ours naming file and line).
#include <filesystem>

#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace sremon {
namespace {

TEST(ConfigCheck, FixturesAgreeWithAmtool) {
  std::string dir = testutil::SourceDir() + "/tests/alertmanager/configs";
  bool have_amtool = testutil::Installed("amtool");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    bool good = name.ends_with(".good.yml");
    if (!good && !name.ends_with(".bad.yml")) continue;
    ++files;
    std::string out;
    int rc = testutil::RunCommand("cd " + dir + " && " + testutil::SremonBin() +
                                      " alertmanager --check-config --config.file=" + name,
                                  &out);
    EXPECT_EQ(rc, good ? 0 : 1) << name << ": " << out;
    if (!good) {
      // Messages name the file, and the line when the problem has one.
      EXPECT_NE(out.find(name), std::string::npos) << out;
      EXPECT_EQ(out.find("SUCCESS"), std::string::npos) << out;
    }
    if (have_amtool) {
      std::string am_out;
      int am_rc = testutil::RunCommand("cd " + dir + " && amtool check-config " + name, &am_out);
      EXPECT_EQ(am_rc == 0, good) << name << " (amtool disagrees): " << am_out;
    }
  }
  EXPECT_GE(files, 20);
  if (!have_amtool) GTEST_SKIP() << "amtool not installed: only our side was checked";
}

}  // namespace
}  // namespace sremon
