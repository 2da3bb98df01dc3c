#include "util/fault_injection_env.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace sremon {
namespace {

std::string ParentDir(const std::string& path) {
  return std::filesystem::path(path).lexically_normal().parent_path().string();
}

class FaultWritableFile : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}
  Status Append(std::string_view data) override {
    if (env_->crashed()) return FaultInjectionEnv::Dead("write " + path_);
    if (env_->full()) {
      size_t partial = std::min(env_->partial_bytes(), data.size());
      // The short write's own result does not matter: the call fails either way.
      if (partial > 0) (void)base_->Append(data.substr(0, partial));
      return FaultInjectionEnv::NoSpace("write " + path_);
    }
    return base_->Append(data);
  }
  Status Sync() override {
    if (env_->crashed()) return FaultInjectionEnv::Dead("fsync " + path_);
    if (env_->full()) return FaultInjectionEnv::NoSpace("fsync " + path_);
    if (env_->sync_fails()) return FaultInjectionEnv::SyncFailed("fsync " + path_);
    SREMON_RETURN_IF_ERROR(base_->Sync());
    env_->NoteSynced(path_, base_->Size());
    return Status::Ok();
  }
  Status Truncate(uint64_t size) override {  // frees space: allowed on a full disk
    if (env_->crashed()) return FaultInjectionEnv::Dead("truncate " + path_);
    SREMON_RETURN_IF_ERROR(base_->Truncate(size));
    env_->NoteTruncated(path_, size);
    return Status::Ok();
  }
  Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  FaultInjectionEnv* env_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

}  // namespace

Status FaultInjectionEnv::NoSpace(const std::string& what) {
  return Status::Unavailable(fmt::format("cannot {}: {} (injected)", what, std::strerror(ENOSPC)));
}

Status FaultInjectionEnv::SyncFailed(const std::string& what) {
  return Status::Unavailable(fmt::format("cannot {}: {} (injected)", what, std::strerror(EIO)));
}

Status FaultInjectionEnv::Dead(const std::string& what) {
  return Status::IOError(fmt::format("cannot {}: the process crashed (injected)", what));
}

void FaultInjectionEnv::NoteSynced(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  files_[path].synced_bytes = size;
}

void FaultInjectionEnv::NoteTruncated(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(path);
  if (it != files_.end()) it->second.synced_bytes = std::min(it->second.synced_bytes, size);
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path, bool truncate) {
  if (dead_) return Dead("create " + path);
  if (full_) return NoSpace("create " + path);
  bool existed = base_->FileExists(path);
  auto f = base_->NewWritableFile(path, truncate);
  if (!f.ok()) return f.status();
  {
    std::lock_guard<std::mutex> l(mu_);
    auto [it, added] = files_.try_emplace(path);
    if (added) it->second = FileState{existed ? (*f)->Size() : 0, existed};
    if (truncate) it->second.synced_bytes = 0;
  }
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, path, std::move(*f)));
}

Status FaultInjectionEnv::CreateDir(const std::string& dir) {
  if (dead_) return Dead("create directory " + dir);
  if (full_ && !base_->FileExists(dir)) return NoSpace("create directory " + dir);
  return base_->CreateDir(dir);
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  if (dead_) return Dead("remove " + path);
  SREMON_RETURN_IF_ERROR(base_->RemoveFile(path));
  std::lock_guard<std::mutex> l(mu_);
  files_.erase(path);
  return Status::Ok();
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  if (dead_) return Dead("rename " + from);
  if (crash_before_rename_.exchange(false)) {
    dead_ = true;
    return Dead("rename " + from);
  }
  SREMON_RETURN_IF_ERROR(base_->RenameFile(from, to));
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(from);
  if (it != files_.end()) {
    files_[to] = FileState{it->second.synced_bytes, /*dir_synced=*/true};
    files_.erase(from);
  } else {
    files_.erase(to);  // replaced by a file this Env did not write
  }
  return Status::Ok();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  if (dead_) return Dead("fsync directory " + dir);
  if (sync_fails_) return SyncFailed("fsync directory " + dir);
  SREMON_RETURN_IF_ERROR(base_->SyncDir(dir));
  std::string want = std::filesystem::path(dir).lexically_normal().string();
  if (!want.empty() && want.back() == '/') want.pop_back();
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [path, st] : files_) {
    if (ParentDir(path) == want) st.dir_synced = true;
  }
  return Status::Ok();
}

Status FaultInjectionEnv::PowerLoss() {
  std::lock_guard<std::mutex> l(mu_);
  Status result;
  for (auto it = files_.begin(); it != files_.end();) {
    const auto& [path, st] = *it;
    Status s;
    if (!st.dir_synced) {
      s = base_->RemoveFile(path);
      it = files_.erase(it);
    } else {
      auto size = base_->FileSize(path);
      if (size.ok() && *size > st.synced_bytes) {
        auto f = base_->NewWritableFile(path, /*truncate=*/false);
        s = f.ok() ? (*f)->Truncate(st.synced_bytes) : f.status();
      }
      ++it;
    }
    if (result.ok()) result = s;
  }
  Restart();
  return result;
}

}  // namespace sremon
