#include <cstdint>
#include <string>
#include "alertmanager/config.h"
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)sremon::alertmanager::ParseConfig(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yml");
  return 0;
}
