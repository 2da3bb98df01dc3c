// The one way sremon parses JSON it did not write itself (request bodies, stored payloads, files,
// answers of other services): nlohmann::json behind a nesting limit. nlohmann's parser is
// iterative, but copying, comparing and dumping a value recurse once per level, so a
// 100,000-deep array from a 200 KB request crashes any code that touches it. Every service
// refuses such a document before building it, with an error that names the limit.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "util/status.h"

namespace sremon {

// Deepest nesting of arrays/objects accepted (Grafana dashboards, the deepest documents we
// take, nest about 10 levels).
inline constexpr int kMaxJsonDepth = 100;

// InvalidArgument "JSON nesting exceeds the limit of 100 levels (at byte N)" when `text` opens
// more than max_depth arrays/objects at once. Only counts brackets outside strings: it never
// allocates, and says nothing about the rest of the syntax.
Status CheckJsonDepth(std::string_view text, int max_depth = kMaxJsonDepth);

// CheckJsonDepth, then nlohmann::json::parse. Errors are InvalidArgument: the depth message, or
// "invalid JSON at byte N", or the out-of-range message for a number past a double (1e400).
// Integers past 64 bits parse as (inexact) doubles: callers that want exact integers check
// is_number_integer()/is_number_unsigned().
Result<nlohmann::json> ParseJson(std::string_view text, int max_depth = kMaxJsonDepth);

// ParseJson's checks and errors around nlohmann's SAX parser, for documents too large to hold
// whole as values (about ten times their text): `sax` is a nlohmann SAX handler whose
// parse_error throws the exception it is given (as nlohmann's own DOM handler does).
Status PrecheckJson(std::string_view text, int max_depth);  // ParseJson's checks before parsing
template <typename Sax>
Status SaxParseJson(std::string_view text, Sax* sax, int max_depth = kMaxJsonDepth) {
  if (Status st = PrecheckJson(text, max_depth); !st.ok()) return st;
  try {
    nlohmann::json::sax_parse(text, sax);
  } catch (const nlohmann::json::parse_error& e) {
    return Status::InvalidArgument("invalid JSON at byte " + std::to_string(e.byte));
  } catch (const nlohmann::json::exception&) {
    return Status::InvalidArgument("invalid JSON: number out of range");
  }
  return Status::Ok();
}

}  // namespace sremon
