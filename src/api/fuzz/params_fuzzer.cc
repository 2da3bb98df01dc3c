// libFuzzer target for the query API's input handling: time and duration parameters, match[]
// selectors, and the JSON string encoder (which must always produce valid UTF-8 JSON).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/json.h"
#include "api/params.h"
#include "api/selectors.h"
#include "util/go_compat.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)sremon::api::ParseTime(in);
  (void)sremon::api::ParseDurationNs(in);
  (void)sremon::api::ParseMatchSets({std::string(in)});
  std::string out;
  sremon::AppendJsonStringHtmlSafe(&out, in);
  // Invariant: quoted, and no raw control characters or invalid bytes survive.
  if (out.size() < 2 || out.front() != '"' || out.back() != '"') std::abort();
  for (unsigned char c : out) {
    if (c < 0x20) std::abort();
  }
  return 0;
}
