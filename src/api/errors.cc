#include "api/errors.h"

#include <fmt/format.h>

#include "api/json.h"
#include "http/status_code.h"

namespace sremon::api {

int HttpStatusFor(std::string_view error_type) {
  using Code = Status::Code;
  // The Status code each errorType stands for; its HTTP status is the shared mapping's
  // (http/status_code.h) but where Prometheus's API answers otherwise.
  static constexpr struct {
    std::string_view type;
    Code code;
  } kCodes[] = {{kBadData, Code::kInvalidArgument}, {kExecution, Code::kExecution}, {kCanceled, Code::kCanceled},
                {kTimeout, Code::kTimeout},         {kNotFound, Code::kNotFound},   {kUnavailable, Code::kUnavailable}};
  Code code = Code::kInternal;
  for (const auto& c : kCodes) {
    if (c.type == error_type) code = c.code;
  }
  return http::HttpStatusFor(code, {{Code::kCanceled, 503}});  // a canceled query: 503, not 500
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
