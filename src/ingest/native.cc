#include "ingest/native.h"

#include <fmt/format.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>

#include "util/strings.h"

namespace sremon::ingest::native {
namespace {

// lib/decimal's reserved mantissas.
constexpr int64_t kInfPos = std::numeric_limits<int64_t>::max();
constexpr int64_t kInfNeg = std::numeric_limits<int64_t>::min();
constexpr int64_t kStaleNaN = kInfPos - 1;
constexpr int64_t kMaxMantissa = kInfPos - 2;
constexpr int64_t kMinMantissa = kInfNeg + 1;

bool IsSpecial(int64_t m) { return m > kMaxMantissa || m < kMinMantissa; }

// The encodings wrap on overflow (Go's int64 arithmetic): do it in unsigned, where C++ defines it.
int64_t Add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t Sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

void PutVarUint(std::string* out, uint64_t u) {
  while (u > 0x7f) {
    out->push_back(static_cast<char>(0x80 | (u & 0x7f)));
    u >>= 7;
  }
  out->push_back(static_cast<char>(u));
}

// Zig-zag, then LEB128.
void PutVarInt(std::string* out, int64_t v) {
  PutVarUint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

void PutUint32(std::string* out, uint32_t u) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(u >> shift));
}

// Reads the primitives of the format from the front of a view; every read checks the length.
class Cursor {
 public:
  explicit Cursor(std::string_view data) : rest_(data) {}
  bool empty() const { return rest_.empty(); }
  size_t size() const { return rest_.size(); }

  // At most 10 bytes, as lib/encoding reads them.
  Status VarUint(uint64_t* u) {
    uint64_t v = 0;
    for (size_t i = 0; i < 10; ++i) {
      if (i >= rest_.size()) {
        return Status::InvalidArgument(rest_.empty() ? "missing varint" : "truncated varint");
      }
      auto c = static_cast<uint8_t>(rest_[i]);
      v |= static_cast<uint64_t>(c & 0x7f) << (7 * i);
      if (c < 0x80) {
        rest_.remove_prefix(i + 1);
        *u = v;
        return Status::Ok();
      }
    }
    return Status::InvalidArgument("varint longer than 10 bytes");
  }
  Status VarInt(int64_t* v) {
    uint64_t u = 0;
    if (Status st = VarUint(&u); !st.ok()) return st;
    *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
    return Status::Ok();
  }
  Status Byte(uint8_t* b) {
    if (rest_.empty()) return Status::InvalidArgument("missing byte");
    *b = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return Status::Ok();
  }
  // A varuint length and that many bytes.
  Status Bytes(std::string_view* b) {
    uint64_t n = 0;
    if (Status st = VarUint(&n); !st.ok()) return st;
    if (n > rest_.size()) {
      return Status::InvalidArgument(
          fmt::format("declared length {} exceeds the {} bytes left", n, rest_.size()));
    }
    *b = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return Status::Ok();
  }
  bool Fixed(size_t n, std::string_view* b) {
    if (rest_.size() < n) return false;
    *b = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view rest_;
};

uint64_t BigEndian(std::string_view b) {
  uint64_t u = 0;
  for (char c : b) u = u << 8 | static_cast<uint8_t>(c);
  return u;
}

// Go's math.Pow10, table for table: the importer on the other side computes values with it, so
// a mantissa means the same double to both (a correctly rounded 10^n would differ beyond 1e22).
double Pow10(int n) {
  static constexpr double kSmall[32] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10,
                                        1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
                                        1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31};
  static constexpr double kPos32[10] = {1e0, 1e32, 1e64, 1e96, 1e128, 1e160, 1e192, 1e224, 1e256, 1e288};
  static constexpr double kNeg32[11] = {1e-0,   1e-32,  1e-64,  1e-96,  1e-128, 1e-160,
                                        1e-192, 1e-224, 1e-256, 1e-288, 1e-320};
  if (n >= 0 && n <= 308) return kPos32[n / 32] * kSmall[n % 32];
  if (n < 0 && n >= -323) return kNeg32[-n / 32] / kSmall[-n % 32];
  return n > 0 ? std::numeric_limits<double>::infinity() : 0;
}

ZSTD_DCtx* DecompressContext() {
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  return ctx.get();
}

ZSTD_CCtx* CompressContext() {
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> ctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  return ctx.get();
}

// lib/encoding: arrays that look like gauges get nearest delta, counters nearest delta2.
bool IsGauge(std::span<const int64_t> a) {
  if (a.size() < 2) return false;
  size_t resets = 0;
  int64_t prev = a[0];
  if (prev < 0) return true;  // counters are never negative
  for (int64_t v : a.subspan(1)) {
    if (v < prev) {
      if (v < 0 || v > (prev >> 3)) return true;  // a decrease that is no counter reset
      ++resets;
    }
    prev = v;
  }
  if (resets <= 2) return false;
  return resets > (a.size() >> 3);
}

// The zstd level VictoriaMetrics picks for an array of n values.
int CompressLevel(size_t n) {
  if (n <= 1 << 6) return 1;
  if (n <= 1 << 8) return 2;
  if (n <= 1 << 10) return 3;
  if (n <= 1 << 12) return 4;
  return 5;
}

// The smallest byte count worth compressing, and the ratio below which it is kept compressed.
constexpr size_t kMinCompressibleBytes = 128;
constexpr double kMinCompressionGain = 0.9;

Status DecodeVarInts(std::string_view data, size_t n, std::vector<int64_t>* out) {
  Cursor c(data);
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (Status st = c.VarInt(&(*out)[i]); !st.ok())
      return st.WithContext(fmt::format("delta {} of {}", i + 1, n));
  }
  if (!c.empty()) return Status::InvalidArgument(fmt::format("{} bytes left after {} deltas", c.size(), n));
  return Status::Ok();
}

