// libFuzzer target for http::CheckRequest and http::RedactUrl (issue 12). Input: URL, header
// name and header value, each prefixed by a one-byte length. Whatever CheckRequest accepts can
// carry no CR, LF, NUL or other control byte onto the wire, and no space into the request line;
// RedactUrl is idempotent and never keeps a password.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/http.h"

namespace {

std::string_view Take(std::string_view* in) {
  if (in->empty()) return {};
  size_t n = std::min<size_t>(static_cast<unsigned char>((*in)[0]), in->size() - 1);
  std::string_view out = in->substr(1, n);
  in->remove_prefix(1 + n);
  return out;
}

bool HasWireBreak(std::string_view s, bool value) {
  for (unsigned char c : s) {
    if (c == 0x7f || (value ? (c < 0x20 && c != '\t') : c <= 0x20)) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  sremon::http::ClientRequest r;
  r.url = std::string(Take(&in));
  std::string name(Take(&in));
  std::string value(Take(&in));
  if (!name.empty()) r.headers.Add(name, value);
  if (sremon::http::CheckRequest(r).ok()) {
    if (HasWireBreak(r.url, false)) std::abort();
    if (!name.empty() && (HasWireBreak(name, false) || HasWireBreak(value, true))) std::abort();
  }
  std::string redacted = sremon::http::RedactUrl(r.url);
  if (sremon::http::RedactUrl(redacted) != redacted) std::abort();
  // "scheme://user:PASSWORD@" → the password is gone unless it already was xxxxx.
  size_t scheme = r.url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t end = r.url.find_first_of("/?#", start);
  std::string_view authority = std::string_view(r.url).substr(start, end == std::string::npos ? std::string::npos : end - start);
  size_t at = authority.rfind('@');
  size_t colon = at == std::string_view::npos ? at : authority.substr(0, at).find(':');
  if (colon != std::string_view::npos) {
    std::string_view want_prefix = std::string_view(r.url).substr(0, start + colon + 1);
    if (!redacted.starts_with(std::string(want_prefix) + "xxxxx@")) std::abort();
  }
  return 0;
}
