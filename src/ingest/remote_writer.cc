#include "ingest/remote_writer.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

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
  };
  return m;
}

constexpr const char* kBlockSuffix = ".rwblock";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

RemoteWriter::RemoteWriter(RemoteWriterOptions options)
    : options_(std::move(options)), shown_url_(http::RedactUrl(options_.url)) {}

RemoteWriter::~RemoteWriter() { Stop(); }

Status RemoteWriter::Start() {
  std::error_code ec;
  std::filesystem::create_directories(options_.queue_dir, ec);
  if (ec) {
    return Status::IOError(fmt::format("cannot create remote_write queue {}: {}", options_.queue_dir, ec.message()));
  }
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const auto& e : std::filesystem::directory_iterator(options_.queue_dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() <= strlen(kBlockSuffix) || name.substr(name.size() - strlen(kBlockSuffix)) != kBlockSuffix) continue;
    found.emplace_back(std::strtoull(name.c_str(), nullptr, 10), e.path().string());
  }
  std::sort(found.begin(), found.end());
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [seq, path] : found) {
      uint64_t size = std::filesystem::file_size(path, ec);
      blocks_.emplace_back(path, size);
      queued_bytes_ += size;
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

void RemoteWriter::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> l(mu_);
  FlushLocked();
}

void RemoteWriter::Push(const model::Labels& labels, int64_t t_ms, double v) {
  std::lock_guard<std::mutex> l(mu_);
  pending_[labels].push_back({t_ms, v});
  if (++pending_samples_ >= options_.max_batch_samples) {
    FlushLocked();
    cv_.notify_all();
  }
}

void RemoteWriter::FlushLocked() {
  if (pending_samples_ == 0) return;
  std::vector<SeriesSamples> series;
  series.reserve(pending_.size());
  for (auto& [labels, samples] : pending_) series.push_back({labels, std::move(samples)});
  std::string block = EncodeRemoteWrite(series);
  Metrics().samples_sent.Add({{"url", shown_url_}}).Increment(static_cast<double>(pending_samples_));
  pending_.clear();
  pending_samples_ = 0;
  std::string path = fmt::format("{}/{:020}{}", options_.queue_dir, next_seq_++, kBlockSuffix);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(block.data(), static_cast<std::streamsize>(block.size()));
    if (!out) {
      spdlog::error("remote_write {}: cannot write queue block {}: dropping {} bytes", shown_url_, tmp, block.size());
      Metrics().dropped_bytes.Add({{"url", shown_url_}}).Increment(static_cast<double>(block.size()));
      return;
    }
  }
  std::rename(tmp.c_str(), path.c_str());
  blocks_.emplace_back(path, block.size());
  queued_bytes_ += block.size();
  size_t dropped = 0;
  while (queued_bytes_ > options_.max_buffer_bytes && blocks_.size() > 1) {
    auto [old_path, old_size] = blocks_.front();
    blocks_.pop_front();
    queued_bytes_ -= old_size;
    std::remove(old_path.c_str());
    Metrics().dropped_bytes.Add({{"url", shown_url_}}).Increment(static_cast<double>(old_size));
    ++dropped;
  }
  if (dropped > 0) {
    spdlog::warn("remote_write {}: on-disk buffer over {} bytes; dropped the {} oldest blocks", shown_url_,
                 options_.max_buffer_bytes, dropped);
  }
  Metrics().pending_bytes.Add({{"url", shown_url_}}).Set(static_cast<double>(queued_bytes_));
}

// Blocks are retried until the receiver takes them (no attempt limit; SendOne drops a block only
// on a 4xx other than 429, and keeps retrying a 3xx), 200 ms doubling to 10 s by default.
static http::RetryPolicy SendRetryPolicy(const RemoteWriterOptions& o) {
  http::RetryPolicy p;
  p.initial_backoff = std::chrono::milliseconds(o.min_backoff_ms);
  p.max_backoff = std::chrono::milliseconds(o.max_backoff_ms);
  return p;
}

bool RemoteWriter::SendOne(const std::string& path) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = options_.url;
  req.body = ReadAll(path);
  req.timeout = std::chrono::milliseconds(options_.send_timeout_ms);
  req.headers.Set("Content-Type", "application/x-protobuf");
  req.headers.Set("Content-Encoding", "snappy");
  req.headers.Set("X-Prometheus-Remote-Write-Version", "0.1.0");
  req.headers.Set("User-Agent", "sremon/storage");
  auto resp = http::Fetch(req);
  int code = resp.ok() ? resp->status : 0;
  Metrics().requests.Add({{"url", shown_url_}, {"status_code", std::to_string(code)}}).Increment();
  if (http::RetryPolicy::Succeeded(resp)) return true;
  if (resp.ok() && code / 100 == 4 && code != 429) {
    // The receiver will never take this block: retrying would block the queue forever.
    spdlog::error("remote_write {}: receiver refused a block with HTTP {}: {}; dropping it", shown_url_, code,
                  resp->body.substr(0, 200));
    Metrics().dropped_bytes.Add({{"url", shown_url_}}).Increment(static_cast<double>(req.body.size()));
    return true;
  }
  // One line per 10 s at most: an outage must not flood the log.
  static std::atomic<int64_t> last_warn_s{0};
  int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  int64_t prev = last_warn_s.load();
  if (now_s - prev >= 10 && last_warn_s.compare_exchange_strong(prev, now_s)) {
    spdlog::warn("remote_write {}: {}; retrying with backoff (blocks stay queued on disk)", shown_url_,
                 resp.ok() ? fmt::format("HTTP {}", code) : resp.status().message());
  }
  return false;
}

void RemoteWriter::Run() {
  http::Backoff backoff(SendRetryPolicy(options_));
  auto last_flush = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_flush >= std::chrono::milliseconds(options_.flush_interval_ms)) {
      FlushLocked();
      last_flush = now;
    }
    if (blocks_.empty()) {
      cv_.wait_for(l, std::chrono::milliseconds(options_.flush_interval_ms));
      continue;
    }
    std::string path = blocks_.front().first;
    l.unlock();
    bool sent = SendOne(path);
    l.lock();
    if (sent) {
      // The block may have been dropped meanwhile by the buffer bound; remove it if still first.
      if (!blocks_.empty() && blocks_.front().first == path) {
        queued_bytes_ -= blocks_.front().second;
        blocks_.pop_front();
        std::remove(path.c_str());
      }
      Metrics().pending_bytes.Add({{"url", shown_url_}}).Set(static_cast<double>(queued_bytes_));
      backoff.Reset();
    } else {
      cv_.wait_for(l, backoff.Next(), [this] { return stop_; });
    }
  }
}

size_t RemoteWriter::QueuedBlocks() const {
  std::lock_guard<std::mutex> l(mu_);
  return blocks_.size();
}

size_t RemoteWriter::PendingSamples() const {
  std::lock_guard<std::mutex> l(mu_);
  return pending_samples_;
}

namespace {

class ForwardingAppender : public storage::Appender {
 public:
  ForwardingAppender(std::unique_ptr<storage::Appender> base, const std::vector<RemoteWriter*>* writers)
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
      for (RemoteWriter* w : *writers_) {
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
  const std::vector<RemoteWriter*>* writers_;
  std::vector<Rec> batch_;
};

}  // namespace

std::unique_ptr<storage::Appender> ForwardingAppendable::NewAppender() {
  return std::make_unique<ForwardingAppender>(base_->NewAppender(), &writers_);
}

}  // namespace sremon::ingest