// Decimal form of one value: mantissa and scale, and the double the pair reads back as.
struct Decimal {
  int64_t m = 0;
  int16_t e = 0;
  double back = 0;  // DecimalToFloat(m, e): the value written (== the sample unless unrepresentable)
};

// Parses to_chars' scientific form ("-1.2345e-07") into mantissa and scale.
void FromScientific(std::string_view s, int64_t* mantissa, int* scale) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  size_t epos = s.find('e');
  int exp = 0;
  std::from_chars(s.data() + epos + 1 + (s[epos + 1] == '+'), s.data() + s.size(), exp);
  int64_t m = 0;
  bool after_point = false;
  for (char c : s.substr(0, epos)) {
    if (c == '.') {
      after_point = true;
      continue;
    }
    m = m * 10 + (c - '0');
    exp -= after_point;
  }
  *mantissa = neg ? -m : m;
  *scale = exp;
}

bool ReadsBackAs(int64_t m, int e, double f) {
  return e >= std::numeric_limits<int16_t>::min() && e <= std::numeric_limits<int16_t>::max() &&
         std::bit_cast<uint64_t>(DecimalToFloat(m, static_cast<int16_t>(e))) == std::bit_cast<uint64_t>(f);
}

// A decimal that reads back as f with VictoriaMetrics' arithmetic: the shortest digits, else 17
// or 18 digits or a neighbouring mantissa (Pow10 beyond 1e22 is rounded, so the nearest decimal
// is not always the one that reads back); else the shortest, not exact (VictoriaMetrics has no
// exact form for, e.g., subnormals). Trailing zeros go to the scale where that stays exact.
Decimal ToDecimal(double f) {
  if (f == 0) return {0, 0, 0};
  if (model::IsStaleNaN(f)) return {kStaleNaN, 0, f};
  if (std::isinf(f)) return {f > 0 ? kInfPos : kInfNeg, 0, f};
  char buf[64];
  int64_t shortest_m = 0;
  int shortest_e = 0;
  for (int precision : {-1, 16, 17}) {
    auto res = precision < 0
                   ? std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific)
                   : std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific, precision);
    int64_t m = 0;
    int e = 0;
    FromScientific(std::string_view(buf, res.ptr - buf), &m, &e);
    if (precision < 0) {
      shortest_m = m;
      shortest_e = e;
    }
    for (int64_t delta : {0, -1, 1, -2, 2}) {
      if (!ReadsBackAs(m + delta, e, f)) continue;
      m += delta;
      while (m % 10 == 0 && ReadsBackAs(m / 10, e + 1, f)) {
        m /= 10;
        ++e;
      }
      return {m, static_cast<int16_t>(e), f};
    }
  }
  auto e = static_cast<int16_t>(
      std::clamp<int>(shortest_e, std::numeric_limits<int16_t>::min(), std::numeric_limits<int16_t>::max()));
  return {shortest_m, e, DecimalToFloat(shortest_m, e)};
}

