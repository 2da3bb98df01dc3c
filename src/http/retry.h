// The one retry policy of the stack's outgoing requests (alerts to Alertmanager, remote_write,
// webhooks), the one retry loop (Retry: the alertmanager's notifications, whose integrations are
// not all HTTP) and the fetch-with-retry built on it (rules' notifier and remote_write, the
// storage's remote_write queue).
// Thread-safety: RetryPolicy is a value; a Backoff belongs to one loop; Retry and FetchWithRetry
// are reentrant.
#pragma once

#include <chrono>
#include <functional>

#include "http/http.h"

namespace sremon::http {

struct RetryPolicy {
  std::chrono::milliseconds initial_backoff{200};  // the wait after the first failure
  std::chrono::milliseconds max_backoff{5000};     // waits grow to this and stay there
  double multiplier = 2;                           // each wait is the last one times this
  double jitter = 0;          // each wait is drawn from [w*(1-jitter), w*(1+jitter)]
  int max_attempts = 0;       // attempts in all; 0 = no limit (the caller's sleep decides)
  bool retry_too_many_requests = true;  // 429 is worth another attempt (upstream Alertmanager: no)

  // 2xx.
  static bool Succeeded(const Result<ClientResponse>& r) { return r.ok() && r->status / 100 == 2; }
  // Worth another attempt: no answer, a 5xx, or a 429 when retry_too_many_requests. Any other
  // 4xx will not get better by retrying.
  bool Retryable(const Result<ClientResponse>& r) const;
};

// The waits of one retry loop: initial_backoff, then times multiplier up to max_backoff.
class Backoff {
 public:
  explicit Backoff(const RetryPolicy& policy) : policy_(policy), next_(policy.initial_backoff) {}
  // The wait before the next attempt (with jitter); grows the one after.
  std::chrono::milliseconds Next();
  // After a success: the next failure waits initial_backoff again.
  void Reset() { next_ = policy_.initial_backoff; }

 private:
  RetryPolicy policy_;
  std::chrono::duration<double, std::milli> next_;
};

// Waits d unless the caller is stopping; false = stop retrying now.
using RetrySleep = std::function<bool(std::chrono::milliseconds d)>;

// Calls attempt(n) (n = 1, 2, ...) until it returns true (done: it succeeded, or failed in a way
// another attempt will not mend), policy.max_attempts are made or sleep returns false, sleeping
// the policy's backoff between attempts. True when an attempt ended the loop.
bool Retry(const RetryPolicy& policy, const std::function<bool(int attempt)>& attempt, const RetrySleep& sleep);

// Called after each failed attempt (1-based) with its answer, before any wait: logs, metrics.
using RetryObserver = std::function<void(int attempt, const Result<ClientResponse>& answer)>;

// Fetches request until it answers 2xx, the answer is not Retryable, max_attempts are made or
// sleep returns false; returns the last answer (a transport error as its Status).
Result<ClientResponse> FetchWithRetry(const ClientRequest& request, const RetryPolicy& policy, const RetrySleep& sleep,
                                      const RetryObserver& on_failure = nullptr);

}  // namespace sremon::http
