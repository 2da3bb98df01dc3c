#include "ingest/otlp_json.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "http/http.h"
#include "ingest/protowire.h"
#include "util/json.h"
#include "util/strings.h"

namespace sremon::ingest {
namespace {

using nlohmann::json;

// The decoder's one internal exception (the walk is recursive), caught in OtlpFromJson.
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
// Subtypes of the binary values (which JSON text cannot produce) that stand for a metric
// converted while parsing.
constexpr uint64_t kConvertedMetric = 0, kConvertedError = 1;

class Decoder {
 public:
  explicit Decoder(std::string* out) : out_(out) {}

  // One metric object of resourceMetrics[rm].scopeMetrics[sm].metrics[m] (the keys as spelled in
  // the body) as a binary value: its Metric message, or the error it would raise where it stands.
  static json ConvertMetric(const json& v, const std::string* keys[3], const int64_t index[3]) {
    std::string bytes;
    Decoder d(&bytes);
    for (int i = 0; i < 3; ++i) d.path_.push_back({keys[i], index[i]});
    try {
      d.Metric(v);
    } catch (const BadField& e) {
      return json::binary(std::vector<uint8_t>(e.message.begin(), e.message.end()), kConvertedError);
    }
    return json::binary(std::vector<uint8_t>(bytes.begin(), bytes.end()), kConvertedMetric);
  }

