// Byte encodings shared by the WAL, chunks and blocks (leveldb util/coding.h style): append into
// the caller's buffer, decode from a bounded cursor that reports truncation instead of crashing.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sremon::tsdb {

inline void PutFixed32(std::string* dst, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // little-endian hosts only (x86-64, arm64); documented in tsdb.md
  dst->append(b, 4);
}
inline void PutFixed64(std::string* dst, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  dst->append(b, 8);
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline void PutVarint64(std::string* dst, uint64_t v) {
  char b[10];
  int n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<char>(v);
  dst->append(b, n);
}
inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
inline void PutVarsint64(std::string* dst, int64_t v) { PutVarint64(dst, ZigZag(v)); }
inline void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s);
}
inline int VarintLength(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

// A read cursor over a byte range. Every getter returns false (and sets failed) when the input is
// short or malformed; callers check ok() once at the end of a record.
class Decoder {
 public:
  Decoder() = default;
  explicit Decoder(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool ok() const { return !failed_; }
  bool done() const { return p_ >= end_; }
  size_t remaining() const { return end_ - p_; }
  const char* pos() const { return p_; }
  bool Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift <= 63 && p_ < end_; shift += 7) {
      uint8_t b = static_cast<uint8_t>(*p_++);
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        *v = r;
        return true;
      }
    }
    return Fail();
  }
  bool Varsint(int64_t* v) {
    uint64_t u;
    if (!Varint(&u)) return false;
    *v = UnZigZag(u);
    return true;
  }
  bool Fixed32(uint32_t* v) {
    if (remaining() < 4) return Fail();
    *v = DecodeFixed32(p_);
    p_ += 4;
    return true;
  }
  bool Fixed64(uint64_t* v) {
    if (remaining() < 8) return Fail();
    *v = DecodeFixed64(p_);
    p_ += 8;
    return true;
  }
  bool Byte(uint8_t* v) {
    if (remaining() < 1) return Fail();
    *v = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (remaining() < n) return Fail();
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool LengthPrefixed(std::string_view* out) {
    uint64_t n;
    if (!Varint(&n)) return false;
    return Bytes(n, out);
  }
  bool Fail() {
    failed_ = true;
    p_ = end_;
    return false;
  }

 private:
  const char* p_ = nullptr;
  const char* end_ = nullptr;
  bool failed_ = false;
};

// CRC-32C (Castagnoli), the checksum of WAL records and block sections.
uint32_t Crc32c(const char* data, size_t n, uint32_t init = 0);
inline uint32_t Crc32c(std::string_view s) { return Crc32c(s.data(), s.size()); }

}  // namespace sremon::tsdb
