// Passwords, session tokens and the login rate limiter of the dashboards service.
// Passwords are stored only as libsodium Argon2id strings (crypto_pwhash_str), which embed
// salt and cost, so the cost can be raised later without breaking old hashes.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "util/status.h"

namespace sremon::dashboards {

// Cost of Argon2id: kInteractive is libsodium's recommendation for logins; kMinimum exists so
// tests that create many users stay fast (never use it in the service).
enum class HashCost { kInteractive, kMinimum };

// Initializes libsodium once; safe to call from any thread.
Status InitCrypto();

Result<std::string> HashPassword(std::string_view password, HashCost cost = HashCost::kInteractive);
// False for a wrong password and for a malformed hash.
bool VerifyPassword(std::string_view hash, std::string_view password);
// The hash of a random password, for verifying logins of unknown users: the work (and time) of a
// wrong password is then the same whether or not the user exists.
Result<std::string> DummyPasswordHash(HashCost cost);

// A random session token (64 hex chars) for the cookie, and the digest kept in the database
// so a leaked database does not hand out live sessions.
std::string NewSessionToken();
std::string TokenDigest(std::string_view token);
// A random dashboard uid (Grafana uses 14 url-safe characters).
std::string NewUid();

// Decodes "Basic base64(user:password)"; false when the header is not basic auth.
bool ParseBasicAuth(std::string_view header, std::string* user, std::string* password);

// Grafana's brute-force protection: a key (login name, client address) with max_failures failed
// logins within the last window_ms is blocked, and stays blocked until the oldest of those
// failures is window_ms old (a sliding window over the failures, as Grafana counts its
// login_attempt rows). Failures count for unknown login names too.
// Thread-safety: all methods are safe to call concurrently.
class LoginLimiter {
 public:
  LoginLimiter(int max_failures, int64_t window_ms) : max_failures_(max_failures), window_ms_(window_ms) {}
  bool Blocked(const std::string& key, int64_t now_ms);
  void RecordFailure(const std::string& key, int64_t now_ms);
  void Reset(const std::string& key);

 private:
  // Drops the failures of e older than the window.
  void Expire(std::deque<int64_t>& times, int64_t now_ms) const;

  const int max_failures_;
  const int64_t window_ms_;
  std::mutex mu_;
  // The times of each key's most recent failures, oldest first; at most max_failures_ kept.
  std::map<std::string, std::deque<int64_t>> entries_;  // GUARDED_BY(mu_)
};

}  // namespace sremon::dashboards
