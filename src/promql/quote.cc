#include "promql/quote.h"

#include <cstdio>

namespace sremon::promql {

namespace {

void AppendUtf8(std::string* out, uint32_t r) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> GoUnquote(std::string_view s) {
  if (s.size() < 2 || s.front() != s.back()) return Status::InvalidArgument("invalid syntax");
  char q = s.front();
  std::string_view body = s.substr(1, s.size() - 2);
  if (q == '`') {
    if (body.find('`') != std::string_view::npos) return Status::InvalidArgument("invalid syntax");
    return std::string(body);
  }
  if (q != '"' && q != '\'') return Status::InvalidArgument("invalid syntax");
  std::string out;
  for (size_t i = 0; i < body.size();) {
    char c = body[i];
    if (c == q || c == '\n') return Status::InvalidArgument("invalid syntax");
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (++i >= body.size()) return Status::InvalidArgument("invalid syntax");
    char e = body[i++];
    switch (e) {
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case '\\': out.push_back('\\'); break;
      case '\'':
      case '"': out.push_back(e); break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > body.size()) return Status::InvalidArgument("invalid syntax");
        uint32_t v = 0;
        for (size_t k = 0; k < n; ++k) {
          int h = HexVal(body[i + k]);
          if (h < 0) return Status::InvalidArgument("invalid syntax");
          v = v * 16 + h;
        }
        i += n;
        if (e == 'x') {
          out.push_back(static_cast<char>(v));
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return Status::InvalidArgument("invalid syntax");
          AppendUtf8(&out, v);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 > body.size()) return Status::InvalidArgument("invalid syntax");
          uint32_t v = e - '0';
          for (int k = 0; k < 2; ++k) {
            char d = body[i++];
            if (d < '0' || d > '7') return Status::InvalidArgument("invalid syntax");
            v = v * 8 + (d - '0');
          }
          if (v > 255) return Status::InvalidArgument("invalid syntax");
          out.push_back(static_cast<char>(v));
          break;
        }
        return Status::InvalidArgument("invalid syntax");
    }
  }
  return out;
}

}  // namespace sremon::promql
