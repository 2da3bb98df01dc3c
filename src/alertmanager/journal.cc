#include "alertmanager/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sremon::alertmanager {

namespace {

std::string Line(const std::string& record) {
  uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(record.data()), record.size());
  return fmt::format("{:08x} {}\n", crc, record);
}

// Reads a file of checksummed lines; returns the byte length of the valid prefix.
size_t ReadLines(const std::string& path, const std::function<void(const std::string&)>& fn, bool* corrupt) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return 0;
  std::string line;
  size_t good = 0;
  while (std::getline(f, line)) {
    if (f.eof()) {  // no trailing newline: a torn write
      *corrupt = true;
      break;
    }
    if (line.size() < 9 || line[8] != ' ') {
      *corrupt = true;
      break;
    }
    std::string record = line.substr(9);
    uint32_t want = static_cast<uint32_t>(std::strtoul(line.substr(0, 8).c_str(), nullptr, 16));
    if (crc32(0, reinterpret_cast<const Bytef*>(record.data()), record.size()) != want) {
      *corrupt = true;
      break;
    }
    fn(record);
    good += line.size() + 1;
  }
  return good;
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::IOError(fmt::format("cannot open {}: {}", dir, std::strerror(errno)));
  ::fsync(fd);
  ::close(fd);
  return Status::Ok();
}

}  // namespace

Journal::~Journal() {
  if (log_) std::fclose(log_);
}

Status Journal::Open(const std::string& dir, const std::string& name,
                     const std::function<void(const std::string& record)>& on_record) {
  dir_ = dir;
  name_ = name;
  if (dir.empty()) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("cannot create {}: {}", dir, ec.message()));
  bool corrupt = false;
  ReadLines(dir + "/" + name + ".snap", on_record, &corrupt);
  if (corrupt) return Status::Corruption(fmt::format("snapshot {}/{}.snap is damaged", dir, name));
  std::string log_path = dir + "/" + name + ".log";
  size_t good = ReadLines(log_path, on_record, &corrupt);
  if (corrupt) {
    spdlog::warn("{}: cutting a torn or damaged tail after byte {}", log_path, good);
    if (::truncate(log_path.c_str(), static_cast<off_t>(good)) != 0) {
      return Status::IOError(fmt::format("cannot truncate {}: {}", log_path, std::strerror(errno)));
    }
  }
  log_ = std::fopen(log_path.c_str(), "ab");
  if (!log_) return Status::IOError(fmt::format("cannot open {}: {}", log_path, std::strerror(errno)));
  return Status::Ok();
}

Status Journal::Append(const std::string& record, bool sync) {
  if (!log_) return Status::Ok();
  std::string line = Line(record);
  if (std::fwrite(line.data(), 1, line.size(), log_) != line.size() || std::fflush(log_) != 0) {
    return Status::IOError(fmt::format("cannot write {}/{}.log: {}", dir_, name_, std::strerror(errno)));
  }
  if (sync && ::fdatasync(fileno(log_)) != 0) {
    return Status::IOError(fmt::format("cannot sync {}/{}.log: {}", dir_, name_, std::strerror(errno)));
  }
  return Status::Ok();
}

Status Journal::Compact(const std::vector<std::string>& records) {
  if (!log_) return Status::Ok();
  std::string snap = dir_ + "/" + name_ + ".snap";
  std::string tmp = snap + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Status::IOError(fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
  bool ok = true;
  for (const auto& r : records) {
    std::string line = Line(r);
    ok = ok && std::fwrite(line.data(), 1, line.size(), f) == line.size();
  }
  ok = ok && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  std::fclose(f);
  if (!ok) return Status::IOError(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  if (std::rename(tmp.c_str(), snap.c_str()) != 0) {
    return Status::IOError(fmt::format("cannot rename {}: {}", tmp, std::strerror(errno)));
  }
  SREMON_RETURN_IF_ERROR(SyncDir(dir_));
  // The snapshot now holds everything: start an empty log.
  std::string log_path = dir_ + "/" + name_ + ".log";
  std::fclose(log_);
  log_ = std::fopen(log_path.c_str(), "wb");
  if (!log_) return Status::IOError(fmt::format("cannot open {}: {}", log_path, std::strerror(errno)));
  return Status::Ok();
}

}  // namespace sremon::alertmanager