// d's mantissa at the smaller scale `scale`, when it fits and reads back as the same double.
bool Rescale(const Decimal& d, int16_t scale, int64_t* m) {
  if (IsSpecial(d.m)) {
    *m = d.m;
    return true;
  }
  int64_t v = d.m;
  for (int k = d.e - scale; k > 0 && v != 0; --k) {
    if (v > kMaxMantissa / 10 || v < kMinMantissa / 10) return false;
    v *= 10;
  }
  if (std::bit_cast<uint64_t>(DecimalToFloat(v, scale)) != std::bit_cast<uint64_t>(d.back)) return false;
  *m = v;
  return true;
}

// One portable block: header fields, then the two arrays.
void AppendBlock(std::string* out, std::span<const int64_t> timestamps, std::span<const int64_t> mantissas,
                 int16_t scale) {
  std::string ts_data, v_data;
  int64_t first_ts = 0, first_v = 0;
  EncodingType ts_type = EncodeInt64s(timestamps, &ts_data, &first_ts);
  EncodingType v_type = EncodeInt64s(mantissas, &v_data, &first_v);
  PutVarInt(out, first_ts);
  PutVarInt(out, first_v);
  PutVarUint(out, timestamps.size());
  PutVarInt(out, scale);
  out->push_back(static_cast<char>(ts_type));
  out->push_back(static_cast<char>(v_type));
  PutVarUint(out, ts_data.size());
  out->append(ts_data);
  PutVarUint(out, v_data.size());
  out->append(v_data);
}

void AppendTagValue(std::string* out, std::string_view v) {
  for (char c : v) {
    if (c == 0 || c == 1 || c == 2) {
      out->push_back(0);
      out->push_back(static_cast<char>('0' + c));
    } else {
      out->push_back(c);
    }
  }
  out->push_back(1);
}

Status ParseTagValue(std::string_view* rest, std::string* out) {
  size_t end = rest->find('\x01');
  if (end == std::string_view::npos) return Status::InvalidArgument("missing the end of a label (byte 0x01)");
  std::string_view v = rest->substr(0, end);
  rest->remove_prefix(end + 1);
  out->clear();
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != 0) {
      out->push_back(v[i]);
      continue;
    }
    if (i + 1 == v.size() || v[i + 1] < '0' || v[i + 1] > '2') {
      return Status::InvalidArgument("invalid escape in a label (byte 0x00 not followed by '0', '1' or '2')");
    }
    out->push_back(static_cast<char>(v[++i] - '0'));
  }
  return Status::Ok();
}

