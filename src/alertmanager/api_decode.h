// Decoding of the v2 API's request bodies (postable alerts, postable silence) with upstream's
// validation and error shapes, apart from the HTTP handlers so that it can be fuzzed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "alertmanager/alert.h"
#include "alertmanager/silences.h"

namespace sremon::alertmanager {

// code 0: the body is a bare JSON string (handler errors); otherwise go-openapi's
// {"code": code, "message": message}.
struct ApiError {
  int http_status = 400;
  int code = 0;
  std::string message;
};

// Decodes POST /api/v2/alerts. Fills in times as upstream (missing start = now or end; missing
// end = now + resolve_timeout, flagged timeout). Alerts failing validation go to *invalid as
// messages; returns false (and *err) when the body as a whole is refused.
bool DecodeAlerts(std::string_view body, int64_t now, int64_t resolve_timeout, std::vector<Alert>* valid,
                  std::vector<std::string>* invalid, ApiError* err);

// Decodes POST /api/v2/silences (schema and matcher validation; time rules are the caller's).
// A silence larger than max_bytes (its matchers, comment, creator and id; 0 = no limit) is
// refused before any regex is compiled: an 8 MB regex costs RE2 about 100 MB.
bool DecodeSilence(std::string_view body, size_t max_bytes, Silence* out, ApiError* err);

// Go's time zero ("0001-01-01T00:00:00Z") and missing times read as 0; otherwise RFC 3339.
Result<int64_t> ParseApiTime(const std::string& s);

}  // namespace sremon::alertmanager
