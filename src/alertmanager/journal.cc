#include "alertmanager/journal.h"

#include <zlib.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sremon::alertmanager {

namespace {

std::string Line(const std::string& record) {
  uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(record.data()), record.size());
  return fmt::format("{:08x} {}\n", crc, record);
}

// Calls fn for each valid checksummed line of data; returns the byte length of the valid prefix
// and sets *corrupt if something follows it (a torn or damaged line).
size_t ParseLines(std::string_view data, const std::function<void(const std::string&)>& fn, bool* corrupt) {
  size_t good = 0;
  while (good < data.size()) {
    size_t nl = data.find('\n', good);
    if (nl == std::string_view::npos) break;  // no trailing newline: a torn write
    std::string_view line = data.substr(good, nl - good);
    if (line.size() < 9 || line[8] != ' ') break;
    std::string record(line.substr(9));
    uint32_t want = static_cast<uint32_t>(std::strtoul(std::string(line.substr(0, 8)).c_str(), nullptr, 16));
    if (crc32(0, reinterpret_cast<const Bytef*>(record.data()), record.size()) != want) break;
    fn(record);
    good = nl + 1;
  }
  *corrupt = good < data.size();
  return good;
}

// The file's contents, or empty if it does not exist.
Status ReadIfExists(Env* env, const std::string& path, std::string* out) {
  out->clear();
  if (!env->FileExists(path)) return Status::Ok();
  return env->ReadFile(path, out);
}

}  // namespace

Status Journal::Open(const std::string& dir, const std::string& name,
                     const std::function<void(const std::string& record)>& on_record) {
  dir_ = dir;
  name_ = name;
  if (dir.empty()) return Status::Ok();
  SREMON_RETURN_IF_ERROR(env_->CreateDirs(dir));
  std::string data;
  bool corrupt = false;
  SREMON_RETURN_IF_ERROR(ReadIfExists(env_, SnapPath(), &data));
  ParseLines(data, on_record, &corrupt);
  if (corrupt) return Status::Corruption(fmt::format("snapshot {} is damaged", SnapPath()));
  SREMON_RETURN_IF_ERROR(ReadIfExists(env_, LogPath(), &data));
  size_t good = ParseLines(data, on_record, &corrupt);
  bool created = !env_->FileExists(LogPath());
  auto log = env_->NewWritableFile(LogPath(), /*truncate=*/false);
  if (!log.ok()) return log.status();
  // A new log's name must survive a power loss as its synced records do.
  if (created) SREMON_RETURN_IF_ERROR(env_->SyncDir(dir_));
  log_ = std::move(*log);
  good_bytes_ = good;
  if (corrupt) {
    spdlog::warn("{}: cutting a torn or damaged tail after byte {}", LogPath(), good);
    SREMON_RETURN_IF_ERROR(log_->Truncate(good));
    SREMON_RETURN_IF_ERROR(log_->Sync());
  }
  return Status::Ok();
}

Status Journal::Append(const std::string& record, bool sync) {
  if (!log_) return Status::Ok();
  Status st;
  if (log_->Size() != good_bytes_) {
    // An earlier append failed and its partial line could not be cut then: cut it now, or the
    // record written after it would be hidden behind a damaged line at the next start.
    st = log_->Truncate(good_bytes_);
  }
  if (st.ok()) st = log_->Append(Line(record));
  if (st.ok() && sync) st = log_->Sync();
  if (!st.ok()) {
    // Not acknowledged, so not kept: a failed cut is retried by the next append.
    (void)log_->Truncate(good_bytes_);
    return st.WithContext(fmt::format("cannot append to {}", LogPath()));
  }
  good_bytes_ = log_->Size();
  return Status::Ok();
}

Status Journal::Compact(const std::vector<std::string>& records) {
  if (!log_) return Status::Ok();
  std::string tmp = SnapPath() + ".tmp";
  std::string data;
  for (const auto& r : records) data += Line(r);
  Status st;
  auto f = env_->NewWritableFile(tmp, /*truncate=*/true);
  if (!f.ok()) st = f.status();
  if (st.ok()) st = (*f)->Append(data);
  if (st.ok()) st = (*f)->Sync();
  if (st.ok()) st = (*f)->Close();
  if (st.ok()) st = env_->RenameFile(tmp, SnapPath());
  if (!st.ok()) {
    // The old snapshot and log still hold everything; the next Compact truncates tmp again.
    return st.WithContext(fmt::format("cannot write snapshot {}", SnapPath()));
  }
  SREMON_RETURN_IF_ERROR(env_->SyncDir(dir_).WithContext("cannot write snapshot"));
  // The snapshot now holds everything: start an empty log. If that fails, appends go on into
  // the old log, whose records replay to the same state after the snapshot.
  auto log = env_->NewWritableFile(LogPath(), /*truncate=*/true);
  if (!log.ok()) return log.status().WithContext("cannot empty the log after a snapshot");
  log_ = std::move(*log);
  good_bytes_ = 0;
  return Status::Ok();
}

}  // namespace sremon::alertmanager
