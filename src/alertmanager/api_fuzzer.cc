// libFuzzer target: the v2 API's body decoders (postable alerts and silences).
#include <cstdint>
#include <string>
#include <vector>

#include "alertmanager/api_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  std::vector<sremon::alertmanager::Alert> valid;
  std::vector<std::string> invalid;
  sremon::alertmanager::ApiError err;
  (void)sremon::alertmanager::DecodeAlerts(body, 1700000000000, 300000, &valid, &invalid, &err);
  sremon::alertmanager::Silence s;
  (void)sremon::alertmanager::DecodeSilence(body, 4096, &s, &err);
  return 0;
}
