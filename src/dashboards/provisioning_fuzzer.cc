// libFuzzer target: provisioning YAML parsers and dashboard input resolution must never crash
// on arbitrary input (bad input is an error Status, not an exception or abort).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dashboards/provisioning.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)sremon::dashboards::ParseDatasources(in, "fuzz.yml");
  (void)sremon::dashboards::ParseDashboardProviders(in, "fuzz.yml");
  (void)sremon::dashboards::ExpandEnv(in);
  nlohmann::json model = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (model.is_object()) sremon::dashboards::ResolveInputs(&model, "uid");
  return 0;
}
