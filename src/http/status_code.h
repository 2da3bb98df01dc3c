// The one mapping from a Status to an HTTP status code, for every API that answers errors with
// a bare status, and under the Prometheus query API's errorTypes (api/errors.cc).
// Thread-safety: pure function.
#pragma once

#include <initializer_list>

#include "util/status.h"

namespace sremon::http {

// An API whose upstream answers a code differently, e.g. Grafana's 412 for a name that exists.
struct StatusOverride {
  Status::Code code;
  int http_status;
};

// OK 200, InvalidArgument 400, NotFound 404, AlreadyExists 409, ResourceExhausted 413 (a body or
// a batch over a limit), Execution 422, Unavailable and Timeout 503, anything else 500; the first
// matching override wins.
int HttpStatusFor(Status::Code code, std::initializer_list<StatusOverride> overrides = {});
inline int HttpStatusFor(const Status& status, std::initializer_list<StatusOverride> overrides = {}) {
  return HttpStatusFor(status.code(), overrides);
}

}  // namespace sremon::http
