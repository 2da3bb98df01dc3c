#include "util/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sremon {
namespace {

Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  std::string msg = fmt::format("cannot {} {}: {}", what, path, std::strerror(err));
  // A full or read-only disk is a condition to retry later (HTTP 503), not a bug.
  if (err == ENOSPC || err == EDQUOT || err == EROFS || err == EACCES || err == EPERM || err == EIO) {
    return Status::Unavailable(std::move(msg));
  }
  return Status::IOError(std::move(msg));
}

// An open descriptor with the path it was opened by (for errors) and its size then.
struct OpenFd {
  std::string path;
  int fd;
  uint64_t size;
};

// Opens `path` (O_CLOEXEC added to `flags`) and reads its size; `verb` names the open in errors.
Result<OpenFd> Open(const std::string& path, int flags, std::string_view verb) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(verb, path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return ErrnoStatus("stat", path, e);
  }
  return OpenFd{path, fd, static_cast<uint64_t>(st.st_size)};
}

// What the two file classes share: the descriptor, its path and the size they report. The
// subclass closes the descriptor.
template <typename Interface>
class PosixFile : public Interface {
 public:
  explicit PosixFile(OpenFd f) : path_(std::move(f.path)), fd_(f.fd), size_(f.size) {}
  uint64_t Size() const override { return size_; }

 protected:
  std::string path_;
  int fd_;
  uint64_t size_;
};

class PosixWritableFile : public PosixFile<WritableFile> {
 public:
  using PosixFile::PosixFile;
  // A destructor cannot report: owners that need the result call Close() first.
  ~PosixWritableFile() override { (void)Close(); }
  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("write", path_, errno);
      }
      size_ += n;
      data.remove_prefix(n);
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus("fsync", path_, errno);
    return Status::Ok();
  }
  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return ErrnoStatus("truncate", path_, errno);
    if (::lseek(fd_, static_cast<off_t>(size), SEEK_SET) < 0) return ErrnoStatus("seek", path_, errno);
    size_ = size;
    return Status::Ok();
  }
  Status Close() override {
    if (fd_ >= 0) {
      int rc = ::close(fd_);
      fd_ = -1;
      if (rc != 0) return ErrnoStatus("close", path_, errno);
    }
    return Status::Ok();
  }
};

class PosixRandomAccessFile : public PosixFile<RandomAccessFile> {
 public:
  using PosixFile::PosixFile;
  ~PosixRandomAccessFile() override { ::close(fd_); }
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    out->resize(n);
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, out->data() + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("read", path_, errno);
      }
      if (r == 0) return Status::Corruption(fmt::format("{}: short read at offset {}", path_, offset + done));
      done += r;
    }
    return Status::Ok();
  }
};

class PosixEnv : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, bool truncate) override {
    auto f = Open(path, O_WRONLY | O_CREAT | (truncate ? O_TRUNC : O_APPEND), "create");
    if (!f.ok()) return f.status();
    return std::unique_ptr<WritableFile>(new PosixWritableFile(std::move(*f)));
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    auto f = Open(path, O_RDONLY, "open");
    if (!f.ok()) return f.status();
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(std::move(*f)));
  }
  Status ReadFile(const std::string& path, std::string* out) override {
    auto f = NewRandomAccessFile(path);
    if (!f.ok()) return f.status();
    return (*f)->Read(0, (*f)->Size(), out);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return ErrnoStatus("list", dir, errno);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    return names;
  }
  Status CreateDir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus("create directory", dir, errno);
    return Status::Ok();
  }
  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("remove", path, errno);
    return Status::Ok();
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("rename", from + " to " + to, errno);
    return Status::Ok();
  }
  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open directory", dir, errno);
    int rc = ::fsync(fd);
    int e = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus("fsync directory", dir, e);
    return Status::Ok();
  }
  Result<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }
  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }
};

}  // namespace

Status Env::CreateDirs(const std::string& dir) {
  for (size_t slash = dir.find('/', 1); slash != std::string::npos; slash = dir.find('/', slash + 1)) {
    SREMON_RETURN_IF_ERROR(CreateDir(dir.substr(0, slash)));
  }
  return CreateDir(dir);
}

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

}  // namespace sremon
