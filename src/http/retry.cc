#include "http/retry.h"

#include <algorithm>
#include <random>

namespace sremon::http {

bool RetryPolicy::Retryable(const Result<ClientResponse>& r) const {
  if (!r.ok()) return true;
  return r->status >= 500 || (r->status == 429 && retry_too_many_requests);
}

std::chrono::milliseconds Backoff::Next() {
  auto wait = next_;
  if (policy_.jitter > 0) {
    static thread_local std::mt19937 rng(std::random_device{}());
    wait *= std::uniform_real_distribution<double>(1 - policy_.jitter, 1 + policy_.jitter)(rng);
  }
  next_ = std::min<std::chrono::duration<double, std::milli>>(next_ * policy_.multiplier, policy_.max_backoff);
  return std::chrono::duration_cast<std::chrono::milliseconds>(wait);
}

bool Retry(const RetryPolicy& policy, const std::function<bool(int attempt)>& attempt, const RetrySleep& sleep) {
  Backoff backoff(policy);
  for (int n = 1;; ++n) {
    if (attempt(n)) return true;
    bool last = policy.max_attempts > 0 && n >= policy.max_attempts;
    if (last || !sleep(backoff.Next())) return false;
  }
}

Result<ClientResponse> FetchWithRetry(const ClientRequest& request, const RetryPolicy& policy, const RetrySleep& sleep,
                                      const RetryObserver& on_failure) {
  Result<ClientResponse> resp = Status::Internal("no attempt made");
  Retry(
      policy,
      [&](int attempt) {
        resp = Fetch(request);
        if (RetryPolicy::Succeeded(resp)) return true;
        if (on_failure) on_failure(attempt, resp);
        return !policy.Retryable(resp);
      },
      sleep);
  return resp;
}

}  // namespace sremon::http
