// One scrape target: fetches its page every scrape_interval (at a per-target offset so targets
// spread over the interval), parses it, applies honor_labels / metric relabeling / limits,
// appends samples, writes the report series (up, scrape_duration_seconds, ...) and staleness
// markers for series that disappeared or for everything when the target went down.
// Thread-safety: Start()/Stop() from the owner; Status()/Metadata() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "model/labels.h"
#include "scrape/config.h"
#include "scrape/targets.h"
#include "storage/storage.h"

namespace sremon::scrape {

// Where a failed scrape failed (shown on /targets).
struct ScrapeFailure {
  int64_t time_ms = 0;
  std::string phase;  // connect, timeout, HTTP status, parse, limit, storage
  std::string error;
  std::string excerpt;  // start of the body (or the offending line for parse errors)
};

struct TargetStatus {
  std::string health = "unknown";  // up, down, unknown
  std::string last_error;
  int64_t last_scrape_ms = 0;
  double last_duration_s = 0;
  uint64_t last_samples = 0;
  std::deque<ScrapeFailure> failures;  // newest first, at most kMaxFailures
};

class ScrapeLoop {
 public:
  static constexpr size_t kMaxFailures = 5;

  ScrapeLoop(std::shared_ptr<const ScrapeConfig> job, Target target, model::Labels external_labels,
             storage::Appendable* appendable);
  ~ScrapeLoop();

  // Starts the background thread: first scrape at the target's offset within the interval.
  void Start();
  // Asks the thread to stop without waiting (so many loops stop in parallel); then Stop().
  void SignalStop();
  // Stops the thread. With write_stale, appends staleness markers for every series of the
  // target, report series included (the target went away), as Prometheus does.
  void Stop(bool write_stale);

  // One scrape at time ts_ms (the loop calls this; tests call it directly).
  void ScrapeOnce(int64_t ts_ms);

  TargetStatus GetStatus() const;
  std::map<std::string, storage::MetricMetadata> Metadata() const;
  const Target& target() const { return target_; }
  const ScrapeConfig& job() const { return *job_; }
  // Offset of this target's scrapes within the interval (hash of its URL and labels).
  int64_t OffsetMs() const;

 private:
  struct CacheEntry {
    std::string_view text;  // the series text of the page: the cache key, owned by the map
    model::Labels labels;  // final labels; empty when metric relabeling dropped the series
    uint64_t last_seen = 0;  // scrape iteration
    uint64_t prev_seen = 0;  // the iteration before last_seen was set
    size_t order = 0;        // position in the page of the last successful scrape (page_order_)
  };

  void Run();
  void RecordFailure(int64_t ts_ms, double duration_s, std::string phase, std::string error, std::string_view body);
  void WriteStale(storage::Appender* app, int64_t ts_ms, bool all);
  void AppendReport(storage::Appender* app, int64_t ts_ms, double up, double duration_s, uint64_t scraped,
                    uint64_t post_relabel, uint64_t added);

  std::shared_ptr<const ScrapeConfig> job_;
  Target target_;
  model::Labels external_labels_;
  storage::Appendable* appendable_;
  std::string auth_header_;

  // Scrape state, touched only by the scraping thread (or a test calling ScrapeOnce).
  // Transparent hashing: the hot path looks the page's string_view up without allocating.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, CacheEntry, StringHash, std::equal_to<>> cache_;  // raw series text → labels
  // The entries in the order of the last successful scrape's page. A target lists its series
  // in the same order every time, so the entry after the last one matched is tried before the
  // hash table (whose cache misses were the scrape path's largest cost after the store's).
  std::vector<CacheEntry*> page_order_;
  uint64_t iteration_ = 0;

  mutable std::mutex mu_;
  TargetStatus status_;                                  // GUARDED_BY(mu_)
  std::map<std::string, storage::MetricMetadata> meta_;  // GUARDED_BY(mu_)

  std::mutex run_mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(run_mu_)
  std::thread thread_;
};

}  // namespace sremon::scrape
