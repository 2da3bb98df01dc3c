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

Result<ClientResponse> FetchWithRetry(const ClientRequest& request, const RetryPolicy& policy, const RetrySleep& sleep,
                                      const RetryObserver& on_failure) {
  Backoff backoff(policy);
  for (int attempt = 1;; ++attempt) {
    auto resp = Fetch(request);
    if (RetryPolicy::Succeeded(resp)) return resp;
    if (on_failure) on_failure(attempt, resp);
    bool last = policy.max_attempts > 0 && attempt >= policy.max_attempts;
    if (last || !policy.Retryable(resp) || !sleep(backoff.Next())) return resp;
  }
}

}  // namespace sremon::http
