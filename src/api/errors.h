// The one place where errors become Prometheus API error answers: errorType and HTTP status.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "http/http.h"
#include "util/status.h"

namespace sremon::api {

// errorType values of the Prometheus API (web/api/v1/api.go).
inline constexpr std::string_view kBadData = "bad_data";
inline constexpr std::string_view kExecution = "execution";
inline constexpr std::string_view kCanceled = "canceled";
inline constexpr std::string_view kTimeout = "timeout";
inline constexpr std::string_view kInternal = "internal";
inline constexpr std::string_view kNotFound = "not_found";
inline constexpr std::string_view kUnavailable = "unavailable";

struct ApiError {
  std::string_view type;
  std::string message;
};

// HTTP status for an errorType, through the shared mapping (http/status_code.h): bad_data 400,
// execution 422, canceled/timeout/unavailable 503, not_found 404, internal 500.
int HttpStatusFor(std::string_view error_type);

// Maps a Status. Before evaluation (parameters, parsing) InvalidArgument is bad_data; an error
// out of query evaluation is "execution" unless it is a timeout, a cancellation or a storage
// failure, as Prometheus's returnAPIError does.
ApiError FromStatus(const Status& status, bool from_evaluation = false);

// bad_data with `invalid parameter "name": <message>`.
ApiError InvalidParam(std::string_view name, std::string_view message);
inline ApiError BadData(std::string message) { return ApiError{kBadData, std::move(message)}; }

// Writes the error JSON with its status code.
void WriteError(http::Response& resp, const ApiError& err);

}  // namespace sremon::api
