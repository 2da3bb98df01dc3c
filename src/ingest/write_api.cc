#include "ingest/write_api.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "http/access.h"
#include "http/status_code.h"
#include "ingest/csv.h"
#include "ingest/influx.h"
#include "ingest/native.h"
#include "ingest/otlp.h"
#include "ingest/protowire.h"
#include "obs/metrics.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::ingest {
namespace {

// Every protocol's write counters, registered at 0 up front so that rates exist before the
// first write (CountWrite counts; nothing else touches these families).
constexpr const char* kInsertTypes[] = {"prometheus", "promremotewrite", "vmimport", "csvimport",
                                        "influx",     "opentelemetry",   "graphite", "native"};

// Samples and failed writes by protocol, under VictoriaMetrics' names (the dashboards use them)
// and sremon's own; both families are counted here, together, so they always agree.
struct InsertCounters {
  prometheus::Counter& rows_vm;
  prometheus::Counter& rows;
  prometheus::Counter& errors_vm;
  prometheus::Counter& errors;
};

InsertCounters Counters(const std::string& type) {
  auto family = [](const char* name, const char* help) -> prometheus::Family<prometheus::Counter>& {
    return prometheus::BuildCounter().Name(name).Help(help).Register(obs::Registry());
  };
  static auto& rows_vm = family("vm_rows_inserted_total", "Samples accepted by the write endpoints, by protocol.");
  static auto& rows = family("sremon_rows_inserted_total", "Samples accepted by the write paths, by protocol.");
  static auto& errors_vm = family("vm_http_request_errors_total", "Write requests answered with an error, by protocol.");
  static auto& errors = family("sremon_insert_errors_total",
                               "Write requests (Graphite: received batches) answered with an error, by protocol.");
  return {rows_vm.Add({{"type", type}}), rows.Add({{"type", type}}), errors_vm.Add({{"type", type}}),
          errors.Add({{"type", type}})};
}

// extra_label=name=value (repeatable), as VictoriaMetrics.
Result<model::Labels> ExtraLabels(const http::Request& req) {
  std::vector<model::Label> ls;
  for (const std::string& p : req.Params("extra_label")) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument(fmt::format("missing '=' in extra_label {}; want extra_label=name=value", Quote(p)));
    }
    ls.push_back({p.substr(0, eq), p.substr(eq + 1)});
  }
  return model::Labels(std::move(ls));
}

using Decoder = std::function<ImportResult(std::string_view, const model::Labels&, storage::Appender*)>;

// Commits every kCommitEvery samples of a request instead of once at its end: concurrent imports
// then take turns at the store's commit lock instead of one waiting for the other's whole body
// (up to hundreds of thousands of samples), and a request holds a bounded batch in memory. As in
// VictoriaMetrics, the samples of a request that fails half-way stay stored up to the failure.
class IncrementalAppender : public storage::Appender {
 public:
  static constexpr uint64_t kCommitEvery = 16384;
  explicit IncrementalAppender(std::unique_ptr<storage::Appender> base) : base_(std::move(base)) {}
  Status Append(const model::Labels& labels, int64_t t, double v) override {
    return Counted(base_->Append(labels, t, v));
  }
  Status AppendWithRef(storage::SeriesRef* ref, const model::Labels& labels, int64_t t, double v) override {
    return Counted(base_->AppendWithRef(ref, labels, t, v));
  }
  // The first failed commit of the request, or the last one's result.
  Status Commit() override {
    Status st = base_->Commit();
    return failed_.ok() ? st : failed_;
  }
  void Rollback() override { base_->Rollback(); }

 private:
  Status Counted(Status st) {
    if (st.ok() && ++pending_ == kCommitEvery) {
      pending_ = 0;
      Status c = base_->Commit();
      if (!c.ok() && failed_.ok()) failed_ = std::move(c);
    }
    return st;
  }
  std::unique_ptr<storage::Appender> base_;
  uint64_t pending_ = 0;
  Status failed_;
};

void HandleWrite(const std::string& type, storage::Appendable* appendable, const Decoder& decode, http::Request& req,
                 http::Response& resp) {
  auto extra = ExtraLabels(req);
  if (!extra.ok()) {
    CountWrite(type, 0, true);
    return resp.SetText(400, extra.status().message() + "\n");
  }
  IncrementalAppender app(appendable->NewAppender());
  ImportResult r = decode(req.body, *extra, &app);
  Status st = app.Commit();
  if (!st.ok()) {
    CountWrite(type, 0, true);
    spdlog::warn("{}: cannot store {} samples: {}", req.path, r.samples, st.message());
    return resp.SetText(HttpStatusFor(st), fmt::format("cannot store samples: {}\n", st.message()));
  }
  CountWrite(type, r.samples, !r.first_error.ok());
  if (!r.first_error.ok()) {
    // A decompressed body over -maxInsertRequestSize is "too large", like the raw body.
    int code = r.first_error.code() == Status::Code::kResourceExhausted ? 413 : 400;
    return resp.SetText(code,
                        fmt::format("{} (stored {} valid samples)\n", r.first_error.message(), r.samples));
  }
  resp.status = 204;
  resp.body.clear();
}