// The order victoria-metrics stores labels in (lib/storage MetricName.sortTags): by name, except
// that job-like names sort first and instance-like ones second, each by its rank here (names
// with an upper-case first letter too). Writing the same order makes our names byte-equal to its.
std::string_view CanonicalKey(std::string_view name) {
  static const auto* keys = [] {
    static constexpr std::pair<std::string_view, std::string_view> kRanks[] = {
        {"namespace", {"\0\0\x00", 3}},  {"ns", {"\0\0\x01", 3}},          {"datacenter", {"\0\0\x08", 3}},
        {"dc", {"\0\0\x09", 3}},         {"environment", {"\0\0\x0c", 3}}, {"env", {"\0\0\x0d", 3}},
        {"cluster", {"\0\0\x10", 3}},    {"service", {"\0\0\x18", 3}},     {"job", {"\0\0\x20", 3}},
        {"model", {"\0\0\x28", 3}},      {"type", {"\0\0\x30", 3}},        {"sensor_type", {"\0\0\x38", 3}},
        {"SensorType", {"\0\0\x38", 3}}, {"db", {"\0\0\x40", 3}},          {"instance", {"\0\x01\x00", 3}},
        {"host", {"\0\x01\x08", 3}},     {"server", {"\0\x01\x10", 3}},    {"pod", {"\0\x01\x18", 3}},
        {"node", {"\0\x01\x20", 3}},     {"device", {"\0\x01\x28", 3}},    {"tenant", {"\0\x01\x30", 3}},
        {"client", {"\0\x01\x38", 3}},   {"name", {"\0\x01\x40", 3}},      {"measurement", {"\0\x01\x48", 3}},
    };
    auto* m = new std::map<std::string, std::string_view, std::less<>>;
    for (const auto& [key, rank] : kRanks) {
      std::string upper(key);
      upper[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[0])));
      m->emplace(key, rank);
      m->emplace(upper, rank);
    }
    return m;
  }();
  auto it = keys->find(name);
  return it == keys->end() ? name : it->second;
}

}  // namespace

double DecimalToFloat(int64_t m, int16_t scale) {
  if (m == kInfPos) return std::numeric_limits<double>::infinity();
  if (m == kInfNeg) return -std::numeric_limits<double>::infinity();
  if (m == kStaleNaN) return model::StaleNaN();
  // 0 whatever the scale: victoria-metrics reads a block of zeros so, but would read a zero next to
  // other values at a scale past 1e308 as 0 * Inf = NaN (found by ingest_native_fuzzer).
  if (m == 0) return 0;
  auto f = static_cast<double>(m);
  if (scale < 0) return f / Pow10(-scale);  // dividing rounds once where 10^-n cannot be exact
  if (scale > 0) return f * Pow10(scale);
  return f;
}

EncodingType EncodeInt64s(std::span<const int64_t> a, std::string* out, int64_t* first) {
  *first = a[0];
  if (std::all_of(a.begin(), a.end(), [&](int64_t v) { return v == a[0]; })) return EncodingType::kConst;
  int64_t d1 = Sub(a[1], a[0]);
  bool delta_const = true;
  for (size_t i = 2; i < a.size() && delta_const; ++i) delta_const = Sub(a[i], a[i - 1]) == d1;
  if (delta_const) {
    PutVarInt(out, d1);
    return EncodingType::kDeltaConst;
  }
  std::string raw;
  bool gauge = IsGauge(a);
  EncodingType plain = gauge ? EncodingType::kNearestDelta : EncodingType::kNearestDelta2;
  EncodingType zstd = gauge ? EncodingType::kZstdNearestDelta : EncodingType::kZstdNearestDelta2;
  if (gauge) {
    for (size_t i = 1; i < a.size(); ++i) PutVarInt(&raw, Sub(a[i], a[i - 1]));
  } else {
    PutVarInt(&raw, d1);
    for (size_t i = 2; i < a.size(); ++i) PutVarInt(&raw, Sub(Sub(a[i], a[i - 1]), Sub(a[i - 1], a[i - 2])));
  }
  if (raw.size() >= kMinCompressibleBytes) {
    std::string packed(ZSTD_compressBound(raw.size()), '\0');
    size_t n = ZSTD_compressCCtx(CompressContext(), packed.data(), packed.size(), raw.data(), raw.size(),
                                 CompressLevel(a.size()));
    if (!ZSTD_isError(n) && static_cast<double>(n) <= kMinCompressionGain * static_cast<double>(raw.size())) {
      out->append(packed.data(), n);
      return zstd;
    }
  }
  out->append(raw);
  return plain;
}

