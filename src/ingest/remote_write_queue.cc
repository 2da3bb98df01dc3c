#include "ingest/remote_write_queue.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iterator>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/http.h"
#include "http/retry.h"
#include "obs/metrics.h"

namespace sremon::ingest {
namespace {

struct WriterMetrics {
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Counter>& dropped_bytes;
  prometheus::Family<prometheus::Gauge>& pending_bytes;
  prometheus::Family<prometheus::Counter>& samples_sent;
  prometheus::Family<prometheus::Counter>& queue_write_errors;
};

WriterMetrics& Metrics() {
  static WriterMetrics m{
      prometheus::BuildCounter()
          .Name("vmagent_remotewrite_requests_total")
          .Help("remote_write requests by receiver and status code (0 = no answer).")
          .Register(obs::Registry()),
      prometheus::BuildCounter()
          .Name("vmagent_remotewrite_dropped_bytes_total")
          .Help("Queued bytes dropped because the on-disk buffer was full or the receiver refused them.")
          .Register(obs::Registry()),
      prometheus::BuildGauge()
          .Name("vm_remotewrite_pending_bytes")
          .Help("Bytes waiting in the on-disk remote_write queue.")
          .Register(obs::Registry()),
      prometheus::BuildCounter()
          .Name("vmagent_remotewrite_samples_queued_total")
          .Help("Samples written to the remote_write queue.")
          .Register(obs::Registry()),
      prometheus::BuildCounter()
          .Name("sremon_remotewrite_queue_write_errors_total")
          .Help("Failed writes of a block to the on-disk remote_write queue (the block stays in memory).")
          .Register(obs::Registry()),
  };
  return m;
}

constexpr std::string_view kBlockSuffix = ".rwblock";
constexpr std::string_view kTmpSuffix = ".rwblock.tmp";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// True at most once per 10 s per `last`: an outage (receiver or disk) must not flood the log.
bool TimeToWarn(std::atomic<int64_t>* last) {
  int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  int64_t prev = last->load();
  return now_s - prev >= 10 && last->compare_exchange_strong(prev, now_s);
}

}  // namespace

RemoteWriteQueue::RemoteWriteQueue(RemoteWriteQueueOptions options)
    : options_(std::move(options)),
      env_(options_.env ? options_.env : Env::Default()),
      shown_url_(http::RedactUrl(options_.url)) {}

RemoteWriteQueue::~RemoteWriteQueue() { Stop(); }

Status RemoteWriteQueue::Start() {
  SREMON_RETURN_IF_ERROR(env_->CreateDirs(options_.queue_dir).WithContext("cannot create remote_write queue"));
  auto names = env_->ListDir(options_.queue_dir);
  if (!names.ok()) return names.status().WithContext("cannot read remote_write queue");
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const auto& name : *names) {
    std::string path = options_.queue_dir + "/" + name;
    if (EndsWith(name, kTmpSuffix)) {
      // A crash before the rename: the block was never queued, and may be torn.
      spdlog::warn("remote_write {}: removing {}, a block the previous run did not finish writing", shown_url_, path);
      if (Status st = env_->RemoveFile(path); !st.ok()) spdlog::warn("remote_write {}: {}", shown_url_, st.ToString());
    } else if (EndsWith(name, kBlockSuffix)) {
      found.emplace_back(std::strtoull(name.c_str(), nullptr, 10), path);
    }
  }
  std::sort(found.begin(), found.end());
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [seq, path] : found) {
      auto size = env_->FileSize(path);
      if (!size.ok()) return size.status().WithContext("cannot read remote_write queue");
      blocks_.push_back({path, *size, "", /*on_disk=*/true});
      queued_bytes_ += *size;
      next_seq_ = std::max(next_seq_, seq + 1);
    }
    stop_ = false;
  }
  if (!found.empty()) {
    spdlog::info("remote_write {}: resuming {} queued blocks from {}", shown_url_, found.size(), options_.queue_dir);
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void RemoteWriteQueue::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> l(mu_);
  FlushLocked();
  uint64_t lost = 0;
  for (const Block& b : blocks_) lost += b.on_disk ? 0 : b.bytes;
  if (lost > 0) {
    spdlog::error("remote_write {}: {} bytes of samples could not be written to the queue {} and are lost at exit",
                  shown_url_, lost, options_.queue_dir);
    Metrics().dropped_bytes.Add({{"url", shown_url_}}).Increment(static_cast<double>(lost));
  }
}

void RemoteWriteQueue::Push(const model::Labels& labels, int64_t t_ms, double v) {
  std::lock_guard<std::mutex> l(mu_);
  pending_[labels].push_back({t_ms, v});
  if (++pending_samples_ >= options_.max_batch_samples) {
    FlushLocked();
    cv_.notify_all();
  }
}

