// -remoteWrite.url: forwards every stored sample to a remote_write receiver. Samples are
// batched in memory (up to max_batch_samples or flush_interval), each batch becomes one
// snappy+protobuf block file in an on-disk queue, and a sender thread posts the blocks in order,
// retrying with exponential backoff until the receiver accepts them. The queue survives
// restarts and is bounded by max_buffer_bytes (the oldest blocks are dropped past it, counted).
// Thread-safety: Push() from any thread; Start()/Stop() from the owner.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ingest/decode.h"
#include "model/labels.h"
#include "storage/storage.h"
#include "util/status.h"

namespace sremon::ingest {

struct RemoteWriterOptions {
  std::string url;
  std::string queue_dir;                      // created if missing
  uint64_t max_buffer_bytes = 1ull << 30;     // on-disk queue bound
  size_t max_batch_samples = 10000;
  int64_t flush_interval_ms = 1000;
  int64_t min_backoff_ms = 200;
  int64_t max_backoff_ms = 10000;
  int64_t send_timeout_ms = 30000;
};

class RemoteWriter {
 public:
  explicit RemoteWriter(RemoteWriterOptions options);
  ~RemoteWriter();

  // Creates the queue directory, picks up blocks left by a previous run, starts sending.
  Status Start();
  // Writes what is still in memory to the queue (so nothing is lost) and stops sending.
  void Stop();

  void Push(const model::Labels& labels, int64_t t_ms, double v);

  // Blocks in the on-disk queue and samples not yet written to it (for tests and /metrics).
  size_t QueuedBlocks() const;
  size_t PendingSamples() const;
  // The URL as logs and metric labels show it: without its password (http::RedactUrl).
  const std::string& url() const { return shown_url_; }

 private:
  void FlushLocked();
  void Run();
  bool SendOne(const std::string& path);

  const RemoteWriterOptions options_;
  const std::string shown_url_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<model::Labels, std::vector<model::Sample>> pending_;  // GUARDED_BY(mu_)
  size_t pending_samples_ = 0;                                   // GUARDED_BY(mu_)
  std::deque<std::pair<std::string, uint64_t>> blocks_;          // GUARDED_BY(mu_): path, bytes
  uint64_t queued_bytes_ = 0;                                    // GUARDED_BY(mu_)
  uint64_t next_seq_ = 1;                                        // GUARDED_BY(mu_)
  bool stop_ = false;                                            // GUARDED_BY(mu_)
  std::thread thread_;
};

// Stores through `base` and, after each successful Commit(), hands the batch to every writer:
// what the service gives the scraper and the write endpoints when -remoteWrite.url is set.
class ForwardingAppendable : public storage::Appendable {
 public:
  ForwardingAppendable(storage::Appendable* base, std::vector<RemoteWriter*> writers)
      : base_(base), writers_(std::move(writers)) {}
  std::unique_ptr<storage::Appender> NewAppender() override;

 private:
  storage::Appendable* base_;
  std::vector<RemoteWriter*> writers_;
};

}  // namespace sremon::ingest
