// -remoteWrite.url: forwards every stored sample to a remote_write receiver. Samples are
// batched in memory (up to max_batch_samples or flush_interval), each batch becomes one
// snappy+protobuf block file in an on-disk queue, and a sender thread posts the blocks in order
// (http::FetchWithRetry), retrying with exponential backoff while there is no answer, a 5xx or a
// 429; a block answered with any other 3xx/4xx is dropped and counted (Prometheus's remote write
// calls those unrecoverable), since it would otherwise stop the queue for good. The queue survives restarts and is bounded by
// max_buffer_bytes (the oldest blocks are dropped past it, counted).
// Durability: a block is queued once its file is written, fsynced and renamed into place (then
// the directory is fsynced), all through options.env. A block that cannot be written (disk full,
// failed fsync) stays in memory, still sent in order, and is written again at the next flush;
// the failure is logged and counted (sremon_remotewrite_queue_write_errors_total). A .tmp left
// by a crash before the rename is removed at Start(): its samples were never queued.
// Thread-safety: Push() from any thread; Start()/Stop() from the owner.
#pragma once

#include <chrono>
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
#include "util/env.h"
#include "util/status.h"

namespace sremon::ingest {

struct RemoteWriteQueueOptions {
  std::string url;
  std::string queue_dir;                      // created if missing
  uint64_t max_buffer_bytes = 1ull << 30;     // on-disk queue bound
  size_t max_batch_samples = 10000;
  int64_t flush_interval_ms = 1000;
  int64_t min_backoff_ms = 200;
  int64_t max_backoff_ms = 10000;
  int64_t send_timeout_ms = 30000;
  Env* env = nullptr;  // file layer; null = Env::Default() (tests inject faults through it)
};

class RemoteWriteQueue {
 public:
  explicit RemoteWriteQueue(RemoteWriteQueueOptions options);
  ~RemoteWriteQueue();

  // Creates the queue directory, picks up blocks left by a previous run, starts sending.
  Status Start();
  // Writes what is still in memory to the queue (so nothing is lost) and stops sending.
  void Stop();

  void Push(const model::Labels& labels, int64_t t_ms, double v);

  // Blocks queued (on disk, or in memory after a write error) and samples not yet in a block.
  size_t QueuedBlocks() const;
  size_t PendingSamples() const;
  // The URL as logs and metric labels show it: without its password (http::RedactUrl).
  const std::string& url() const { return shown_url_; }

 private:
  struct Block {
    std::string path;  // its queue file
    uint64_t bytes;
    std::string data;  // the body while it is not on disk (empty once written)
    bool on_disk;
  };
  void FlushLocked();
  Status WriteBlock(const Block& b);
  void PersistLocked();
  void RemoveBlockFile(const std::string& path);
  void FlushIfDueLocked(std::chrono::steady_clock::time_point* last_flush);
  void Run();
  // Posts one block until it is taken or refused for good (true: done with it) or Stop() is
  // called (false). Between attempts it flushes and persists what Push() gathered meanwhile.
  bool Send(const std::string& body, std::chrono::steady_clock::time_point* last_flush);

  const RemoteWriteQueueOptions options_;
  Env* const env_;
  const std::string shown_url_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<model::Labels, std::vector<model::Sample>> pending_;  // GUARDED_BY(mu_)
  size_t pending_samples_ = 0;                                   // GUARDED_BY(mu_)
  std::deque<Block> blocks_;                                     // GUARDED_BY(mu_): oldest first
  uint64_t queued_bytes_ = 0;                                    // GUARDED_BY(mu_)
  uint64_t next_seq_ = 1;                                        // GUARDED_BY(mu_)
  bool stop_ = false;                                            // GUARDED_BY(mu_)
  std::thread thread_;
};

// Stores through `base` and, after each successful Commit(), hands the batch to every writer:
// what the service gives the scraper and the write endpoints when -remoteWrite.url is set.
class ForwardingAppendable : public storage::Appendable {
 public:
  ForwardingAppendable(storage::Appendable* base, std::vector<RemoteWriteQueue*> writers)
      : base_(base), writers_(std::move(writers)) {}
  std::unique_ptr<storage::Appender> NewAppender() override;

 private:
  storage::Appendable* base_;
  std::vector<RemoteWriteQueue*> writers_;
};

}  // namespace sremon::ingest
