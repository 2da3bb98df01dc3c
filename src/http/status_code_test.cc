#include "http/status_code.h"

#include <gtest/gtest.h>

namespace sremon::http {
namespace {

TEST(HttpStatusFor, OneMappingWithOverrides) {
  auto check = [](const Status& st, int want) { EXPECT_EQ(HttpStatusFor(st), want) << st.ToString(); };
  check(Status::Ok(), 200);
  check(Status::InvalidArgument("x"), 400);
  check(Status::NotFound("x"), 404);
  check(Status::AlreadyExists("x"), 409);
  check(Status::ResourceExhausted("x"), 413);
  check(Status::Execution("x"), 422);
  check(Status::Unavailable("x"), 503);
  check(Status::Timeout("x"), 503);
  check(Status::IOError("x"), 500);
  check(Status::Internal("x"), 500);
  // Per-API overrides win; other codes keep the common mapping.
  EXPECT_EQ(HttpStatusFor(Status::AlreadyExists("x"), {{Status::Code::kAlreadyExists, 412}}), 412);
  EXPECT_EQ(HttpStatusFor(Status::IOError("x"), {{Status::Code::kIOError, 503}}), 503);
  EXPECT_EQ(HttpStatusFor(Status::NotFound("x"), {{Status::Code::kIOError, 503}}), 404);
}

}  // namespace
}  // namespace sremon::http
