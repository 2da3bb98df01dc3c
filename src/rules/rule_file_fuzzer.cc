// libFuzzer target: arbitrary rule-file text never crashes the parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/rule_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = sremon::rules::ParseRuleFile("fuzz.yml", text);
  if (f.ok()) (void)sremon::rules::FindDuplicateRules(*f);
  return 0;
}
