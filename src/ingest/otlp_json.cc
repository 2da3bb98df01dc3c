#include "ingest/otlp_json.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "http/http.h"
#include "ingest/protowire.h"
#include "util/json.h"
#include "util/strings.h"

namespace sremon::ingest {
namespace {

using nlohmann::json;

// The decoder's one internal exception (the walk is recursive), caught in OtlpJsonToProtobuf and
// Decoder::Convert.
struct BadField {
  std::string message;
};

// Integers above 2^53 written as JSON floats (1e19, 12345678901234567890.0) may already have been
// rounded by the parser: only the exact range is accepted in that form.
constexpr double kMaxExactDouble = 9007199254740992.0;  // 2^53

// A value, for errors: a quoted (shortened) string, a number, or the JSON type.
std::string Describe(const json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return s.size() > 64 ? Quote(s.substr(0, 64)) + "..." : Quote(s);
  }
  if (v.is_number()) return "the number " + v.dump();
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_boolean()) return "a boolean";
  return "null";
}

// "time_unix_nano" -> "timeUnixNano": protobuf's JSON name for a proto field name, so that
// either spelling of a key finds the field.
std::string CamelCase(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  bool upper = false;
  for (char c : key) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out.push_back(upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    upper = false;
  }
  return out;
}

template <typename Int>
bool ParseDecimal(const std::string& s, Int* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

// Writes the protobuf encoding of the request as it walks the document: field numbers are
// otlp.proto's. Only what the mapping reads is written (scope, descriptions, bytes, arrays and
// maps are checked and dropped: an attribute with such a value has no label text either way).
// The messages of the request, for the values that stand for one: what the parser converts as
// soon as it completes it (ConvertAsParsed), and what the Decoder expects where it finds one.
// "Unwritten": checked but not written (the members of array and map attribute values).
enum class Kind : uint8_t {
  kOther, kRequest, kResourceMetrics, kResource, kScopeMetrics, kScope, kMetric, kGauge, kSum, kHistogram,
  kExponentialHistogram, kSummary, kNumberPoint, kHistogramPoint, kSummaryPoint, kQuantile, kKeyValue, kAnyValue,
  kArrayValue, kKvList, kUnwrittenKeyValue, kUnwrittenAnyValue,
};

// Whether the Decoder reads member `key` (lowerCamelCase) of an object of `kind`: the others are
// ignored whatever they hold, so the parser need not keep them. kOther: not known, kept.
bool Reads(Kind kind, std::string_view key) {
  using enum Kind;
  auto any = [&](std::initializer_list<std::string_view> keys) {
    for (std::string_view k : keys) {
      if (k == key) return true;
    }
    return false;
  };
  switch (kind) {
    case kRequest: return key == "resourceMetrics";
    case kResourceMetrics: return any({"resource", "scopeMetrics"});
    case kResource: return key == "attributes";
    case kScopeMetrics: return any({"scope", "metrics"});
    case kScope: return any({"name", "version"});
    case kMetric: return any({"name", "description", "unit", "gauge", "sum", "histogram", "exponentialHistogram", "summary"});
    case kGauge: return key == "dataPoints";
    case kSum: return any({"dataPoints", "aggregationTemporality", "isMonotonic"});
    case kHistogram: return any({"dataPoints", "aggregationTemporality"});
    case kExponentialHistogram: return key == "aggregationTemporality";
    case kSummary: return key == "dataPoints";
    case kNumberPoint: return any({"attributes", "startTimeUnixNano", "timeUnixNano", "asDouble", "asInt", "flags"});
    case kHistogramPoint:
      return any({"attributes", "startTimeUnixNano", "timeUnixNano", "count", "sum", "bucketCounts", "explicitBounds", "flags"});
    case kSummaryPoint:
      return any({"attributes", "startTimeUnixNano", "timeUnixNano", "count", "sum", "quantileValues", "flags"});
    case kQuantile: return any({"quantile", "value"});
    case kKeyValue: case kUnwrittenKeyValue: return any({"key", "value"});
    case kAnyValue: case kUnwrittenAnyValue:
      return any({"stringValue", "boolValue", "intValue", "doubleValue", "bytesValue", "arrayValue", "kvlistValue"});
    case kArrayValue: case kKvList: return key == "values";
    case kOther: return true;
  }
  return true;
}

// The kind of the object under member `key` (lowerCamelCase) of a `parent` object, or of the
// elements of the array there (in_array): otlp.proto's structure as the Decoder walks it.
Kind ChildKind(Kind parent, std::string_view key, bool in_array) {
  using enum Kind;
  auto member = [&](std::string_view k, Kind kind) { return key == k && !in_array ? kind : kOther; };
  auto elements = [&](std::string_view k, Kind kind) { return key == k && in_array ? kind : kOther; };
  switch (parent) {
    case kRequest: return elements("resourceMetrics", kResourceMetrics);
    case kResourceMetrics:
      return key == "resource" ? member("resource", kResource) : elements("scopeMetrics", kScopeMetrics);
    case kResource: return elements("attributes", kKeyValue);
    case kScopeMetrics: return key == "scope" ? member("scope", kScope) : elements("metrics", kMetric);
    case kMetric:
      if (key == "gauge") return member("gauge", kGauge);
      if (key == "sum") return member("sum", kSum);
      if (key == "histogram") return member("histogram", kHistogram);
      if (key == "exponentialHistogram") return member("exponentialHistogram", kExponentialHistogram);
      return member("summary", kSummary);
    case kGauge: case kSum: return elements("dataPoints", kNumberPoint);
    case kHistogram: return elements("dataPoints", kHistogramPoint);
    case kSummary: return elements("dataPoints", kSummaryPoint);
    case kNumberPoint: case kHistogramPoint: return elements("attributes", kKeyValue);
    case kSummaryPoint:
      return key == "attributes" ? elements("attributes", kKeyValue) : elements("quantileValues", kQuantile);
    case kKeyValue: return member("value", kAnyValue);
    case kUnwrittenKeyValue: return member("value", kUnwrittenAnyValue);
    case kAnyValue: case kUnwrittenAnyValue:
      return key == "arrayValue" ? member("arrayValue", kArrayValue) : member("kvlistValue", kKvList);
    case kArrayValue: return elements("values", kUnwrittenAnyValue);
    case kKvList: return elements("values", kUnwrittenKeyValue);
    default: return kOther;
  }
}

// The members of Metric's `data` oneof: their Metric field number, the kind of their dataPoints
// (kOther: none read) and whether they have aggregationTemporality and isMonotonic.
struct DataMember {
  std::string_view key;
  uint32_t number;
  Kind points;
  bool temporality;
  bool monotonic;
};
constexpr DataMember kDataMembers[] = {
    {"gauge", 5, Kind::kNumberPoint, false, false},
    {"sum", 7, Kind::kNumberPoint, true, true},
    {"histogram", 9, Kind::kHistogramPoint, true, false},
    {"exponentialHistogram", 10, Kind::kOther, true, false},
    {"summary", 11, Kind::kSummaryPoint, false, false},
};

class Decoder {
 public:
  explicit Decoder(std::string* out) : out_(out) {}

  void Request(const json& v) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "resourceMetrics") Repeated(f, Kind::kResourceMetrics, 1, [&](const json& e) { ResourceMetrics(e); });
    });
  }

  // Converts element v of a repeated field of `kind` at `path` (as in Where()) and appends it to
  // *frames as field 1, or its error as field 2. REQUIRES: the keys outlive the call.
  static void Convert(const json& v, Kind kind, const std::vector<std::pair<const std::string*, int64_t>>& path,
                      std::string* frames) {
    std::string bytes;
    Decoder d(&bytes);
    for (const auto& [key, index] : path) d.path_.push_back({key, index});
    try {
      d.Decode(kind, v);
    } catch (const BadField& e) {
      protowire::AppendBytesField(frames, 2, e.message);
      return;
    }
    protowire::AppendBytesField(frames, 1, bytes);
  }

 private:
  // A repeated message field of `kind`: each element decoded by fn(element) as field `number`
  // (0: nothing written) or, when the parser converted the elements as it read them
  // (ConvertAsParsed), their bytes, then their first error where it stands.
  template <typename Fn>
  void Repeated(const json& v, Kind kind, uint32_t number, Fn&& fn) {
    if (!v.is_binary()) {
      return Elements(v, [&](const json& e) {
        if (number == 0) return fn(e);
        Message(number, [&] { fn(e); });
      });
    }
    const auto& b = v.get_binary();
    std::string_view frames(reinterpret_cast<const char*>(b.data()), b.size());
    protowire::Reader r(frames);  // each element as field 1 of the frames
    protowire::Field f;
    while (r.Next(&f)) {
      if (f.number == 1 && number != 0) protowire::AppendBytesField(out_, number, f.bytes);
      if (f.number == 2) throw BadField{std::string(f.bytes)};
    }
    if (b.subtype() != static_cast<uint64_t>(kind) || !r.ok()) throw BadField{"elements converted as the wrong kind (a bug)"};
  }

  // A nested message: field `number` whose content fn writes.
  template <typename Fn>
  void Message(uint32_t number, Fn&& fn) {
    size_t mark = protowire::BeginMessage(out_, number);
    fn();
    protowire::EndMessage(out_, mark);
  }

  void ResourceMetrics(const json& v) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "resource") {
        Message(1, [&] {
          Members(f, [&](const std::string& rk, const json& rf) {
            if (rk == "attributes") Attributes(rf, 1);
          });
        });
      } else if (k == "scopeMetrics") {
        Repeated(f, Kind::kScopeMetrics, 2, [&](const json& e) { ScopeMetrics(e); });
      }
    });
  }

  void ScopeMetrics(const json& v) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "scope") {
        Members(f, [&](const std::string& sk, const json& sf) {
          if (sk == "name" || sk == "version") Str(sf);
        });
      } else if (k == "metrics") {
        Repeated(f, Kind::kMetric, 2, [&](const json& e) { Metric(e); });
      }
    });
  }

  // Decodes v as a message of `kind`. REQUIRES: a kind ConvertAsParsed converts.
  void Decode(Kind kind, const json& v) {
    switch (kind) {
      case Kind::kResourceMetrics: ResourceMetrics(v); break;
      case Kind::kScopeMetrics: ScopeMetrics(v); break;
      case Kind::kMetric: Metric(v); break;
      case Kind::kNumberPoint: NumberPoint(v); break;
      case Kind::kHistogramPoint: HistogramPoint(v); break;
      case Kind::kSummaryPoint: SummaryPoint(v); break;
      case Kind::kQuantile: Quantile(v); break;
      case Kind::kKeyValue: KeyValue(v, true); break;
      case Kind::kUnwrittenKeyValue: KeyValue(v, false); break;
      case Kind::kUnwrittenAnyValue: AnyValue(v, false); break;
      default: break;
    }
  }

  void Metric(const json& v) {
    int data = 0;  // members of the `data` oneof seen
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "name") {
        protowire::AppendBytesField(out_, 1, Str(f));
      } else if (k == "description") {
        Str(f);
      } else if (k == "unit") {
        protowire::AppendBytesField(out_, 3, Str(f));
      } else {
        for (const DataMember& d : kDataMembers) {
          if (k != d.key) continue;
          ++data;
          Message(d.number, [&] { Data(f, d); });
        }
      }
    });
    if (data > 1) FailHere("only one of gauge, sum, histogram, exponentialHistogram, summary");
  }

  // A Gauge, Sum, Histogram, ExponentialHistogram or Summary: the members `d` says it has.
  void Data(const json& v, const DataMember& d) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "dataPoints" && d.points != Kind::kOther) {
        Repeated(f, d.points, 1, [&](const json& e) { Decode(d.points, e); });
      } else if (k == "aggregationTemporality" && d.temporality) {
        protowire::AppendVarintField(out_, 2, static_cast<uint64_t>(Temporality(f)));
      } else if (k == "isMonotonic" && d.monotonic) {
        protowire::AppendVarintField(out_, 3, Bool(f));
      }
    });
  }

  // A member that every data point message has: attributes (field `attributes`),
  // startTimeUnixNano (checked, not written), timeUnixNano (3) and flags (field `flags`); with
  // `count_sum` (histograms and summaries) also count (4) and sum (5). False for the others.
  bool PointMember(const std::string& k, const json& f, uint32_t attributes, uint32_t flags, bool count_sum) {
    if (k == "attributes") {
      Attributes(f, attributes);
    } else if (k == "startTimeUnixNano") {
      U64(f);
    } else if (k == "timeUnixNano") {
      protowire::AppendFixed64Field(out_, 3, U64(f));
    } else if (k == "flags") {
      protowire::AppendVarintField(out_, flags, U32(f));
    } else if (count_sum && k == "count") {
      protowire::AppendFixed64Field(out_, 4, U64(f));
    } else if (count_sum && k == "sum") {
      protowire::AppendDoubleField(out_, 5, F64(f));
    } else {
      return false;
    }
    return true;
  }

  void NumberPoint(const json& v) {
    int values = 0;
    Members(v, [&](const std::string& k, const json& f) {
      if (PointMember(k, f, /*attributes=*/7, /*flags=*/8, /*count_sum=*/false)) return;
      if (k == "asDouble") {
        ++values;
        protowire::AppendDoubleField(out_, 4, F64(f));
      } else if (k == "asInt") {
        ++values;
        protowire::AppendFixed64Field(out_, 6, static_cast<uint64_t>(I64(f)));
      }
    });
    if (values > 1) FailHere("only one of asDouble, asInt");
  }

  void HistogramPoint(const json& v) {
    Members(v, [&](const std::string& k, const json& f) {
      if (PointMember(k, f, /*attributes=*/9, /*flags=*/10, /*count_sum=*/true)) return;
      if (k == "bucketCounts") {
        Elements(f, [&](const json& e) { protowire::AppendFixed64Field(out_, 6, U64(e)); });
      } else if (k == "explicitBounds") {
        Elements(f, [&](const json& e) { protowire::AppendDoubleField(out_, 7, F64(e)); });
      }
    });
  }

  void SummaryPoint(const json& v) {
    Members(v, [&](const std::string& k, const json& f) {
      if (PointMember(k, f, /*attributes=*/7, /*flags=*/8, /*count_sum=*/true)) return;
      if (k == "quantileValues") Repeated(f, Kind::kQuantile, 6, [&](const json& e) { Quantile(e); });
    });
  }

  void Quantile(const json& v) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "quantile") protowire::AppendDoubleField(out_, 1, F64(f));
      if (k == "value") protowire::AppendDoubleField(out_, 2, F64(f));
    });
  }

  // Repeated KeyValue field `number`.
  void Attributes(const json& v, uint32_t number) {
    Repeated(v, Kind::kKeyValue, number, [&](const json& e) { KeyValue(e, /*write=*/true); });
  }

  void KeyValue(const json& v, bool write) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "key") {
        std::string key = Str(f);
        if (write) protowire::AppendBytesField(out_, 1, key);
      }
      if (k == "value") {
        if (write) {
          Message(2, [&] { AnyValue(f, true); });
        } else {
          AnyValue(f, false);
        }
      }
    });
  }

  // Array and kvlist values nest, bounded by ParseJson's depth limit. Only scalars are written
  // (when `write`): the others are a label without text, as an AnyValue without a member.
  void AnyValue(const json& v, bool write) {
    int values = 0;
    Members(v, [&](const std::string& k, const json& f) {
      std::string scalar;  // a scalar member's encoding, checked always, written only with `write`
      if (k == "stringValue") {
        protowire::AppendBytesField(&scalar, 1, Str(f));
      } else if (k == "boolValue") {
        protowire::AppendVarintField(&scalar, 2, Bool(f));
      } else if (k == "intValue") {
        protowire::AppendVarintField(&scalar, 3, static_cast<uint64_t>(I64(f)));
      } else if (k == "doubleValue") {
        protowire::AppendDoubleField(&scalar, 4, F64(f));
      } else if (k == "bytesValue") {
        Bytes(f);
      } else if (k == "arrayValue") {
        Members(f, [&](const std::string& ak, const json& af) {
          if (ak == "values") Repeated(af, Kind::kUnwrittenAnyValue, 0, [&](const json& e) { AnyValue(e, false); });
        });
      } else if (k == "kvlistValue") {
        Members(f, [&](const std::string& lk, const json& lf) {
          if (lk == "values") Repeated(lf, Kind::kUnwrittenKeyValue, 0, [&](const json& e) { KeyValue(e, false); });
        });
      } else {
        return;  // not a member of the `value` oneof
      }
      ++values;
      if (write) out_->append(scalar);
    });
    if (values > 1)
      FailHere(
          "only one of stringValue, boolValue, intValue, doubleValue, arrayValue, kvlistValue, bytesValue");
  }

  // Scalars.
  std::string Str(const json& v) {
    if (!v.is_string()) Fail("a string", v);
    return v.get<std::string>();
  }
  bool Bool(const json& v) {
    if (!v.is_boolean()) Fail("true or false", v);
    return v.get<bool>();
  }
  uint64_t U64(const json& v) {
    uint64_t n = 0;
    if (!ToU64(v, &n)) Fail("an unsigned 64-bit integer (a decimal string or a number)", v);
    return n;
  }
  uint32_t U32(const json& v) {
    uint64_t n = 0;
    if (!ToU64(v, &n) || n > UINT32_MAX) Fail("an unsigned 32-bit integer", v);
    return static_cast<uint32_t>(n);
  }
  static bool ToU64(const json& v, uint64_t* n) {
    if (v.is_number_unsigned()) {
      *n = v.get<uint64_t>();
      return true;
    }
    if (v.is_number_integer()) {
      *n = static_cast<uint64_t>(v.get<int64_t>());
      return v.get<int64_t>() >= 0;
    }
    if (v.is_number_float()) {
      double d = v.get<double>();
      *n = static_cast<uint64_t>(d >= 0 && d <= kMaxExactDouble ? d : 0);
      return d >= 0 && d <= kMaxExactDouble && d == std::floor(d);
    }
    return v.is_string() && ParseDecimal(v.get_ref<const std::string&>(), n);
  }
  int64_t I64(const json& v) {
    int64_t n = 0;
    if (v.is_number_unsigned()) {
      if (v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX))
        return static_cast<int64_t>(v.get<uint64_t>());
    } else if (v.is_number_integer()) {
      return v.get<int64_t>();
    } else if (v.is_number_float()) {
      double d = v.get<double>();
      if (std::fabs(d) <= kMaxExactDouble && d == std::floor(d)) return static_cast<int64_t>(d);
    } else if (v.is_string() && ParseDecimal(v.get_ref<const std::string&>(), &n)) {
      return n;
    }
    Fail("a signed 64-bit integer (a decimal string or a number)", v);
  }
  double F64(const json& v) {
    if (v.is_number()) return v.get<double>();
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
      if (s == "Infinity") return std::numeric_limits<double>::infinity();
      if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
      double d = 0;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return d;
    }
    Fail("a double (a number, \"NaN\", \"Infinity\" or \"-Infinity\")", v);
  }
  std::string Bytes(const json& v) {
    if (v.is_string()) {
      std::string s = v.get<std::string>();
      for (char& c : s) {  // URL-safe base64 as standard
        if (c == '-') c = '+';
        if (c == '_') c = '/';
      }
      auto decoded = http::Base64Decode(s);
      if (decoded.ok()) return std::move(decoded).value();
    }
    Fail("base64 bytes", v);
  }
  int32_t Temporality(const json& v) {
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (s == "AGGREGATION_TEMPORALITY_UNSPECIFIED") return 0;
      if (s == "AGGREGATION_TEMPORALITY_DELTA") return 1;
      if (s == "AGGREGATION_TEMPORALITY_CUMULATIVE") return 2;
    } else if (v.is_number_integer()) {
      int64_t n = v.is_number_unsigned() && v.get<uint64_t>() > INT32_MAX ? INT64_MAX : v.get<int64_t>();
      // proto3 enums are open: an unknown number is kept, and the mapping refuses it as not cumulative.
      if (n >= INT32_MIN && n <= INT32_MAX) return static_cast<int32_t>(n);
    }
    Fail("an aggregation temporality (0, 1 or 2)", v);
  }

  // Walks an object's members (null: an empty message), each with its key in lowerCamelCase;
  // null members are unset fields.
  template <typename Fn>
  void Members(const json& v, Fn&& fn) {
    if (v.is_null()) return;
    if (!v.is_object()) Fail("an object", v);
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it->is_null()) continue;
      path_.push_back({&it.key(), -1});
      fn(CamelCase(it.key()), *it);
      path_.pop_back();
    }
  }
  // REQUIRES: inside Members (the array is the current member).
  template <typename Fn>
  void Elements(const json& v, Fn&& fn) {
    if (!v.is_array()) Fail("an array", v);
    for (size_t i = 0; i < v.size(); ++i) {
      path_.back().index = static_cast<int64_t>(i);
      fn(v[i]);
    }
    path_.back().index = -1;
  }

  [[noreturn]] void Fail(std::string_view want, const json& got) {
    throw BadField{fmt::format("{}: want {}, got {}", Where(), want, Describe(got))};
  }
  [[noreturn]] void FailHere(std::string_view want) {
    throw BadField{fmt::format("{}: want {}", Where(), want)};
  }
  // The field being decoded: "resourceMetrics[0].scopeMetrics[0].metrics[2].name". Keys on the
  // path are always field names we know (unknown members are never entered).
  std::string Where() const {
    std::string out;
    for (const Step& s : path_) {
      if (!out.empty()) out += '.';
      out += *s.key;
      if (s.index >= 0) out += fmt::format("[{}]", s.index);
    }
    return out.empty() ? "the body" : out;
  }

  struct Step {
    const std::string* key;  // owned by the document being walked
    int64_t index;           // in the array under key, or -1
  };
  std::vector<Step> path_;
  std::string* out_;
};

