#include "util/status.h"

namespace sremon {

std::string Status::ToString() const {
  if (ok()) return "OK";
  const char* name = "error";
  switch (code_) {
    case Code::kOk: name = "OK"; break;
    case Code::kInvalidArgument: name = "invalid argument"; break;
    case Code::kNotFound: name = "not found"; break;
    case Code::kAlreadyExists: name = "already exists"; break;
    case Code::kUnavailable: name = "unavailable"; break;
    case Code::kResourceExhausted: name = "resource exhausted"; break;
    case Code::kTimeout: name = "timeout"; break;
    case Code::kCorruption: name = "corruption"; break;
    case Code::kIOError: name = "I/O error"; break;
    case Code::kInternal: name = "internal error"; break;
    case Code::kCanceled: name = "canceled"; break;
    case Code::kExecution: name = "execution error"; break;
  }
  return fmt::format("{}: {}", name, message_);
}

}  // namespace sremon
