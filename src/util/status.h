// Status and Result<T>: how module APIs report routine failures (leveldb style).
// Thread-safety: plain values, safe to copy across threads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace sremon {

// [[nodiscard]]: a dropped Status is a lost error. Where dropping one is deliberate, cast it to
// (void) with a comment that says why (the one way; grep `(void)` to review them).
class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad input from a user: 400
    kNotFound,         // 404
    kAlreadyExists,
    kUnavailable,      // try later: 503 (disk full, not ready, upstream down)
    kResourceExhausted,  // a limit was hit: 422 for queries, 413/429 for writes
    kTimeout,
    kCorruption,       // data on disk is damaged
    kIOError,
    kInternal,         // a bug
    kCanceled,
    kExecution,        // well-formed but cannot be evaluated (PromQL "execution" error): 422
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status AlreadyExists(std::string msg) { return Status(Code::kAlreadyExists, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status ResourceExhausted(std::string msg) { return Status(Code::kResourceExhausted, std::move(msg)); }
  static Status Timeout(std::string msg) { return Status(Code::kTimeout, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }
  static Status Canceled(std::string msg) { return Status(Code::kCanceled, std::move(msg)); }
  static Status Execution(std::string msg) { return Status(Code::kExecution, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Returns a status with the same code and "context: message", for errors that travel up.
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    return Status(code_, fmt::format("{}: {}", context, message_));
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T>: a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

#define SREMON_RETURN_IF_ERROR(expr)         \
  do {                                       \
    ::sremon::Status _st = (expr);           \
    if (!_st.ok()) return _st;               \
  } while (0)

}  // namespace sremon
