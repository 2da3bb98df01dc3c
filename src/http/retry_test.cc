#include "http/retry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace sremon::http {
namespace {

using std::chrono::milliseconds;

TEST(RetryPolicy, BackoffGrowsToItsCapAndResets) {
  RetryPolicy p;
  p.initial_backoff = milliseconds(200);
  p.max_backoff = milliseconds(1000);
  Backoff b(p);
  std::vector<int64_t> got;
  for (int i = 0; i < 5; ++i) got.push_back(b.Next().count());
  EXPECT_EQ(got, (std::vector<int64_t>{200, 400, 800, 1000, 1000}));
  b.Reset();
  EXPECT_EQ(b.Next().count(), 200);
}

TEST(RetryPolicy, JitterStaysWithinItsFraction) {
  RetryPolicy p;
  p.initial_backoff = milliseconds(500);
  p.max_backoff = milliseconds(60000);
  p.multiplier = 1.5;
  p.jitter = 0.5;
  Backoff b(p);
  double base = 500;
  for (int i = 0; i < 20; ++i) {
    int64_t w = b.Next().count();
    EXPECT_GE(w, static_cast<int64_t>(base * 0.5) - 1) << i;
    EXPECT_LE(w, static_cast<int64_t>(base * 1.5) + 1) << i;
    base = std::min(base * 1.5, 60000.0);
  }
}

TEST(RetryPolicy, RetryableAnswers) {
  auto answer = [](int status) { return Result<ClientResponse>(ClientResponse{status, {}, ""}); };
  RetryPolicy p;
  EXPECT_TRUE(p.Retryable(Status::Unavailable("connection refused")));
  EXPECT_TRUE(p.Retryable(answer(500)));
  EXPECT_TRUE(p.Retryable(answer(503)));
  EXPECT_TRUE(p.Retryable(answer(429)));
  EXPECT_FALSE(p.Retryable(answer(400)));
  EXPECT_FALSE(p.Retryable(answer(404)));
  p.retry_too_many_requests = false;
  EXPECT_FALSE(p.Retryable(answer(429)));
  EXPECT_TRUE(RetryPolicy::Succeeded(answer(204)));
  EXPECT_FALSE(RetryPolicy::Succeeded(answer(500)));
}

// A real server that fails the first `failures` requests with `status`, then answers 200.
class FetchWithRetryTest : public ::testing::Test {
 protected:
  void Start(int failures, int status) {
    ServerOptions o;
    o.listen_addr = "127.0.0.1:0";
    server_ = std::make_unique<Server>(o);
    server_->Route("POST", "/write", [this, failures, status](Request&, Response& r) {
      int n = ++requests_;
      r.SetText(n <= failures ? status : 200, n <= failures ? "no" : "ok");
    });
    ASSERT_TRUE(server_->Start().ok());
    request_.method = "POST";
    request_.url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/write";
    request_.body = "x";
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  // Records the waits instead of sleeping.
  RetrySleep Record(bool keep_going = true) {
    return [this, keep_going](milliseconds d) {
      waits_.push_back(d.count());
      return keep_going;
    };
  }

  std::unique_ptr<Server> server_;
  ClientRequest request_;
  std::atomic<int> requests_{0};
  std::vector<int64_t> waits_;
};

TEST_F(FetchWithRetryTest, RetriesUntilAccepted) {
  Start(2, 503);
  std::vector<int> failed;
  auto r = FetchWithRetry(request_, RetryPolicy{}, Record(),
                          [&](int attempt, const Result<ClientResponse>& a) {
                            EXPECT_TRUE(a.ok());
                            EXPECT_EQ(a->status, 503);
                            failed.push_back(attempt);
                          });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(requests_.load(), 3);
  EXPECT_EQ(failed, (std::vector<int>{1, 2}));
  EXPECT_EQ(waits_, (std::vector<int64_t>{200, 400}));
}

TEST_F(FetchWithRetryTest, StopsAtMaxAttemptsWithoutWaitingAfterTheLast) {
  Start(100, 500);
  RetryPolicy p;
  p.max_attempts = 3;
  auto r = FetchWithRetry(request_, p, Record());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(requests_.load(), 3);
  EXPECT_EQ(waits_.size(), 2u);
}

TEST_F(FetchWithRetryTest, ClientErrorIsNotRetried) {
  Start(100, 400);
  auto r = FetchWithRetry(request_, RetryPolicy{}, Record());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(requests_.load(), 1);
  EXPECT_TRUE(waits_.empty());
}

TEST_F(FetchWithRetryTest, StopsWhenSleepSaysSo) {
  Start(100, 503);
  auto r = FetchWithRetry(request_, RetryPolicy{}, Record(/*keep_going=*/false));
  EXPECT_EQ(requests_.load(), 1);
  EXPECT_EQ(waits_.size(), 1u);
}

}  // namespace
}  // namespace sremon::http
