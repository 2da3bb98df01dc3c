// libFuzzer target: the supervisor's --ports and service-list parsers, and the load
// generator's --path parser, on arbitrary text: an error or a value, never a crash.
#include <cstdint>
#include <string_view>

#include "loadgen/loadgen.h"
#include "supervisor/stack.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::map<std::string, int, std::less<>> ports;
  (void)sremon::supervisor::ParsePorts(in, &ports);
  (void)sremon::supervisor::SelectServices(in);
  auto p = sremon::loadgen::ParseWeightedPath(in);
  if (p.ok() && (p->path.empty() || p->path[0] != '/' || p->weight < 1)) __builtin_trap();
  return 0;
}