// A SAX handler that builds the document as nlohmann's own does, except for the repeated message
// fields (resourceMetrics, scopeMetrics, metrics, dataPoints, attributes, quantileValues, array
// and map values): each element is converted as soon as it is complete and only its bytes are
// kept, the array becoming one binary value (which JSON text cannot produce) of the elements'
// frames for Decoder::Repeated. The document then never holds more than one element's JSON
// values at each level, where whole it costs up to thirty times its text (an empty object: ~80
// bytes for 3). A hand-rolled stack rather than nlohmann's callback parser, which scans the parent
// array on each completed object (quadratic in a long array).
class ConvertAsParsed {
 public:
  json root;

  bool null() { return Scalar(nullptr); }
  bool boolean(bool v) { return Scalar(v); }
  bool number_integer(json::number_integer_t v) { return Scalar(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Scalar(v); }
  bool number_float(json::number_float_t v, const std::string&) { return Scalar(v); }
  bool string(std::string& v) { return Scalar(std::move(v)); }
  bool binary(json::binary_t& v) { return Scalar(std::move(v)); }
  bool start_object(size_t) { return Open(json::object(), false); }
  bool start_array(size_t) { return Open(json::array(), true); }
  bool key(std::string& k) {
    if (skip_depth_ > 0) return true;
    Level& l = levels_.back();
    // A member the Decoder ignores (exemplars, schemaUrl, future fields) is not kept at all.
    skip_value_ = !Reads(l.kind, CamelCase(k));
    l.key = std::move(k);
    return true;
  }
  bool end_object() { return Close(); }
  bool end_array() {
    if (skip_depth_ > 0) return Close();
    Level& l = levels_.back();
    if (l.converting) *l.value = json::binary(std::vector<uint8_t>(l.frames.begin(), l.frames.end()), static_cast<uint64_t>(l.kind));
    return Close();
  }
  template <typename Exception>
  bool parse_error(size_t, const std::string&, const Exception& e) {
    throw e;
  }

 private:
  struct Level {
    json* value;          // the container being built
    bool array;
    Kind kind;            // an object's; for an array, its elements'
    bool converting;      // an array whose elements are converted as they complete
    std::string key;      // an object's member being parsed (as spelled in the body)
    int64_t index = -1;   // an array's element being parsed
    std::string frames;   // converting: the elements so far (Decoder::Convert)
    bool failed = false;  // converting: an element's error is in frames (the rest are not converted)
  };

  static bool Converts(Kind k) {
    switch (k) {
      case Kind::kResourceMetrics: case Kind::kScopeMetrics: case Kind::kMetric: case Kind::kNumberPoint:
      case Kind::kHistogramPoint: case Kind::kSummaryPoint: case Kind::kQuantile: case Kind::kKeyValue:
      case Kind::kUnwrittenKeyValue: case Kind::kUnwrittenAnyValue:
        return true;
      default:
        return false;
    }
  }

  // Element `v` of the converting array levels_[n - 1] (the containers around it: levels_[0, n)).
  void Convert(size_t n, const json& v) {
    Level& array = levels_[n - 1];
    if (array.failed) return;  // the walk stops at the first error
    std::vector<std::pair<const std::string*, int64_t>> path;
    for (size_t i = 0; i < n; ++i) {
      if (!levels_[i].array) path.push_back({&levels_[i].key, i + 1 < n && levels_[i + 1].array ? levels_[i + 1].index : -1});
    }
    size_t before = array.frames.size();
    Decoder::Convert(v, array.kind, path, &array.frames);
    array.failed = static_cast<uint8_t>(array.frames[before]) == (2 << 3 | protowire::kLen);
  }

  // Adds v where the parser stands; returns it, or nullptr when it was converted.
  json* Add(json&& v, bool container) {
    if (levels_.empty()) {
      root = std::move(v);
      return &root;
    }
    Level& l = levels_.back();
    if (l.array) {
      ++l.index;
      if (l.converting && !container) {
        Convert(levels_.size(), v);
        return nullptr;
      }
      auto& a = l.value->get_ref<json::array_t&>();
      a.push_back(std::move(v));
      return &a.back();
    }
    json& slot = l.value->get_ref<json::object_t&>()[l.key];  // a repeated key: the last wins
    slot = std::move(v);
    return &slot;
  }
  bool Scalar(json&& v) {
    if (skip_depth_ > 0 || std::exchange(skip_value_, false)) return true;
    Add(std::move(v), false);
    return true;
  }
  bool Open(json&& container, bool array) {
    if (skip_depth_ > 0 || std::exchange(skip_value_, false)) {
      ++skip_depth_;
      return true;
    }
    Kind kind = Kind::kRequest;
    if (!levels_.empty()) {
      const Level& p = levels_.back();
      kind = p.array ? (array ? Kind::kOther : p.kind) : ChildKind(p.kind, CamelCase(p.key), array);
    } else if (array) {
      kind = Kind::kOther;
    }
    json* v = Add(std::move(container), true);
    levels_.push_back({v, array, kind, array && Converts(kind), {}, -1, {}, false});
    return true;
  }
  // The container at the top is complete: an element of a converting array is converted and
  // dropped from it.
  bool Close() {
    if (skip_depth_ > 0) {
      --skip_depth_;
      return true;
    }
    size_t n = levels_.size();
    if (n >= 2 && levels_[n - 2].converting) {
      Convert(n - 1, *levels_[n - 1].value);
      levels_[n - 2].value->get_ref<json::array_t&>().pop_back();
    }
    levels_.pop_back();
    return true;
  }

  std::vector<Level> levels_;  // the containers around the value being parsed
  bool skip_value_ = false;    // the next value is an ignored member's
  int skip_depth_ = 0;         // > 0: inside an ignored member's value
};

}  // namespace

Status OtlpJsonToProtobuf(std::string_view body, std::string* out) {
  ConvertAsParsed doc;
  if (Status st = SaxParseJson(body, &doc); !st.ok()) return st.WithContext("cannot parse the OTLP/JSON body");
  try {
    Decoder(out).Request(doc.root);
  } catch (const BadField& e) {
    out->clear();
    return Status::InvalidArgument("cannot parse the OTLP/JSON body: " + e.message);
  }
  return Status::Ok();
}

}  // namespace sremon::ingest
