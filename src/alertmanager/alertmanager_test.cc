#include <gtest/gtest.h>

#include "alertmanager/alert.h"
#include "alertmanager/config.h"
#include "alertmanager/matchers.h"

namespace sremon::alertmanager {
namespace {

TEST(Fingerprint, MatchesUpstream) {
  EXPECT_EQ(FingerprintString(Fingerprint(model::Labels{})), "cbf29ce484222325");
}

}  // namespace
}  // namespace sremon::alertmanager