  void Request(const json& v) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "resourceMetrics") Elements(f, [&](const json& e) { Message(1, [&] { ResourceMetrics(e); }); });
    });
  }

 private:
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
        Elements(f, [&](const json& e) { Message(2, [&] { ScopeMetrics(e); }); });
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
        Elements(f, [&](const json& e) {
          if (!e.is_binary()) return Message(2, [&] { Metric(e); });
          // Converted while parsing (MetricsAsParsed): its bytes, or its error where it stands.
          const auto& b = e.get_binary();
          if (b.subtype() == kConvertedError) throw BadField{std::string(b.begin(), b.end())};
          protowire::AppendBytesField(out_, 2, std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
        });
      }
    });
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
      } else if (k == "gauge") {
        ++data;
        Message(5, [&] {
          Members(f, [&](const std::string& gk, const json& gf) {
            if (gk == "dataPoints") Elements(gf, [&](const json& e) { Message(1, [&] { NumberPoint(e); }); });
          });
        });
      } else if (k == "sum") {
        ++data;
        Message(7, [&] {
          Members(f, [&](const std::string& sk, const json& sf) {
            if (sk == "dataPoints") {
              Elements(sf, [&](const json& e) { Message(1, [&] { NumberPoint(e); }); });
            } else if (sk == "aggregationTemporality") {
              protowire::AppendVarintField(out_, 2, static_cast<uint64_t>(Temporality(sf)));
            } else if (sk == "isMonotonic") {
              protowire::AppendVarintField(out_, 3, Bool(sf));
            }
          });
        });
      } else if (k == "histogram") {
        ++data;
        Message(9, [&] {
          Members(f, [&](const std::string& hk, const json& hf) {
            if (hk == "dataPoints") {
              Elements(hf, [&](const json& e) { Message(1, [&] { HistogramPoint(e); }); });
            } else if (hk == "aggregationTemporality") {
              protowire::AppendVarintField(out_, 2, static_cast<uint64_t>(Temporality(hf)));
            }
          });
        });
      } else if (k == "exponentialHistogram") {
        ++data;
        Message(10, [&] {
          Members(f, [&](const std::string& hk, const json& hf) {
            if (hk == "aggregationTemporality") {
              protowire::AppendVarintField(out_, 2, static_cast<uint64_t>(Temporality(hf)));
            }
          });
        });
      } else if (k == "summary") {
        ++data;
        Message(11, [&] {
          Members(f, [&](const std::string& sk, const json& sf) {
            if (sk == "dataPoints") Elements(sf, [&](const json& e) { Message(1, [&] { SummaryPoint(e); }); });
          });
        });
      }
    });
    if (data > 1) FailHere("only one of gauge, sum, histogram, exponentialHistogram, summary");
  }

  void NumberPoint(const json& v) {
    int values = 0;
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "attributes") {
        Attributes(f, 7);
      } else if (k == "startTimeUnixNano") {
        U64(f);
      } else if (k == "timeUnixNano") {
        protowire::AppendFixed64Field(out_, 3, U64(f));
      } else if (k == "asDouble") {
        ++values;
        protowire::AppendDoubleField(out_, 4, F64(f));
      } else if (k == "asInt") {
        ++values;
        protowire::AppendFixed64Field(out_, 6, static_cast<uint64_t>(I64(f)));
      } else if (k == "flags") {
        protowire::AppendVarintField(out_, 8, U32(f));
      }
    });
    if (values > 1) FailHere("only one of asDouble, asInt");
  }

  void HistogramPoint(const json& v) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "attributes") {
        Attributes(f, 9);
      } else if (k == "startTimeUnixNano") {
        U64(f);
      } else if (k == "timeUnixNano") {
        protowire::AppendFixed64Field(out_, 3, U64(f));
      } else if (k == "count") {
        protowire::AppendFixed64Field(out_, 4, U64(f));
      } else if (k == "sum") {
        protowire::AppendDoubleField(out_, 5, F64(f));
      } else if (k == "bucketCounts") {
        Elements(f, [&](const json& e) { protowire::AppendFixed64Field(out_, 6, U64(e)); });
      } else if (k == "explicitBounds") {
        Elements(f, [&](const json& e) { protowire::AppendDoubleField(out_, 7, F64(e)); });
      } else if (k == "flags") {
        protowire::AppendVarintField(out_, 10, U32(f));
      }
    });
  }

  void SummaryPoint(const json& v) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "attributes") {
        Attributes(f, 7);
      } else if (k == "startTimeUnixNano") {
        U64(f);
      } else if (k == "timeUnixNano") {
        protowire::AppendFixed64Field(out_, 3, U64(f));
      } else if (k == "count") {
        protowire::AppendFixed64Field(out_, 4, U64(f));
      } else if (k == "sum") {
        protowire::AppendDoubleField(out_, 5, F64(f));
      } else if (k == "quantileValues") {
        Elements(f, [&](const json& e) {
          Message(6, [&] {
            Members(e, [&](const std::string& qk, const json& qf) {
              if (qk == "quantile") protowire::AppendDoubleField(out_, 1, F64(qf));
              if (qk == "value") protowire::AppendDoubleField(out_, 2, F64(qf));
            });
          });
        });
      } else if (k == "flags") {
        protowire::AppendVarintField(out_, 8, U32(f));
      }
    });
  }

  // Repeated KeyValue field `number`.
  void Attributes(const json& v, uint32_t number) {
    Elements(v, [&](const json& e) { Message(number, [&] { KeyValue(e, /*write=*/true); }); });
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
      if (k == "stringValue") {
        ++values;
        std::string s = Str(f);
        if (write) protowire::AppendBytesField(out_, 1, s);
      } else if (k == "boolValue") {
        ++values;
        bool b = Bool(f);
        if (write) protowire::AppendVarintField(out_, 2, b);
      } else if (k == "intValue") {
        ++values;
        int64_t n = I64(f);
        if (write) protowire::AppendVarintField(out_, 3, static_cast<uint64_t>(n));
      } else if (k == "doubleValue") {
        ++values;
        double d = F64(f);
        if (write) protowire::AppendDoubleField(out_, 4, d);
      } else if (k == "bytesValue") {
        ++values;
        Bytes(f);
      } else if (k == "arrayValue") {
        ++values;
        Members(f, [&](const std::string& ak, const json& af) {
          if (ak == "values") Elements(af, [&](const json& e) { AnyValue(e, false); });
        });
      } else if (k == "kvlistValue") {
        ++values;
        Members(f, [&](const std::string& lk, const json& lf) {
          if (lk == "values") Elements(lf, [&](const json& e) { KeyValue(e, false); });
        });
      }
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

// A SAX handler that builds the document as nlohmann's own does, except that each metric object
// (resourceMetrics[i].scopeMetrics[j].metrics[k]) is built apart and converted as soon as it is
// complete, its bytes standing in its place: the document never holds more than one metric as
// JSON values, which cost about ten times their text (docs/benchmarks.md).
class MetricsAsParsed {
 public:
  using Dom = nlohmann::detail::json_sax_dom_parser<json>;
  json root;

  bool null() { return Element([](Dom& d) { return d.null(); }); }
  bool boolean(bool v) { return Element([v](Dom& d) { return d.boolean(v); }); }
  bool number_integer(json::number_integer_t v) { return Element([v](Dom& d) { return d.number_integer(v); }); }
  bool number_unsigned(json::number_unsigned_t v) { return Element([v](Dom& d) { return d.number_unsigned(v); }); }
  bool number_float(json::number_float_t v, const std::string& s) {
    return Element([&](Dom& d) { return d.number_float(v, s); });
  }
  bool string(std::string& v) { return Element([&](Dom& d) { return d.string(v); }); }
  bool binary(json::binary_t& v) { return Element([&](Dom& d) { return d.binary(v); }); }
  bool start_object(size_t n) { return Open(false, [n](Dom& d) { return d.start_object(n); }); }
  bool start_array(size_t n) { return Open(true, [n](Dom& d) { return d.start_array(n); }); }
  bool key(std::string& k) {
    if (metric_dom_) return metric_dom_->key(k);
    levels_.back().key = k;
    return dom_.key(k);
  }
  bool end_object() { return Close([](Dom& d) { return d.end_object(); }); }
  bool end_array() { return Close([](Dom& d) { return d.end_array(); }); }
  template <typename Exception>
  bool parse_error(size_t, const std::string&, const Exception& e) {
    throw e;
  }

 private:
  struct Level {
    bool array = false;
    std::string key;     // an object's member being parsed (as spelled in the body)
    int64_t index = -1;  // an array's element being parsed
  };

  template <typename Fn>
  bool Element(Fn&& fn) {
    if (metric_dom_) return fn(*metric_dom_);
    if (!levels_.empty() && levels_.back().array) ++levels_.back().index;
    return fn(dom_);
  }
  template <typename Fn>
  bool Open(bool array, Fn&& fn) {
    if (metric_dom_) {
      ++metric_depth_;
      return fn(*metric_dom_);
    }
    if (!array && AtMetric()) {
      ++levels_.back().index;
      metric_ = json();
      metric_dom_.emplace(metric_);
      metric_depth_ = 1;
      return fn(*metric_dom_);
    }
    Element([](Dom&) { return true; });
    levels_.push_back({array, {}, -1});
    return fn(dom_);
  }
  template <typename Fn>
  bool Close(Fn&& fn) {
    if (metric_dom_) {
      bool ok = fn(*metric_dom_);
      if (--metric_depth_ > 0) return ok;
      metric_dom_.reset();
      const std::string* keys[3] = {&levels_[0].key, &levels_[2].key, &levels_[4].key};
      const int64_t index[3] = {levels_[1].index, levels_[3].index, levels_[5].index};
      json::binary_t converted = Decoder::ConvertMetric(metric_, keys, index).get_binary();
      metric_ = json();
      return ok && dom_.binary(converted);
    }
    levels_.pop_back();
    return fn(dom_);
  }
  // Whether an object starting now is at resourceMetrics[i].scopeMetrics[j].metrics[k].
  bool AtMetric() const {
    if (levels_.size() != 6) return false;
    auto member = [&](size_t i, std::string_view name) {
      return !levels_[i].array && CamelCase(levels_[i].key) == name;
    };
    return member(0, "resourceMetrics") && levels_[1].array && member(2, "scopeMetrics") && levels_[3].array &&
           member(4, "metrics") && levels_[5].array;
  }

  Dom dom_{root, true};
  std::vector<Level> levels_;  // the containers around the value being parsed
  json metric_;                // the metric being parsed, apart
  std::optional<Dom> metric_dom_;
  int metric_depth_ = 0;
};

}  // namespace

Status OtlpJsonToProtobuf(std::string_view body, std::string* out) {
  MetricsAsParsed doc;
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
