#include "ingest/protowire.h"

namespace sremon::ingest::protowire {

bool Reader::Varint(uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ == data_.size()) return Fail("truncated varint");
    auto b = static_cast<uint8_t>(data_[pos_++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return Fail("varint longer than 10 bytes");
}

bool Reader::Next(Field* f) {
  if (pos_ == data_.size() || error_) return false;
  uint64_t tag = 0;
  if (!Varint(&tag)) return false;
  if (tag > UINT32_MAX || (tag >> 3) == 0) return Fail("invalid field number");
  f->number = static_cast<uint32_t>(tag >> 3);
  switch (tag & 7) {
    case kVarint:
      f->type = kVarint;
      return Varint(&f->value);
    case kFixed64:
    case kFixed32: {
      size_t n = (tag & 7) == kFixed64 ? 8 : 4;
      if (data_.size() - pos_ < n) return Fail("truncated fixed-size field");
      f->type = static_cast<WireType>(tag & 7);
      f->value = 0;
      std::memcpy(&f->value, data_.data() + pos_, n);
      pos_ += n;
      return true;
    }
    case kLen: {
      uint64_t len = 0;
      if (!Varint(&len)) return false;
      if (len > data_.size() - pos_) return Fail("length past the end of the message");
      f->type = kLen;
      f->bytes = data_.substr(pos_, len);
      pos_ += len;
      return true;
    }
    default:
      return Fail("invalid wire type");
  }
}

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void AppendVarintField(std::string* out, uint32_t number, uint64_t v) {
  AppendVarint(out, uint64_t{number} << 3 | kVarint);
  AppendVarint(out, v);
}

void AppendFixed64Field(std::string* out, uint32_t number, uint64_t v) {
  AppendVarint(out, uint64_t{number} << 3 | kFixed64);
  char b[8];
  std::memcpy(b, &v, 8);
  out->append(b, 8);
}

void AppendDoubleField(std::string* out, uint32_t number, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  AppendFixed64Field(out, number, bits);
}

void AppendBytesField(std::string* out, uint32_t number, std::string_view bytes) {
  AppendVarint(out, uint64_t{number} << 3 | kLen);
  AppendVarint(out, bytes.size());
  out->append(bytes);
}

size_t BeginMessage(std::string* out, uint32_t number) {
  AppendVarint(out, uint64_t{number} << 3 | kLen);
  out->append(5, '\0');
  return out->size();
}

void EndMessage(std::string* out, size_t mark) {
  auto len = static_cast<uint32_t>(out->size() - mark);
  char* p = out->data() + mark - 5;
  for (int i = 0; i < 5; ++i, len >>= 7) p[i] = static_cast<char>((len & 0x7f) | (i < 4 ? 0x80 : 0));
}

}  // namespace sremon::ingest::protowire
