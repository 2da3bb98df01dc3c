// VictoriaMetrics' native format (/api/v1/export/native, /api/v1/import/native), the stream
// `vmctl vm-native` pipes from one server to another. Specified in docs/format/vm_native.md:
// a 16-byte time range, then per block a length-prefixed metric name and a length-prefixed
// "portable" block whose timestamps and decimal mantissas are int64 arrays in one of six
// encodings (constant, constant delta, nearest delta, nearest delta2, the last two optionally
// zstd-compressed) and whose values are mantissa * 10^scale.
// Thread-safety: free functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/decode.h"
#include "model/labels.h"
#include "storage/storage.h"
#include "util/status.h"

namespace sremon::ingest::native {

// lib/encoding MarshalType numbers.
enum class EncodingType : uint8_t {
  kZstdNearestDelta2 = 1,
  kDeltaConst = 2,
  kConst = 3,
  kZstdNearestDelta = 4,
  kNearestDelta2 = 5,
  kNearestDelta = 6,
};

// VictoriaMetrics' bounds: rows per block it writes (it reads up to twice as many), and the
// largest metric name or block of a stream.
inline constexpr size_t kMaxRowsPerBlock = 8192;
inline constexpr size_t kMaxReadRowsPerBlock = 2 * kMaxRowsPerBlock;
inline constexpr size_t kMaxFieldBytes = 1 << 20;

// Appends a (non-empty) int64 array encoded as VictoriaMetrics encodes it losslessly; returns
// its type and sets *first to the value the block header carries.
EncodingType EncodeInt64s(std::span<const int64_t> a, std::string* out, int64_t* first);
// Decodes n values (n >= 1) of an array; InvalidArgument naming what is wrong. Decompresses at
// most the 10 bytes per value that n varints can take.
Status DecodeInt64s(std::string_view data, uint8_t type, int64_t first, size_t n, std::vector<int64_t>* out);

// Decimal values: mantissa * 10^scale, with three reserved mantissas for +Inf, -Inf and the
// Prometheus staleness marker (lib/decimal). Float conversion is VictoriaMetrics' own
// (Go's math.Pow10), so both sides read a mantissa as the same double.
double DecimalToFloat(int64_t mantissa, int16_t scale);

// One decoded block.
struct Block {
  std::vector<model::Label> labels;  // __name__ first when the name is not empty
  std::vector<int64_t> timestamps;
  std::vector<double> values;
};

// Parses a marshalled metric name (name, then key/value pairs; 0/1/2 bytes escaped).
Status ParseMetricName(std::string_view data, std::vector<model::Label>* labels);
// Writes one with the labels in VictoriaMetrics' canonical order (job-like and instance-like
// names first, docs/format/vm_native.md), so the bytes equal its own.
void AppendMetricName(std::string* out, const model::Labels& labels);

// Parses a portable block (its whole encoding: no bytes may follow) into timestamps and values.
Status ParseBlock(std::string_view data, std::vector<int64_t>* timestamps, std::vector<double>* values);

// The stream's first 16 bytes: the time range the importer keeps samples of.
void AppendHeader(std::string* out, int64_t min_time, int64_t max_time);

// Appends one series as blocks of at most kMaxRowsPerBlock samples. Values are written exactly:
// a block holds consecutive samples whose values share a decimal scale without loss, so values
// that do not (1e300 next to 1e-300) go to separate blocks. NaN other than the staleness
// marker has no decimal form and is left out; -0 is written as 0, and magnitudes below about
// 1e-292, which VictoriaMetrics' arithmetic cannot reach exactly, as their nearest decimal.
// Labels go in VictoriaMetrics' order (AppendMetricName). REQUIRES: samples in time order.
void AppendSeries(std::string* out, const model::Labels& labels, std::span<const model::Sample> samples);

// Walks a stream block by block. A block whose content is malformed is reported and skipped
// (its framing is intact); a broken frame ends the stream.
class Reader {
 public:
  explicit Reader(std::string_view body) : rest_(body) {}
  // The header; call first. InvalidArgument when it is missing.
  Status ReadHeader();
  int64_t min_time() const { return min_time_; }
  int64_t max_time() const { return max_time_; }
  // Reads the next block into *block (samples outside the header's range left out). Returns
  // false at the end or on a broken frame (status() set); true with status() ok for a block,
  // true with status() not ok for a malformed block (skip it, keep reading).
  bool Next(Block* block);
  const Status& status() const { return status_; }
  size_t block_index() const { return index_; }  // 1-based, of the last block read

 private:
  std::string_view rest_;
  int64_t min_time_ = 0, max_time_ = 0;
  size_t index_ = 0;
  Status status_;
};

}  // namespace sremon::ingest::native

namespace sremon::ingest {

// /api/v1/import/native: every well-formed block is appended through FinishLabels/AppendOne;
// the first malformed block or frame is reported (a frame error stops the read).
ImportResult ImportNative(std::string_view body, const model::Labels& extra_labels, const Limits& limits,
                          storage::Appender* app);

}  // namespace sremon::ingest
