// libFuzzer target for the JSON depth guard: whatever the bytes, ParseJson accepts exactly the
// documents the unguarded parser accepts that nest no deeper than the limit and hold no NUL byte
// (nlohmann stops reading at one; ParseJson refuses it), with the same value.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "util/json.h"

namespace {

int Depth(const nlohmann::json& j) {
  if (!j.is_structured()) return 0;
  int deepest = 0;
  for (const auto& child : j) deepest = std::max(deepest, Depth(child));
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto guarded = sremon::ParseJson(in, 8);
  // libFuzzer inputs are a few KB, so the unguarded parse and Depth's recursion are safe here.
  auto plain = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  bool want = !plain.is_discarded() && Depth(plain) <= 8 && in.find('\0') == std::string_view::npos;
  if (guarded.ok() != want) std::abort();
  if (guarded.ok() && *guarded != plain) std::abort();
  return 0;
}
