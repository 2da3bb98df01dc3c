#include "dashboards/auth.h"

#include <sodium.h>

#include "http/access.h"

#include <vector>

namespace sremon::dashboards {

Status InitCrypto() {
  if (sodium_init() < 0) return Status::Internal("cannot initialize libsodium");
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password, HashCost cost) {
  SREMON_RETURN_IF_ERROR(InitCrypto());
  unsigned long long ops = cost == HashCost::kInteractive ? crypto_pwhash_OPSLIMIT_INTERACTIVE
                                                          : crypto_pwhash_OPSLIMIT_MIN;
  size_t mem = cost == HashCost::kInteractive ? crypto_pwhash_MEMLIMIT_INTERACTIVE : crypto_pwhash_MEMLIMIT_MIN;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), ops, mem) != 0) {
    return Status::ResourceExhausted("cannot hash password: out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  if (!InitCrypto().ok()) return false;
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string h(hash);  // must be NUL-terminated
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

Result<std::string> DummyPasswordHash(HashCost cost) { return HashPassword(NewSessionToken(), cost); }

static std::string Hex(const unsigned char* p, size_t n) {
  std::string out(n * 2, '\0');
  sodium_bin2hex(out.data(), out.size() + 1, p, n);
  return out;
}

std::string NewSessionToken() {
  (void)InitCrypto();
  unsigned char buf[32];
  randombytes_buf(buf, sizeof(buf));
  return Hex(buf, sizeof(buf));
}

std::string TokenDigest(std::string_view token) {
  unsigned char out[crypto_generichash_BYTES];
  crypto_generichash(out, sizeof(out), reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     nullptr, 0);
  return Hex(out, sizeof(out));
}

std::string NewUid() {
  (void)InitCrypto();
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string uid(14, 'a');
  for (auto& c : uid) c = kAlphabet[randombytes_uniform(sizeof(kAlphabet) - 1)];
  return uid;
}

bool ParseBasicAuth(std::string_view header, std::string* user, std::string* password) {
  return http::ParseBasicAuth(header, user, password);
}

void LoginLimiter::Expire(std::deque<int64_t>& times, int64_t now_ms) const {
  while (!times.empty() && now_ms - times.front() > window_ms_) times.pop_front();
}

bool LoginLimiter::Blocked(const std::string& key, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  Expire(it->second, now_ms);
  if (it->second.empty()) {
    entries_.erase(it);
    return false;
  }
  return static_cast<int>(it->second.size()) >= max_failures_;
}

void LoginLimiter::RecordFailure(const std::string& key, int64_t now_ms) {
  std::lock_guard lock(mu_);
  // Bound memory under a flood of distinct keys: keys without a failure in the window go first.
  if (entries_.size() > 10000) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      Expire(it->second, now_ms);
      it = it->second.empty() ? entries_.erase(it) : std::next(it);
    }
  }
  auto& times = entries_[key];
  times.push_back(now_ms);
  while (static_cast<int>(times.size()) > max_failures_) times.pop_front();
}

void LoginLimiter::Reset(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

}  // namespace sremon::dashboards