void RemoteWriteQueue::FlushLocked() {
  if (pending_samples_ == 0) return;
  std::vector<SeriesSamples> series;
  series.reserve(pending_.size());
  for (auto& [labels, samples] : pending_) series.push_back({labels, std::move(samples)});
  std::string block = EncodeRemoteWrite(series);
  Metrics().samples_sent.Add({{"url", shown_url_}}).Increment(static_cast<double>(pending_samples_));
  pending_.clear();
  pending_samples_ = 0;
  uint64_t bytes = block.size();
  blocks_.push_back({fmt::format("{}/{:020}{}", options_.queue_dir, next_seq_++, kBlockSuffix), bytes,
                     std::move(block), /*on_disk=*/false});
  queued_bytes_ += bytes;
  PersistLocked();
  size_t dropped = 0;
  while (queued_bytes_ > options_.max_buffer_bytes && blocks_.size() > 1) {
    Block old = std::move(blocks_.front());
    blocks_.pop_front();
    queued_bytes_ -= old.bytes;
    if (old.on_disk) RemoveBlockFile(old.path);
    Metrics().dropped_bytes.Add({{"url", shown_url_}}).Increment(static_cast<double>(old.bytes));
    ++dropped;
  }
  if (dropped > 0) {
    spdlog::warn("remote_write {}: on-disk buffer over {} bytes; dropped the {} oldest blocks", shown_url_,
                 options_.max_buffer_bytes, dropped);
  }
  Metrics().pending_bytes.Add({{"url", shown_url_}}).Set(static_cast<double>(queued_bytes_));
}

// A block is retried until the receiver takes it (no attempt limit), 200 ms doubling to 10 s by
// default, while the answer is Retryable (no answer, 5xx, 429); any other answer (3xx, 4xx) will
// not get better and would stop the queue for good, so Send drops the block.
static http::RetryPolicy SendRetryPolicy(const RemoteWriteQueueOptions& o) {
  http::RetryPolicy p;
  p.initial_backoff = std::chrono::milliseconds(o.min_backoff_ms);
  p.max_backoff = std::chrono::milliseconds(o.max_backoff_ms);
  return p;
}

// Writes the block to <path>.tmp, fsyncs it, renames it into place and fsyncs the directory:
// after a crash the queue holds whole blocks only.
Status RemoteWriteQueue::WriteBlock(const Block& b) {
  std::string tmp = b.path + ".tmp";
  auto f = env_->NewWritableFile(tmp, /*truncate=*/true);
  Status st = f.ok() ? (*f)->Append(b.data) : f.status();
  if (st.ok()) st = (*f)->Sync();
  if (st.ok()) st = (*f)->Close();
  if (st.ok()) st = env_->RenameFile(tmp, b.path);
  if (st.ok()) {
    st = env_->SyncDir(options_.queue_dir);
    if (st.ok()) return st;
    // Not durable, so not queued: the block stays in memory and is written again. Best effort:
    // a file left here is only a block sent twice after a restart.
    (void)env_->RemoveFile(b.path);
    return st;
  }
  // Best effort: a leftover tmp is truncated by the next attempt or removed at the next Start().
  if (env_->FileExists(tmp)) (void)env_->RemoveFile(tmp);
  return st;
}

// Writes the blocks held in memory to the queue, oldest first, stopping at the first failure so
// that the files stay in order. The blocks in memory are therefore always the newest ones.
void RemoteWriteQueue::PersistLocked() {
  static std::atomic<int64_t> last_warn_s{0};
  auto first = blocks_.end();
  while (first != blocks_.begin() && !std::prev(first)->on_disk) --first;
  for (auto it = first; it != blocks_.end(); ++it) {
    Block& b = *it;
    Status st = WriteBlock(b);
    if (!st.ok()) {
      Metrics().queue_write_errors.Add({{"url", shown_url_}}).Increment();
      if (TimeToWarn(&last_warn_s)) {
        spdlog::error("remote_write {}: cannot write a block to the queue: {}; keeping it in memory and retrying",
                      shown_url_, st.ToString());
      }
      return;
    }
    b.on_disk = true;
    b.data = std::string();
  }
}

void RemoteWriteQueue::RemoveBlockFile(const std::string& path) {
  if (Status st = env_->RemoveFile(path); !st.ok()) {
    spdlog::warn("remote_write {}: {}; the block will be sent again after a restart", shown_url_, st.ToString());
  }
}

