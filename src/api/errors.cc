#include "api/errors.h"

#include <fmt/format.h>

#include "api/json.h"

namespace sremon::api {

int HttpStatusFor(std::string_view error_type) {
  if (error_type == kBadData) return 400;
  if (error_type == kExecution) return 422;
  if (error_type == kCanceled || error_type == kTimeout || error_type == kUnavailable) return 503;
  if (error_type == kNotFound) return 404;
  return 500;
}

ApiError FromStatus(const Status& status, bool from_evaluation) {
  using Code = Status::Code;
  std::string_view type = kInternal;
  switch (status.code()) {
    case Code::kInvalidArgument: type = from_evaluation ? kExecution : kBadData; break;
    case Code::kExecution:
    case Code::kResourceExhausted: type = kExecution; break;
    case Code::kTimeout: type = kTimeout; break;
    case Code::kCanceled: type = kCanceled; break;
    case Code::kUnavailable: type = kUnavailable; break;
    case Code::kNotFound: type = from_evaluation ? kExecution : kNotFound; break;
    case Code::kOk:  // not an error; treated as a bug below
    case Code::kAlreadyExists:
    case Code::kCorruption:
    case Code::kIOError:
    case Code::kInternal: type = kInternal; break;
  }
  return ApiError{type, status.message()};
}

ApiError InvalidParam(std::string_view name, std::string_view message) {
  return ApiError{kBadData, fmt::format("invalid parameter \"{}\": {}", name, message)};
}

void WriteError(http::Response& resp, const ApiError& err) {
  resp.SetJson(HttpStatusFor(err.type), ErrorJson(err.type, err.message));
}

}  // namespace sremon::api
