// Silences (Alertmanager silence package): create/update/expire with upstream's rules, query,
// match alerts, and persist every change to a Journal (fsync before a create is answered).
// Thread-safety: all methods are thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "alertmanager/alert.h"
#include "alertmanager/journal.h"
#include "alertmanager/matchers.h"
#include "model/labels.h"
#include "util/status.h"
#include "util/time.h"

namespace sremon::alertmanager {

struct Silence {
  std::string id;
  Matchers matchers;
  int64_t starts_at = 0, ends_at = 0, updated_at = 0;
  std::string created_by, comment;
};

enum class SilenceState { kActive, kPending, kExpired };
SilenceState StateOf(const Silence& s, int64_t now);
const char* SilenceStateName(SilenceState s);

class Silences {
 public:
  explicit Silences(Clock clock = NowMs) : clock_(std::move(clock)) {}
  // dir "" = in memory only. retention: expired silences are dropped that long after their end.
  Status Open(const std::string& dir, int64_t retention_ms);

  // At most max silences (expired ones included, as upstream counts them); <= 0 = no limit.
  void SetMaxSilences(int64_t max);
  // Creates or updates (upstream Silences.Set). Returns the id (new when it could not be updated
  // in place). NotFound when s.id is set but unknown; InvalidArgument "silence invalid: ...";
  // ResourceExhausted "exceeded maximum number of silences: N (limit: M)" when a new silence
  // (also one replacing another) would pass SetMaxSilences.
  Result<std::string> Set(Silence s);
  // NotFound, or InvalidArgument when already expired.
  Status Expire(const std::string& id);
  Result<Silence> Get(const std::string& id) const;
  std::vector<Silence> List() const;
  // Ids of the active silences muting these labels.
  std::vector<std::string> Mutes(const model::Labels& labels, int64_t now) const;
  // Drops expired silences past retention and compacts the journal.
  void Maintenance();

 private:
  Status Persist(const Silence& s, bool sync);

  const Clock clock_;
  mutable std::mutex mu_;
  std::map<std::string, Silence> silences_;  // GUARDED_BY(mu_)
  Journal journal_;                          // GUARDED_BY(mu_)
  int64_t retention_ms_ = 120 * 3600 * 1000LL;
  int64_t max_silences_ = 0;  // GUARDED_BY(mu_)
};

// Validates and builds a matcher from the API's {name, value, isRegex, isEqual}.
Result<model::Matcher> MatcherFromApi(const std::string& name, const std::string& value, bool is_regex,
                                      bool is_equal);
// Random RFC 4122 version 4 UUID.
std::string NewUuid();

}  // namespace sremon::alertmanager
