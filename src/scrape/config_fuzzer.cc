// libFuzzer target: arbitrary prometheus.yml text never crashes the scrape config parser, in
// strict and lenient mode.
#include <cstddef>
#include <cstdint>
#include <string>

#include "scrape/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (bool strict : {true, false}) (void)sremon::scrape::ParseConfig(text, "fuzz.yml", strict);
  return 0;
}
