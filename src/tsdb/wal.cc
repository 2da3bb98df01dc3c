#include "tsdb/wal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "tsdb/coding.h"

namespace sremon::tsdb {
namespace {

constexpr size_t kHeaderBytes = 8;  // fixed32 length, fixed32 crc32c(length bytes + payload)
constexpr uint32_t kMaxRecordBytes = 256u << 20;

uint32_t RecordCrc(const char* len_bytes, std::string_view payload) {
  return Crc32c(payload.data(), payload.size(), Crc32c(len_bytes, 4));
}

// Segment numbers found in dir, ascending.
Result<std::vector<uint64_t>> ListSegments(Env* env, const std::string& dir) {
  auto names = env->ListDir(dir);
  if (!names.ok()) return names.status();
  std::vector<uint64_t> segs;
  for (const auto& n : *names) {
    if (n.size() != 12 || n.substr(8) != ".seg") continue;
    if (!std::all_of(n.begin(), n.begin() + 8, [](char c) { return c >= '0' && c <= '9'; })) continue;
    segs.push_back(std::stoull(n.substr(0, 8)));
  }
  std::sort(segs.begin(), segs.end());
  return segs;
}

}  // namespace

std::string Wal::SegmentPath(uint64_t seg) const { return fmt::format("{}/{:08d}.seg", dir_, seg); }

Status Wal::Replay(Env* env, const std::string& dir, const std::function<void(std::string_view)>& fn,
                   WalReplayStats* stats) {
  auto segs = ListSegments(env, dir);
  if (!segs.ok()) return segs.status();
  uint64_t total = 0;
  for (uint64_t s : *segs) {
    auto sz = env->FileSize(fmt::format("{}/{:08d}.seg", dir, s));
    if (sz.ok()) total += *sz;
  }
  auto start = std::chrono::steady_clock::now();
  auto last_log = start;
  for (uint64_t s : *segs) {
    std::string path = fmt::format("{}/{:08d}.seg", dir, s);
    std::string data;
    SREMON_RETURN_IF_ERROR(env->ReadFile(path, &data));
    size_t off = 0;
    std::string bad;
    while (off < data.size()) {
      if (data.size() - off < kHeaderBytes) {
        bad = "torn record header";
        break;
      }
      uint32_t len = DecodeFixed32(data.data() + off);
      uint32_t crc = DecodeFixed32(data.data() + off + 4);
      if (len == 0 || len > kMaxRecordBytes || data.size() - off - kHeaderBytes < len) {
        bad = len == 0 || len > kMaxRecordBytes ? fmt::format("bad record length {}", len) : "torn record";
        break;
      }
      std::string_view payload(data.data() + off + kHeaderBytes, len);
      if (RecordCrc(data.data() + off, payload) != crc) {
        bad = "checksum mismatch";
        break;
      }
      fn(payload);
      off += kHeaderBytes + len;
      if (stats && ++stats->records % 65536 == 0) {
        auto now = std::chrono::steady_clock::now();
        if (now - last_log > std::chrono::seconds(2)) {
          last_log = now;
          double secs = std::chrono::duration<double>(now - start).count();
          double done = (stats->bytes + off) / 1e6;
          spdlog::info("WAL replay: segment {} of {}, {:.1f} of {:.1f} MB, {:.1f} MB/s", s, segs->back(), done,
                       total / 1e6, done / secs);
        }
      }
    }
    if (!bad.empty()) {
      spdlog::warn("WAL segment {}: {} at offset {}; cutting the segment there ({} bytes dropped)", path, bad, off,
                   data.size() - off);
      auto f = env->NewWritableFile(path, /*truncate=*/false);
      Status st = f.ok() ? (*f)->Truncate(off) : f.status();
      if (st.ok()) st = (*f)->Sync();
      if (!st.ok()) spdlog::warn("cannot cut WAL segment {}: {}; the bad tail is skipped again at the next start", path, st.ToString());
      if (stats) stats->truncated_segments++;
    }
    if (stats) {
      stats->segments++;
      stats->bytes += off;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_log > std::chrono::seconds(2)) {
      last_log = now;
      double secs = std::chrono::duration<double>(now - start).count();
      spdlog::info("WAL replay: segment {} of {}, {:.1f} of {:.1f} MB, {:.1f} MB/s", s, segs->back(),
                   (stats ? stats->bytes : 0) / 1e6, total / 1e6, (stats ? stats->bytes : 0) / 1e6 / secs);
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<Wal>> Wal::Open(Env* env, const std::string& dir, uint64_t segment_bytes) {
  SREMON_RETURN_IF_ERROR(env->CreateDir(dir));
  auto segs = ListSegments(env, dir);
  if (!segs.ok()) return segs.status();
  std::unique_ptr<Wal> wal(new Wal(env, dir, segment_bytes));
  MutexLock l(&wal->mu_);  // no other thread sees it yet; taken for the analysis's sake
  uint64_t next = segs->empty() ? 1 : segs->back() + 1;
  wal->first_seg_ = segs->empty() ? next : segs->front();
  for (uint64_t s : *segs) {
    auto sz = env->FileSize(wal->SegmentPath(s));
    if (sz.ok()) wal->closed_bytes_ += *sz;
  }
  SREMON_RETURN_IF_ERROR(wal->OpenSegmentLocked(next));
  return wal;
}

// A destructor cannot report: owners that need the result call Close() first.
Wal::~Wal() { (void)Close(); }

Status Wal::OpenSegmentLocked(uint64_t seg) {
  auto f = env_->NewWritableFile(SegmentPath(seg), /*truncate=*/true);
  if (!f.ok()) return f.status();
  SREMON_RETURN_IF_ERROR(env_->SyncDir(dir_));
  file_ = std::shared_ptr<WritableFile>(std::move(*f));
  seg_ = seg;
  return Status::Ok();
}

Status Wal::Append(std::string_view payload) {
  MutexLock l(&mu_);
  if (!file_ || file_->Size() >= segment_bytes_) {
    // No segment after an earlier failure, or the segment is full: start the next one.
    if (file_) {
      Status st = file_->Sync();
      if (!st.ok()) return st.WithContext("cannot write WAL");
      closed_bytes_ += file_->Size();
      file_.reset();
    }
    Status st = OpenSegmentLocked(seg_ + 1);
    if (!st.ok()) return st.WithContext("cannot write WAL");
  }
  buf_.clear();
  PutFixed32(&buf_, static_cast<uint32_t>(payload.size()));
  PutFixed32(&buf_, RecordCrc(buf_.data(), payload));
  buf_.append(payload);
  uint64_t before = file_->Size();
  Status st = file_->Append(buf_);
  if (!st.ok()) {
    // Undo the partial record so later records are not hidden behind a torn one. If even that
    // fails, abandon the segment: replay cuts its tail and continues with the next segment.
    Status tst = file_->Truncate(before);
    if (!tst.ok()) {
      spdlog::error("cannot cut partial WAL record in segment {}: {}", seg_, tst.ToString());
      closed_bytes_ += file_->Size();
      file_.reset();
    }
    return st.WithContext("cannot write WAL");
  }
  dirty_ = true;
  return Status::Ok();
}

Status Wal::Sync() {
  MutexLock sl(&sync_mu_);
  std::shared_ptr<WritableFile> f;
  {
    MutexLock l(&mu_);
    if (!dirty_ || !file_) return Status::Ok();
    dirty_ = false;
    f = file_;
  }
  Status st = f->Sync();
  if (!st.ok()) {
    MutexLock l(&mu_);
    dirty_ = true;
  }
  return st;
}

Result<uint64_t> Wal::Rotate() {
  MutexLock sl(&sync_mu_);
  MutexLock l(&mu_);
  if (file_) {
    SREMON_RETURN_IF_ERROR(file_->Sync());
    closed_bytes_ += file_->Size();
    file_.reset();
  }
  dirty_ = false;
  SREMON_RETURN_IF_ERROR(OpenSegmentLocked(seg_ + 1));
  return seg_;
}

Status Wal::RemoveBefore(uint64_t seg) {
  MutexLock l(&mu_);
  for (uint64_t s = first_seg_; s < seg && s < seg_; s++) {
    std::string path = SegmentPath(s);
    auto sz = env_->FileSize(path);
    SREMON_RETURN_IF_ERROR(env_->RemoveFile(path));
    if (sz.ok()) closed_bytes_ -= std::min(closed_bytes_, *sz);
    first_seg_ = s + 1;
  }
  return Status::Ok();
}

uint64_t Wal::TotalBytes() const {
  MutexLock l(&mu_);
  return closed_bytes_ + (file_ ? file_->Size() : 0);
}

Status Wal::Close() {
  MutexLock sl(&sync_mu_);
  MutexLock l(&mu_);
  if (!file_) return Status::Ok();
  Status st = file_->Sync();
  Status cst = file_->Close();
  file_.reset();
  return st.ok() ? cst : st;
}

}  // namespace sremon::tsdb