Status DecodeInt64s(std::string_view data, uint8_t type, int64_t first, size_t n, std::vector<int64_t>* out) {
  out->clear();
  std::string unpacked;
  switch (static_cast<EncodingType>(type)) {
    case EncodingType::kConst:
      if (!data.empty())
        return Status::InvalidArgument(fmt::format("{} bytes after a constant", data.size()));
      out->assign(n, first);
      return Status::Ok();
    case EncodingType::kDeltaConst: {
      Cursor c(data);
      int64_t d = 0;
      if (Status st = c.VarInt(&d); !st.ok()) return st.WithContext("constant delta");
      if (!c.empty())
        return Status::InvalidArgument(fmt::format("{} bytes after the constant delta", c.size()));
      out->resize(n);
      for (size_t i = 0; i < n; ++i, first = Add(first, d)) (*out)[i] = first;
      return Status::Ok();
    }
    case EncodingType::kZstdNearestDelta:
    case EncodingType::kZstdNearestDelta2: {
      // n-1 varints take at most 10 bytes each: a frame that says more is wrong, whatever it claims.
      unpacked.resize(10 * n);
      size_t got = ZSTD_decompressDCtx(DecompressContext(), unpacked.data(), unpacked.size(), data.data(),
                                       data.size());
      if (ZSTD_isError(got)) {
        return Status::InvalidArgument(
            fmt::format("cannot decompress zstd data: {}", ZSTD_getErrorName(got)));
      }
      unpacked.resize(got);
      data = unpacked;
      type = static_cast<uint8_t>(type == static_cast<uint8_t>(EncodingType::kZstdNearestDelta)
                                      ? EncodingType::kNearestDelta
                                      : EncodingType::kNearestDelta2);
      break;
    }
    case EncodingType::kNearestDelta:
    case EncodingType::kNearestDelta2:
      break;
    default:
      return Status::InvalidArgument(fmt::format("unknown encoding type {}; want 1 to 6", type));
  }
  bool delta2 = type == static_cast<uint8_t>(EncodingType::kNearestDelta2);
  if (delta2 && n < 2) return Status::InvalidArgument("delta2 encoding needs at least 2 values");
  std::vector<int64_t> deltas;
  if (Status st = DecodeVarInts(data, n - 1, &deltas); !st.ok()) return st;
  out->reserve(n);
  out->push_back(first);
  int64_t v = first, d1 = 0;
  for (size_t i = 0; i + 1 < n; ++i) {
    if (delta2) {
      d1 = i == 0 ? deltas[0] : Add(d1, deltas[i]);
      v = Add(v, d1);
    } else {
      v = Add(v, deltas[i]);
    }
    out->push_back(v);
  }
  return Status::Ok();
}

Status ParseMetricName(std::string_view data, std::vector<model::Label>* labels) {
  labels->clear();
  std::string name, value;
  if (Status st = ParseTagValue(&data, &name); !st.ok()) return st.WithContext("metric name");
  if (!name.empty()) labels->push_back({std::string(model::kMetricName), std::move(name)});
  while (!data.empty()) {
    if (Status st = ParseTagValue(&data, &name); !st.ok()) return st.WithContext("label name");
    if (Status st = ParseTagValue(&data, &value); !st.ok()) {
      return st.WithContext(fmt::format("value of label {}", Quote(name)));
    }
    if (name.empty()) return Status::InvalidArgument("empty label name");
    labels->push_back({name, value});
  }
  return Status::Ok();
}

void AppendMetricName(std::string* out, const model::Labels& labels) {
  AppendTagValue(out, labels.MetricName());
  std::vector<const model::Label*> order;
  for (const auto& l : labels) {
    if (l.name != model::kMetricName) order.push_back(&l);
  }
  std::stable_sort(order.begin(), order.end(), [](const model::Label* a, const model::Label* b) {
    return CanonicalKey(a->name) < CanonicalKey(b->name);
  });
  for (const model::Label* l : order) {
    AppendTagValue(out, l->name);
    AppendTagValue(out, l->value);
  }
}

