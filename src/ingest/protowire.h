// The protobuf wire format (protobuf.dev/programming-guides/encoding), read and written without a
// schema, for codecs that walk a large message instead of building it (ingest/otlp.cc reads OTLP
// bodies in place; ingest/otlp_json.cc writes the protobuf form of a JSON body).
// Thread-safety: Reader is a value over bytes it does not own; the functions are pure.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sremon::ingest::protowire {

enum WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

struct Field {
  uint32_t number = 0;
  WireType type = kVarint;
  uint64_t value = 0;     // kVarint, kFixed64 (the 8 bytes, little-endian) and kFixed32
  std::string_view bytes;  // kLen: points into the reader's input
  double AsDouble() const {
    double d;
    std::memcpy(&d, &value, sizeof d);
    return d;
  }
};

// Reads the fields of one message in order. Groups (wire types 3 and 4, deprecated since proto2)
// are refused as malformed. REQUIRES: the input outlives the reader and the fields it returns.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  // The next field; false at the end of the input or at malformed bytes (then ok() is false).
  bool Next(Field* f);
  bool ok() const { return error_ == nullptr; }
  // What was malformed, and where (offset in this reader's input).
  const char* error() const { return error_; }
  size_t offset() const { return pos_; }

 private:
  bool Varint(uint64_t* v);
  bool Fail(const char* what) {
    error_ = what;
    return false;
  }
  std::string_view data_;
  size_t pos_ = 0;
  const char* error_ = nullptr;
};

// Little-endian 8-byte value i of a packed fixed64/double field. REQUIRES: i < bytes.size() / 8.
inline uint64_t Fixed64At(std::string_view bytes, size_t i) {
  uint64_t v;
  std::memcpy(&v, bytes.data() + 8 * i, sizeof v);
  return v;  // the wire is little-endian, as every platform we build for
}

// Writing: each appends one field to *out.
void AppendVarint(std::string* out, uint64_t v);
void AppendVarintField(std::string* out, uint32_t number, uint64_t v);
void AppendFixed64Field(std::string* out, uint32_t number, uint64_t v);
void AppendDoubleField(std::string* out, uint32_t number, double v);
void AppendBytesField(std::string* out, uint32_t number, std::string_view bytes);
// A length-delimited field whose content is appended after BeginMessage and closed by
// EndMessage(out, the returned mark): the length is written in place as a 5-byte varint (padded,
// which decoders accept), so nested messages are built without copying. Contents < 4 GiB.
size_t BeginMessage(std::string* out, uint32_t number);
void EndMessage(std::string* out, size_t mark);

}  // namespace sremon::ingest::protowire
