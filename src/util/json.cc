#include "util/json.h"

#include <fmt/format.h>

namespace sremon {

Status CheckJsonDepth(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped byte cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return Status::InvalidArgument(
            fmt::format("JSON nesting exceeds the limit of {} levels (at byte {})", max_depth, i));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return Status::Ok();
}

Status PrecheckJson(std::string_view text, int max_depth) {
  // nlohmann's lexer takes a NUL byte for the end of the input and ignores what follows, so
  // `{"a":1}<NUL>junk` parsed; RFC 8259 allows no raw NUL and Go's encoding/json refuses it
  // (found by json_depth_fuzzer).
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Status::InvalidArgument(fmt::format("invalid JSON at byte {}: NUL byte", nul));
  }
  return CheckJsonDepth(text, max_depth);
}

Result<nlohmann::json> ParseJson(std::string_view text, int max_depth) {
  if (Status st = PrecheckJson(text, max_depth); !st.ok()) return st;
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return Status::InvalidArgument(fmt::format("invalid JSON at byte {}", e.byte));
  } catch (const nlohmann::json::exception&) {
    // A number beyond double's range (1e999) throws out_of_range, not parse_error: found by
    // json_depth_fuzzer; uncaught it ended the process (rules reading a data source's answer).
    return Status::InvalidArgument("invalid JSON: number out of range");
  }
}

}  // namespace sremon