Status ParseBlock(std::string_view data, std::vector<int64_t>* timestamps, std::vector<double>* values) {
  Cursor c(data);
  int64_t first_ts = 0, first_v = 0, scale = 0;
  uint64_t rows = 0;
  uint8_t ts_type = 0, v_type = 0;
  std::string_view ts_data, v_data;
  if (Status st = c.VarInt(&first_ts); !st.ok()) return st.WithContext("first timestamp");
  if (Status st = c.VarInt(&first_v); !st.ok()) return st.WithContext("first value");
  if (Status st = c.VarUint(&rows); !st.ok()) return st.WithContext("row count");
  if (rows == 0 || rows > kMaxReadRowsPerBlock) {
    return Status::InvalidArgument(
        fmt::format("row count {} is not within 1 to {}", rows, kMaxReadRowsPerBlock));
  }
  if (Status st = c.VarInt(&scale); !st.ok()) return st.WithContext("scale");
  if (scale < std::numeric_limits<int16_t>::min() || scale > std::numeric_limits<int16_t>::max()) {
    return Status::InvalidArgument(fmt::format("scale {} is outside the int16 range", scale));
  }
  if (Status st = c.Byte(&ts_type); !st.ok()) return st.WithContext("timestamps encoding type");
  if (Status st = c.Byte(&v_type); !st.ok()) return st.WithContext("values encoding type");
  if (Status st = c.Bytes(&ts_data); !st.ok()) return st.WithContext("timestamps data");
  if (Status st = c.Bytes(&v_data); !st.ok()) return st.WithContext("values data");
  if (!c.empty())
    return Status::InvalidArgument(fmt::format("{} unexpected bytes after the block", c.size()));
  if (Status st = DecodeInt64s(ts_data, ts_type, first_ts, rows, timestamps); !st.ok()) {
    return st.WithContext(fmt::format("cannot decode {} timestamps", rows));
  }
  std::vector<int64_t> mantissas;
  if (Status st = DecodeInt64s(v_data, v_type, first_v, rows, &mantissas); !st.ok()) {
    return st.WithContext(fmt::format("cannot decode {} values", rows));
  }
  values->resize(rows);
  for (size_t i = 0; i < rows; ++i) (*values)[i] = DecimalToFloat(mantissas[i], static_cast<int16_t>(scale));
  return Status::Ok();
}

void AppendHeader(std::string* out, int64_t min_time, int64_t max_time) {
  for (int64_t t : {min_time, max_time}) {
    uint64_t u = (static_cast<uint64_t>(t) << 1) ^ static_cast<uint64_t>(t >> 63);
    for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(u >> shift));
  }
}

void AppendSeries(std::string* out, const model::Labels& labels, std::span<const model::Sample> samples) {
  std::vector<int64_t> timestamps;
  std::vector<Decimal> decimals;
  for (const auto& s : samples) {
    if (std::isnan(s.v) && !model::IsStaleNaN(s.v)) continue;
    timestamps.push_back(s.t);
    decimals.push_back(ToDecimal(s.v));
  }
  std::string name;
  AppendMetricName(&name, labels);
  std::vector<int64_t> mantissas;
  std::string block;
  constexpr int16_t kNone = std::numeric_limits<int16_t>::max();
  for (size_t start = 0; start < decimals.size();) {
    // Grow the block while every value has an exact mantissa at the smallest scale so far (zeros
    // count with scale 0, as VictoriaMetrics counts them, so its choice and ours agree).
    int16_t scale = kNone;
    size_t end = start;
    mantissas.clear();
    while (end < decimals.size() && end - start < kMaxRowsPerBlock) {
      const Decimal& d = decimals[end];
      int16_t next = IsSpecial(d.m) ? scale : std::min(scale, d.e);
      int64_t m = 0;
      bool ok = Rescale(d, next == kNone ? 0 : next, &m);
      for (size_t i = start; ok && next != scale && i < end; ++i)
        ok = Rescale(decimals[i], next, &mantissas[i - start]);
      if (!ok && end > start) {
        // Undo a partial rescale of the block so far.
        for (size_t i = start; i < end; ++i) Rescale(decimals[i], scale, &mantissas[i - start]);
        break;
      }
      scale = next;
      mantissas.push_back(m);
      ++end;
    }
    if (scale == kNone) scale = 0;
    block.clear();
    AppendBlock(&block, std::span(timestamps).subspan(start, end - start), mantissas, scale);
    PutUint32(out, static_cast<uint32_t>(name.size()));
    out->append(name);
    PutUint32(out, static_cast<uint32_t>(block.size()));
    out->append(block);
    start = end;
  }
}

