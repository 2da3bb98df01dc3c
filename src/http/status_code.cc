#include "http/status_code.h"

namespace sremon::http {

int HttpStatusFor(Status::Code code, std::initializer_list<StatusOverride> overrides) {
  for (const auto& o : overrides) {
    if (o.code == code) return o.http_status;
  }
  switch (code) {
    case Status::Code::kOk: return 200;
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kAlreadyExists: return 409;
    case Status::Code::kResourceExhausted: return 413;
    case Status::Code::kExecution: return 422;
    case Status::Code::kUnavailable:
    case Status::Code::kTimeout: return 503;
    default: return 500;
  }
}

}  // namespace sremon::http