bool IsOtlpJson(const http::Request& req) {
  return ToLower(req.headers.Get("Content-Type")).starts_with("application/json");
}

// The gRPC code OTLP/HTTP pairs with an HTTP status (the OTLP specification's table, read back).
int GrpcCodeFor(int http_status) {
  switch (http_status) {
    case 400: return 3;   // INVALID_ARGUMENT
    case 403: return 7;   // PERMISSION_DENIED
    case 404: return 12;  // UNIMPLEMENTED
    case 413: return 8;   // RESOURCE_EXHAUSTED
    case 429: return 8;
    case 503: return 14;  // UNAVAILABLE
    default: return http_status >= 500 ? 13 : 2;  // INTERNAL, UNKNOWN
  }
}

// OTLP/HTTP: "the response body for all HTTP 4xx and HTTP 5xx responses MUST be a Protobuf-encoded
// Status message", in the request's encoding: google.rpc.Status{code = 1, message = 2} for
// application/x-protobuf, its JSON form {"code":3,"message":"..."} for application/json. The
// message is the plain-text answer's, made valid UTF-8 (protobuf strings must be).
void OtlpErrorBody(const http::Request& req, http::Response* resp) {
  std::string message;
  std::string_view text = resp->body;
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  for (size_t i = 0; i < text.size();) {
    size_t n = static_cast<unsigned char>(text[i]) < 0x80 ? 1 : Utf8SequenceLength(text, i);
    message.append(n ? text.substr(i, n) : "\xEF\xBF\xBD");
    i += n ? n : 1;
  }
  int code = GrpcCodeFor(resp->status);
  resp->body.clear();
  if (IsOtlpJson(req)) {
    resp->content_type = "application/json";
    resp->body = nlohmann::json{{"code", code}, {"message", message}}.dump();
  } else {
    resp->content_type = "application/x-protobuf";
    protowire::AppendVarintField(&resp->body, 1, static_cast<uint64_t>(code));
    protowire::AppendBytesField(&resp->body, 2, message);
  }
}

Result<std::vector<std::vector<model::Matcher>>> Matchers(const http::Request& req, const WriteApiOptions& opts) {
  std::vector<std::vector<model::Matcher>> sets;
  auto matches = req.Params("match[]");
  if (matches.empty()) return Status::InvalidArgument("missing `match[]` arg");
  for (const auto& m : matches) {
    if (!opts.parse_selector) return Status::Internal("no selector parser configured");
    auto parsed = opts.parse_selector(m);
    if (!parsed.ok()) return parsed.status().WithContext(fmt::format("cannot parse match[]={}", Quote(m)));
    sets.push_back(std::move(parsed).value());
  }
  return sets;
}

}  // namespace

void CountWrite(const std::string& type, uint64_t rows, bool failed) {
  InsertCounters c = Counters(type);
  if (rows > 0) {
    c.rows_vm.Increment(static_cast<double>(rows));
    c.rows.Increment(static_cast<double>(rows));
  }
  if (failed) {
    c.errors_vm.Increment();
    c.errors.Increment();
  }
}

int HttpStatusFor(const Status& st) {
  // A disk error is VictoriaMetrics' "service unavailable": the client may retry.
  return http::HttpStatusFor(st, {{Status::Code::kIOError, 503}});
}