Status Reader::ReadHeader() {
  Cursor c(rest_);
  std::string_view b;
  if (!c.Fixed(16, &b)) {
    return Status::InvalidArgument(
        fmt::format("cannot read the time range: the body has {} bytes, want at least 16", rest_.size()));
  }
  auto zigzag = [](uint64_t u) { return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1); };
  min_time_ = zigzag(BigEndian(b.substr(0, 8)));
  max_time_ = zigzag(BigEndian(b.substr(8)));
  rest_.remove_prefix(16);
  return Status::Ok();
}

bool Reader::Next(Block* block) {
  status_ = Status::Ok();
  if (rest_.empty()) return false;
  ++index_;
  std::string_view fields[2];
  for (int i = 0; i < 2; ++i) {
    const char* what = i == 0 ? "metric name" : "block";
    std::string_view size;
    Cursor c(rest_);
    if (!c.Fixed(4, &size)) {
      status_ = Status::InvalidArgument(fmt::format(
          "native block {}: cannot read the {} size: {} bytes left, want 4", index_, what, rest_.size()));
      return false;
    }
    uint64_t n = BigEndian(size);
    if (n > kMaxFieldBytes) {
      status_ = Status::InvalidArgument(
          fmt::format("native block {}: {} size {} exceeds {} bytes", index_, what, n, kMaxFieldBytes));
      return false;
    }
    if (!c.Fixed(n, &fields[i])) {
      status_ = Status::InvalidArgument(fmt::format(
          "native block {}: the {} is truncated: {} bytes left, want {}", index_, what, c.size(), n));
      return false;
    }
    rest_.remove_prefix(4 + n);
  }
  if (Status st = ParseMetricName(fields[0], &block->labels); !st.ok()) {
    status_ = st.WithContext(fmt::format("native block {}: cannot parse the metric name", index_));
    return true;
  }
  if (Status st = ParseBlock(fields[1], &block->timestamps, &block->values); !st.ok()) {
    status_ =
        st.WithContext(fmt::format("native block {} of {}", index_, model::Labels(block->labels).ToString()));
    return true;
  }
  // Keep the samples within the header's time range, as VictoriaMetrics does.
  size_t kept = 0;
  for (size_t i = 0; i < block->timestamps.size(); ++i) {
    if (block->timestamps[i] < min_time_ || block->timestamps[i] > max_time_) continue;
    block->timestamps[kept] = block->timestamps[i];
    block->values[kept++] = block->values[i];
  }
  block->timestamps.resize(kept);
  block->values.resize(kept);
  return true;
}

}  // namespace sremon::ingest::native

namespace sremon::ingest {

ImportResult ImportNative(std::string_view body, const model::Labels& extra_labels, const Limits& limits,
                          storage::Appender* app) {
  ImportResult r;
  native::Reader reader(body);
  if (Status st = reader.ReadHeader(); !st.ok()) {
    NoteError(&r, st);
    return r;
  }
  native::Block block;
  while (reader.Next(&block)) {
    if (!reader.status().ok()) {
      NoteError(&r, reader.status());
      continue;
    }
    // A block's samples are appended only once all of it has decoded.
    model::Labels labels = FinishLabels(&block.labels, extra_labels, limits);
    storage::SeriesRef ref = 0;
    for (size_t i = 0; i < block.timestamps.size(); ++i) {
      AppendOne(app, &ref, labels, block.timestamps[i], block.values[i], &r, "native block",
                reader.block_index());
    }
  }
  if (!reader.status().ok()) NoteError(&r, reader.status());
  return r;
}

}  // namespace sremon::ingest
