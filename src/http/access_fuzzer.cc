// libFuzzer target for the request-access parsers: any bytes as Origin, Host, X-Forwarded-Host
// and Authorization headers must be judged without a crash, and a request whose Origin equals
// its Host (from a non-loopback connection) is never refused.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/access.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // Fields separated by newlines: Origin, Host, X-Forwarded-Host, Authorization.
  std::string fields[4];
  for (auto& f : fields) {
    size_t nl = in.find('\n');
    f = std::string(in.substr(0, nl));
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  }
  sremon::http::Request req;
  req.headers.Add("Origin", fields[0]);
  req.headers.Add("Host", fields[1]);
  req.headers.Add("X-Forwarded-Host", fields[2]);
  req.to_loopback = size % 2;
  (void)sremon::http::CheckSameOrigin(req);
  std::string user, password;
  if (sremon::http::ParseBasicAuth(fields[3], &user, &password) && user.find(':') != std::string::npos) std::abort();
  (void)sremon::http::IsLoopbackHost(fields[1]);
  // A well-formed own origin always passes.
  sremon::http::Request own;
  own.headers.Add("Host", "example.org:" + std::to_string(size % 65536));
  own.headers.Add("Origin", "http://example.org:" + std::to_string(size % 65536));
  if (!sremon::http::CheckSameOrigin(own).ok()) std::abort();
  return 0;
}