void RegisterWriteApi(http::Server& server, storage::Appendable* appendable, storage::Queryable* queryable,
                      WriteApiOptions options, AdminHooks hooks) {
  auto opts = std::make_shared<WriteApiOptions>(std::move(options));
  auto hk = std::make_shared<AdminHooks>(std::move(hooks));
  for (const char* type : kInsertTypes) CountWrite(type, 0, false);

  // A write endpoint whose only work is decoding its body: POST, cross-site refused, on the
  // insert lane, counted under `type`.
  auto route_import = [&](const char* path, const char* type, Decoder import) {
    server.RouteRaw("POST", path, http::StateChanging([appendable, type, import](http::Request& req, http::Response& resp) {
      HandleWrite(type, appendable, import, req, resp);
    }), opts->insert_exec);
  };
  route_import("/api/v1/import/prometheus", "prometheus",
               [opts](std::string_view body, const model::Labels& extra, storage::Appender* app) {
                 return ImportPrometheusText(body, extra, NowMs(), opts->limits, app);
               });
  route_import("/api/v1/write", "promremotewrite",
               [opts](std::string_view body, const model::Labels& extra, storage::Appender* app) {
                 std::vector<FamilyMetadata> md;
                 ImportResult r = ImportRemoteWrite(body, extra, opts->limits, app, opts->metadata ? &md : nullptr);
                 if (!md.empty()) opts->metadata->Add(md);
                 return r;
               });
  route_import("/api/v1/import", "vmimport",
               [opts](std::string_view body, const model::Labels& extra, storage::Appender* app) {
                 return ImportVmJson(body, extra, opts->limits, app);
               });

  // InfluxDB line protocol at InfluxDB's own paths and VictoriaMetrics' /influx aliases.
  auto influx_handler = http::StateChanging([appendable, opts](http::Request& req, http::Response& resp) {
    auto precision = influx::PrecisionNanos(req.Param("precision"));
    if (!precision.ok()) {
      CountWrite("influx", 0, true);
      return resp.SetText(400, precision.status().message() + "\n");
    }
    InfluxOptions o{std::string(req.Param("db")), *precision, NowMs()};
    HandleWrite("influx", appendable,
                [&](std::string_view body, const model::Labels& extra, storage::Appender* app) {
                  return ImportInflux(body, o, extra, opts->limits, app);
                },
                req, resp);
  });
  for (const char* path : {"/write", "/api/v2/write", "/influx/write", "/influx/api/v2/write"}) {
    server.RouteRaw("POST", path, influx_handler, opts->insert_exec);
  }

  // OpenTelemetry OTLP/HTTP at VictoriaMetrics' paths and Prometheus 2.47's, protobuf or JSON by
  // Content-Type. Success is 200 with an empty ExportMetricsServiceResponse in the request's
  // encoding; every error (the server's own 413 and gzip answers too) is a google.rpc.Status in
  // it (OtlpErrorBody).
  auto otlp_write = http::StateChanging([appendable, opts](http::Request& req, http::Response& resp) {
    bool json = IsOtlpJson(req);
    HandleWrite("opentelemetry", appendable,
                [&](std::string_view body, const model::Labels& extra, storage::Appender* app) {
                  return json ? ImportOtlpJson(body, extra, opts->limits, app) : ImportOtlp(body, extra, opts->limits, app);
                },
                req, resp);
    if (resp.status == 204) {
      resp.status = 200;
      resp.content_type = json ? "application/json" : "application/x-protobuf";
      if (json) resp.body = "{}";
    }
  });
  auto otlp_handler = [otlp_write](http::Request& req, http::Response& resp) {
    otlp_write(req, resp);
    if (resp.status >= 400) OtlpErrorBody(req, &resp);  // the cross-site 403 too
  };
  for (const char* path : {"/opentelemetry/v1/metrics", "/opentelemetry/api/v1/push", "/api/v1/otlp/v1/metrics"}) {
    server.RouteRaw("POST", path, otlp_handler, opts->insert_exec);
    server.ShapeErrors(path, OtlpErrorBody);
  }

  route_import("/api/v1/import/native", "native",
               [opts](std::string_view body, const model::Labels& extra, storage::Appender* app) {
                 return ImportNative(body, extra, opts->limits, app);
               });

  server.RouteRaw("POST", "/api/v1/import/csv", http::StateChanging([appendable, opts](http::Request& req, http::Response& resp) {
    auto columns = ParseCsvImportFormat(req.Param("format"));
    if (!columns.ok()) {
      CountWrite("csvimport", 0, true);
      return resp.SetText(400, columns.status().message() + "\n");
    }
    int64_t now = NowMs();
    HandleWrite("csvimport", appendable,
                [&](std::string_view body, const model::Labels& extra, storage::Appender* app) {
                  return ImportCsv(body, *columns, extra, now, opts->limits, app);
                },
                req, resp);
  }), opts->insert_exec);

  // JSON lines (/api/v1/export), CSV with VictoriaMetrics' format= (/api/v1/export/csv) or
  // VictoriaMetrics' native blocks (/api/v1/export/native).
  enum class ExportFormat { kJson, kCsv, kNative };
  auto export_handler = [queryable, opts](ExportFormat format, http::Request& req, http::Response& resp) {
    std::vector<CsvExportColumn> columns;
    if (format == ExportFormat::kCsv) {
      auto parsed = ParseCsvExportFormat(req.Param("format"));
      if (!parsed.ok()) return resp.SetText(400, parsed.status().message() + "\n");
      columns = std::move(parsed).value();
    }
    auto sets = Matchers(req, *opts);
    if (!sets.ok()) return resp.SetText(400, sets.status().message() + "\n");
    int64_t start = storage::kMinTime, end = NowMs();
    if (req.HasParam("start")) {
      auto t = ParseTimeParam(req.Param("start"));
      if (!t.ok()) return resp.SetText(400, "cannot parse `start`: " + t.status().message() + "\n");
      start = *t;
    }
    if (req.HasParam("end")) {
      auto t = ParseTimeParam(req.Param("end"));
      if (!t.ok()) return resp.SetText(400, "cannot parse `end`: " + t.status().message() + "\n");
      end = *t;
    }
    auto q = queryable->NewQuerier(start, end);
    if (!q.ok()) return resp.SetText(HttpStatusFor(q.status()), q.status().message() + "\n");
    std::string out;
    if (format == ExportFormat::kNative) native::AppendHeader(&out, start, end);
    std::vector<model::Sample> samples;
    size_t series = 0;
    storage::SelectHints hints;
    hints.start_ms = start;
    hints.end_ms = end;
    hints.max_series = opts->max_export_series;  // refused from the index when it can tell
    for (const auto& ms : *sets) {
      auto set = (*q)->Select(true, hints, ms);
      while (set->Next()) {
        if (opts->max_export_series > 0 && ++series > opts->max_export_series) {
          return resp.SetText(422, fmt::format("the export matches more than {} series; narrow match[] or raise "
                                               "-search.maxUniqueTimeseries\n",
                                               opts->max_export_series));
        }
        const storage::Series& s = set->At();
        samples.clear();
        auto it = s.Iterator();
        while (it->Next()) samples.push_back(it->At());
        if (samples.empty()) continue;
        switch (format) {
          case ExportFormat::kJson: AppendVmJsonLine(&out, s.labels(), samples); break;
          case ExportFormat::kCsv: AppendCsvLines(&out, columns, s.labels(), samples); break;
          case ExportFormat::kNative: native::AppendSeries(&out, s.labels(), samples); break;
        }
      }
      if (!set->Err().ok()) return resp.SetText(HttpStatusFor(set->Err()), set->Err().message() + "\n");
    }
    resp.status = 200;
    static constexpr const char* kContentTypes[] = {"application/stream+json", "text/csv; charset=utf-8",
                                                    "VictoriaMetrics/native"};
    resp.content_type = kContentTypes[static_cast<int>(format)];
    resp.body = std::move(out);
  };
  for (const auto& route : {std::pair{ExportFormat::kJson, "/api/v1/export"},
                             std::pair{ExportFormat::kCsv, "/api/v1/export/csv"},
                             std::pair{ExportFormat::kNative, "/api/v1/export/native"}}) {
    ExportFormat format = route.first;
    auto h = [export_handler, format](http::Request& req, http::Response& resp) { export_handler(format, req, resp); };
    for (const char* verb : http::kReadMethods) server.Route(verb, route.second, h, opts->search_exec);
  }

  auto delete_handler = [opts, hk](http::Request& req, http::Response& resp) {
    auto sets = Matchers(req, *opts);
    if (!sets.ok()) return resp.SetText(400, sets.status().message() + "\n");
    if (!hk->delete_series) return resp.SetText(501, "delete_series is not available\n");
    Status st = hk->delete_series(*sets);
    if (!st.ok()) return resp.SetText(HttpStatusFor(st), st.message() + "\n");
    resp.status = 204;
  };
  server.Route("POST", "/api/v1/admin/tsdb/delete_series", http::StateChanging(delete_handler), /*blocking=*/true);
  server.Route("PUT", "/api/v1/admin/tsdb/delete_series", http::StateChanging(delete_handler), /*blocking=*/true);
  // GET and POST, as VictoriaMetrics documents them (curl http://host:8428/internal/force_flush).
  auto hook_route = [&server](const std::string& path, std::function<Status()> fn) {
    auto handler = http::StateChanging([fn, path](http::Request&, http::Response& resp) {
      if (!fn) return resp.SetText(501, path + " is not available\n");
      Status st = fn();
      if (!st.ok()) return resp.SetText(HttpStatusFor(st), st.message() + "\n");
      resp.SetText(200, "");
    });
    server.Route("GET", path, handler, /*blocking=*/true);
    server.Route("POST", path, handler, /*blocking=*/true);
  };
  hook_route("/internal/force_flush", hk->force_flush);
  hook_route("/internal/force_merge", hk->force_merge);
}

}  // namespace sremon::ingest
