#include "ingest/otlp_json.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "http/http.h"
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

class Decoder {
 public:
  void Request(const json& v, otlp::ExportMetricsServiceRequest* out) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "resourceMetrics")
        Elements(f, [&](const json& e) { ResourceMetrics(e, out->add_resource_metrics()); });
    });
  }

 private:
  void ResourceMetrics(const json& v, otlp::ResourceMetrics* out) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "resource") {
        Members(f, [&](const std::string& rk, const json& rf) {
          if (rk == "attributes") Attributes(rf, out->mutable_resource()->mutable_attributes());
        });
      } else if (k == "scopeMetrics") {
        Elements(f, [&](const json& e) { ScopeMetrics(e, out->add_scope_metrics()); });
      }
    });
  }

  void ScopeMetrics(const json& v, otlp::ScopeMetrics* out) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "scope") {
        Members(f, [&](const std::string& sk, const json& sf) {
          if (sk == "name") out->mutable_scope()->set_name(Str(sf));
          if (sk == "version") out->mutable_scope()->set_version(Str(sf));
        });
      } else if (k == "metrics") {
        Elements(f, [&](const json& e) { Metric(e, out->add_metrics()); });
      }
    });
  }

  void Metric(const json& v, otlp::Metric* out) {
    int data = 0;  // members of the `data` oneof seen
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "name") {
        out->set_name(Str(f));
      } else if (k == "description") {
        out->set_description(Str(f));
      } else if (k == "unit") {
        out->set_unit(Str(f));
      } else if (k == "gauge") {
        ++data;
        auto* g = out->mutable_gauge();
        Members(f, [&](const std::string& gk, const json& gf) {
          if (gk == "dataPoints") Elements(gf, [&](const json& e) { NumberPoint(e, g->add_data_points()); });
        });
      } else if (k == "sum") {
        ++data;
        auto* s = out->mutable_sum();
        Members(f, [&](const std::string& sk, const json& sf) {
          if (sk == "dataPoints") {
            Elements(sf, [&](const json& e) { NumberPoint(e, s->add_data_points()); });
          } else if (sk == "aggregationTemporality") {
            s->set_aggregation_temporality(Temporality(sf));
          } else if (sk == "isMonotonic") {
            s->set_is_monotonic(Bool(sf));
          }
        });
      } else if (k == "histogram") {
        ++data;
        auto* h = out->mutable_histogram();
        Members(f, [&](const std::string& hk, const json& hf) {
          if (hk == "dataPoints") {
            Elements(hf, [&](const json& e) { HistogramPoint(e, h->add_data_points()); });
          } else if (hk == "aggregationTemporality") {
            h->set_aggregation_temporality(Temporality(hf));
          }
        });
      } else if (k == "exponentialHistogram") {
        ++data;
        auto* h = out->mutable_exponential_histogram();
        Members(f, [&](const std::string& hk, const json& hf) {
          if (hk == "aggregationTemporality") h->set_aggregation_temporality(Temporality(hf));
        });
      } else if (k == "summary") {
        ++data;
        auto* s = out->mutable_summary();
        Members(f, [&](const std::string& sk, const json& sf) {
          if (sk == "dataPoints") Elements(sf, [&](const json& e) { SummaryPoint(e, s->add_data_points()); });
        });
      }
    });
    if (data > 1) FailHere("only one of gauge, sum, histogram, exponentialHistogram, summary");
  }

  void NumberPoint(const json& v, otlp::NumberDataPoint* out) {
    int values = 0;
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "attributes") {
        Attributes(f, out->mutable_attributes());
      } else if (k == "startTimeUnixNano") {
        out->set_start_time_unix_nano(U64(f));
      } else if (k == "timeUnixNano") {
        out->set_time_unix_nano(U64(f));
      } else if (k == "asDouble") {
        ++values;
        out->set_as_double(F64(f));
      } else if (k == "asInt") {
        ++values;
        out->set_as_int(I64(f));
      } else if (k == "flags") {
        out->set_flags(U32(f));
      }
    });
    if (values > 1) FailHere("only one of asDouble, asInt");
  }

  void HistogramPoint(const json& v, otlp::HistogramDataPoint* out) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "attributes") {
        Attributes(f, out->mutable_attributes());
      } else if (k == "startTimeUnixNano") {
        out->set_start_time_unix_nano(U64(f));
      } else if (k == "timeUnixNano") {
        out->set_time_unix_nano(U64(f));
      } else if (k == "count") {
        out->set_count(U64(f));
      } else if (k == "sum") {
        out->set_sum(F64(f));
      } else if (k == "bucketCounts") {
        Elements(f, [&](const json& e) { out->add_bucket_counts(U64(e)); });
      } else if (k == "explicitBounds") {
        Elements(f, [&](const json& e) { out->add_explicit_bounds(F64(e)); });
      } else if (k == "flags") {
        out->set_flags(U32(f));
      }
    });
  }

  void SummaryPoint(const json& v, otlp::SummaryDataPoint* out) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "attributes") {
        Attributes(f, out->mutable_attributes());
      } else if (k == "startTimeUnixNano") {
        out->set_start_time_unix_nano(U64(f));
      } else if (k == "timeUnixNano") {
        out->set_time_unix_nano(U64(f));
      } else if (k == "count") {
        out->set_count(U64(f));
      } else if (k == "sum") {
        out->set_sum(F64(f));
      } else if (k == "quantileValues") {
        Elements(f, [&](const json& e) {
          auto* q = out->add_quantile_values();
          Members(e, [&](const std::string& qk, const json& qf) {
            if (qk == "quantile") q->set_quantile(F64(qf));
            if (qk == "value") q->set_value(F64(qf));
          });
        });
      } else if (k == "flags") {
        out->set_flags(U32(f));
      }
    });
  }

  void Attributes(const json& v, google::protobuf::RepeatedPtrField<otlp::KeyValue>* out) {
    Elements(v, [&](const json& e) { KeyValue(e, out->Add()); });
  }

  void KeyValue(const json& v, otlp::KeyValue* out) {
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "key") out->set_key(Str(f));
      if (k == "value") AnyValue(f, out->mutable_value());
    });
  }

  // Array and kvlist values nest, bounded by ParseJson's depth limit.
  void AnyValue(const json& v, otlp::AnyValue* out) {
    int values = 0;
    Members(v, [&](const std::string& k, const json& f) {
      if (k == "stringValue") {
        ++values;
        out->set_string_value(Str(f));
      } else if (k == "boolValue") {
        ++values;
        out->set_bool_value(Bool(f));
      } else if (k == "intValue") {
        ++values;
        out->set_int_value(I64(f));
      } else if (k == "doubleValue") {
        ++values;
        out->set_double_value(F64(f));
      } else if (k == "bytesValue") {
        ++values;
        out->set_bytes_value(Bytes(f));
      } else if (k == "arrayValue") {
        ++values;
        auto* a = out->mutable_array_value();
        Members(f, [&](const std::string& ak, const json& af) {
          if (ak == "values") Elements(af, [&](const json& e) { AnyValue(e, a->add_values()); });
        });
      } else if (k == "kvlistValue") {
        ++values;
        auto* l = out->mutable_kvlist_value();
        Members(f, [&](const std::string& lk, const json& lf) {
          if (lk == "values") Elements(lf, [&](const json& e) { KeyValue(e, l->add_values()); });
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
  otlp::AggregationTemporality Temporality(const json& v) {
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (s == "AGGREGATION_TEMPORALITY_UNSPECIFIED") return otlp::AGGREGATION_TEMPORALITY_UNSPECIFIED;
      if (s == "AGGREGATION_TEMPORALITY_DELTA") return otlp::AGGREGATION_TEMPORALITY_DELTA;
      if (s == "AGGREGATION_TEMPORALITY_CUMULATIVE") return otlp::AGGREGATION_TEMPORALITY_CUMULATIVE;
    } else if (v.is_number_integer()) {
      int64_t n = v.is_number_unsigned() && v.get<uint64_t>() > INT32_MAX ? INT64_MAX : v.get<int64_t>();
      // proto3 enums are open: an unknown number is kept, and the mapping refuses it as not cumulative.
      if (n >= INT32_MIN && n <= INT32_MAX) return static_cast<otlp::AggregationTemporality>(n);
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
};

}  // namespace

Status OtlpFromJson(std::string_view body, otlp::ExportMetricsServiceRequest* req) {
  auto doc = ParseJson(body);
  if (!doc.ok()) return doc.status().WithContext("cannot parse the OTLP/JSON body");
  try {
    Decoder().Request(*doc, req);
  } catch (const BadField& e) {
    return Status::InvalidArgument("cannot parse the OTLP/JSON body: " + e.message);
  }
  return Status::Ok();
}

}  // namespace sremon::ingest
