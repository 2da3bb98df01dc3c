// libFuzzer target for the SMTP client's reply parser: any bytes, split into lines as the client
// reads them, must parse or be refused without a crash, and a parsed code is three digits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "smtp/smtp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    size_t eol = in.find('\n');
    std::string_view line = in.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (auto r = sremon::smtp::ParseReplyLine(line)) {
      if (r->code < 0 || r->code > 999 || r->text.size() > line.size()) std::abort();
    }
    if (eol == std::string_view::npos) break;
    in.remove_prefix(eol + 1);
  }
  return 0;
}
