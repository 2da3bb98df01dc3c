// libFuzzer target for the Go compatibility helpers: whatever the bytes, the JSON escaper writes
// one valid JSON string that decodes back to the input (invalid UTF-8 bytes as U+FFFD), and
// Unquote/UnquotePromQL/RegexpExpand return without crashing; an unquoted string that was
// written by Quote (Go's %q) comes back as it was.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "util/go_compat.h"
#include "util/strings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (bool html : {false, true}) {
    std::string out;
    html ? sremon::AppendJsonStringHtmlSafe(&out, in) : sremon::AppendJsonString(&out, in);
    auto j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
    if (!j.is_string()) std::abort();
    if (sremon::IsValidUtf8(in) && j.get<std::string>() != in) std::abort();
  }
  (void)sremon::Unquote(in);
  (void)sremon::UnquotePromQL(in);
  auto back = sremon::Unquote(sremon::Quote(in));
  if (!back.ok() || *back != in) std::abort();
  static const re2::RE2 re("(?P<name>a+)(b*)");
  std::string_view groups[] = {"ab", "a", "b"};
  (void)sremon::RegexpExpand(in, re, groups);
  return 0;
}