bool RemoteWriteQueue::Send(const std::string& body, std::chrono::steady_clock::time_point* last_flush) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = options_.url;
  req.body = body;
  req.timeout = std::chrono::milliseconds(options_.send_timeout_ms);
  req.headers.Set("Content-Type", "application/x-protobuf");
  req.headers.Set("Content-Encoding", "snappy");
  req.headers.Set("X-Prometheus-Remote-Write-Version", "0.1.0");
  req.headers.Set("User-Agent", "sremon/storage");
  const http::RetryPolicy policy = SendRetryPolicy(options_);
  auto count = [this](const Result<http::ClientResponse>& resp) {
    std::string code = std::to_string(resp.ok() ? resp->status : 0);
    Metrics().requests.Add({{"url", shown_url_}, {"status_code", code}}).Increment();
  };
  auto on_failure = [&](int, const Result<http::ClientResponse>& resp) {
    count(resp);
    static std::atomic<int64_t> last_warn_s{0};
    if (policy.Retryable(resp) && TimeToWarn(&last_warn_s)) {
      spdlog::warn("remote_write {}: {}; retrying with backoff (blocks stay queued on disk)", shown_url_,
                   resp.ok() ? fmt::format("HTTP {}", resp->status) : resp.status().message());
    }
  };
  // Between attempts the queue keeps taking samples: batches due by the flush interval become
  // blocks and reach the disk while the receiver is away.
  auto sleep = [&](std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> l(mu_);
    if (cv_.wait_for(l, d, [this] { return stop_; })) return false;
    FlushIfDueLocked(last_flush);
    PersistLocked();
    return true;
  };
  auto resp = http::FetchWithRetry(req, policy, sleep, on_failure);
  if (http::RetryPolicy::Succeeded(resp)) {
    count(resp);
    return true;
  }
  if (!policy.Retryable(resp)) {
    // The receiver will never take this block: retrying would stop the queue for good.
    spdlog::error("remote_write {}: receiver refused a block with HTTP {}: {}; dropping it", shown_url_, resp->status,
                  resp->body.substr(0, 200));
    Metrics().dropped_bytes.Add({{"url", shown_url_}}).Increment(static_cast<double>(req.body.size()));
    return true;
  }
  return false;  // stopping: the block stays queued
}

void RemoteWriteQueue::FlushIfDueLocked(std::chrono::steady_clock::time_point* last_flush) {
  auto now = std::chrono::steady_clock::now();
  if (now - *last_flush >= std::chrono::milliseconds(options_.flush_interval_ms)) {
    FlushLocked();
    *last_flush = now;
  }
}

void RemoteWriteQueue::Run() {
  auto last_flush = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    FlushIfDueLocked(&last_flush);
    PersistLocked();  // retries the blocks a failed write left in memory
    if (blocks_.empty()) {
      cv_.wait_for(l, std::chrono::milliseconds(options_.flush_interval_ms));
      continue;
    }
    std::string path = blocks_.front().path;
    std::string body = blocks_.front().data;
    bool on_disk = blocks_.front().on_disk;
    uint64_t bytes = blocks_.front().bytes;
    l.unlock();
    Status read = on_disk ? env_->ReadFile(path, &body) : Status::Ok();
    bool sent = read.ok() && Send(body, &last_flush);
    l.lock();
    if (!read.ok()) {
      // A queue file that cannot be read now will not be readable later: skip it, or it would
      // stop the queue for good.
      spdlog::error("remote_write {}: {}; dropping the block", shown_url_, read.ToString());
      Metrics().dropped_bytes.Add({{"url", shown_url_}}).Increment(static_cast<double>(bytes));
      sent = true;
    }
    if (sent) {
      // The block may have been dropped meanwhile by the buffer bound; remove it if still first.
      if (!blocks_.empty() && blocks_.front().path == path) {
        queued_bytes_ -= blocks_.front().bytes;
        if (blocks_.front().on_disk) RemoveBlockFile(path);
        blocks_.pop_front();
      }
      Metrics().pending_bytes.Add({{"url", shown_url_}}).Set(static_cast<double>(queued_bytes_));
    }
  }
}

size_t RemoteWriteQueue::QueuedBlocks() const {
  std::lock_guard<std::mutex> l(mu_);
  return blocks_.size();
}

size_t RemoteWriteQueue::PendingSamples() const {
  std::lock_guard<std::mutex> l(mu_);
  return pending_samples_;
}

namespace {

class ForwardingAppender : public storage::Appender {
 public:
  ForwardingAppender(std::unique_ptr<storage::Appender> base, const std::vector<RemoteWriteQueue*>* writers)
      : base_(std::move(base)), writers_(writers) {}
  Status Append(const model::Labels& labels, int64_t t, double v) override {
    Status st = base_->Append(labels, t, v);
    if (st.ok()) batch_.push_back({labels, t, v});
    return st;
  }
  Status AppendWithRef(storage::SeriesRef* ref, const model::Labels& labels, int64_t t, double v) override {
    Status st = base_->AppendWithRef(ref, labels, t, v);
    if (st.ok()) batch_.push_back({labels, t, v});
    return st;
  }
  Status Commit() override {
    Status st = base_->Commit();
    if (st.ok()) {
      for (RemoteWriteQueue* w : *writers_) {
        for (const auto& r : batch_) w->Push(r.labels, r.t, r.v);
      }
    }
    batch_.clear();
    return st;
  }
  void Rollback() override {
    base_->Rollback();
    batch_.clear();
  }

 private:
  struct Rec {
    model::Labels labels;
    int64_t t;
    double v;
  };
  std::unique_ptr<storage::Appender> base_;
  const std::vector<RemoteWriteQueue*>* writers_;
  std::vector<Rec> batch_;
};

}  // namespace

std::unique_ptr<storage::Appender> ForwardingAppendable::NewAppender() {
  return std::make_unique<ForwardingAppender>(base_->NewAppender(), &writers_);
}

}  // namespace sremon::ingest
