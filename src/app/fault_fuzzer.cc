// libFuzzer target: the /chaos body parser must answer any input with a settings value or an
// error, and whatever it accepts must be valid settings.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/fault.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto s = sremon::app::ParseFaultSettings(std::string_view(reinterpret_cast<const char*>(data), size));
  if (s.ok() && !sremon::app::ValidateFaultSettings(*s).ok()) std::abort();
  return 0;
}
