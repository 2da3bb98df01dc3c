// `sremon storage`: the VictoriaMetrics single-node stand-in (port 8428). Wires the TSDB, the
// write endpoints, the remote_write forwarders, the scrape manager and the HTTP server; starts
// them in that order and stops them in reverse (VictoriaMetrics app/victoria-metrics/main.go).

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <limits>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/prom_api.h"
#include "api/selectors.h"
#include "api/storage_index.h"
#include "api/vmalert_proxy.h"
#include "http/http.h"
#include "ingest/graphite.h"
#include "ingest/remote_write_queue.h"
#include "ingest/write_api.h"
#include "obs/metrics.h"
#include "promql/ast.h"
#include "promql/engine.h"
#include "scrape/manager.h"
#include "services/common.h"
#include "services/services.h"
#include "tsdb/db.h"
#include "util/heap.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::services {
namespace {

// -retentionPeriod as VictoriaMetrics reads it: a plain number is months (31 days each); with a
// suffix s, m (minutes), h, d, w or y it is that unit (1y = 365d). Returns milliseconds.
Result<int64_t> ParseRetentionPeriod(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return Status::InvalidArgument("empty -retentionPeriod");
  constexpr int64_t kHour = 3600LL * 1000;
  constexpr int64_t kDay = 24 * kHour;
  int64_t unit = 31 * kDay;  // no suffix: months, as VictoriaMetrics counts them
  std::string_view num = s;
  switch (s.back()) {
    case 's': unit = 1000; break;
    case 'h': unit = kHour; break;
    case 'd': unit = kDay; break;
    case 'w': unit = 7 * kDay; break;
    case 'y': unit = 365 * kDay; break;
    case 'm': unit = 60 * 1000; break;
    default:
      if (s.back() < '0' || s.back() > '9') {
        return Status::InvalidArgument(fmt::format("invalid -retentionPeriod={}: unknown suffix; use s, m, h, d, w or y", Quote(s)));
      }
  }
  if (s.back() < '0' || s.back() > '9') num = s.substr(0, s.size() - 1);
  auto v = ParseFloat(num);
  if (!v.ok() || !std::isfinite(*v) || *v <= 0) {
    return Status::InvalidArgument(fmt::format(
        "invalid -retentionPeriod={}: want a positive number of months, or a number with suffix h, d, w or y", Quote(s)));
  }
  // VictoriaMetrics' bounds; they also keep the cast below defined.
  double ms = *v * static_cast<double>(unit);
  if (ms < static_cast<double>(kDay) || ms > 100.0 * 365 * kDay) {
    return Status::InvalidArgument(
        fmt::format("invalid -retentionPeriod={}: must be between 1d and 100y", Quote(s)));
  }
  return static_cast<int64_t>(ms);
}

// A duration as Go prints it (time.Duration.String: "10s", "1m0s", "1.5s", "250ms"), for the
// upstream's messages that quote flag values.
std::string GoDuration(int64_t ms) {
  if (ms < 1000) return fmt::format("{}ms", ms);
  std::string out;
  int64_t h = ms / 3'600'000, m = ms / 60'000 % 60;
  if (h) out += fmt::format("{}h", h);
  if (h || m) out += fmt::format("{}m", m);
  return out + fmt::format("{}s", static_cast<double>(ms % 60'000) / 1000.0);
}

// VictoriaMetrics 1.79's default for -search.maxConcurrentRequests: twice the cores up to 4
// cores, the cores beyond, at most 16 (one query can use every core).
int DefaultMaxConcurrentRequests() {
  int n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (n <= 4) n *= 2;
  return std::min(n, 16);
}

// Copies the engine's statistics into /metrics every few seconds.
class StatsExporter {
 public:
  explicit StatsExporter(tsdb::DB* db) : db_(db) {
    auto& reg = obs::Registry();
    auto gauge = [&](const char* name, const char* help) -> prometheus::Gauge& {
      return prometheus::BuildGauge().Name(name).Help(help).Register(reg).Add({});
    };
    series_ = &gauge("vm_series_count", "Series in the index.");
    head_ = &gauge("sremon_tsdb_head_samples", "Samples in the in-memory head, not yet in blocks.");
    blocks_ = &gauge("sremon_tsdb_blocks", "Blocks on disk.");
    disk_ = &gauge("vm_data_size_bytes", "Bytes on disk: blocks and WAL.");
    wal_ = &gauge("sremon_tsdb_wal_bytes", "Bytes of write-ahead log.");
    replay_ = &gauge("sremon_tsdb_wal_replay_seconds", "Duration of the WAL replay at start-up.");
    ingested_ = &prometheus::BuildCounter()
                     .Name("vm_rows_added_to_storage_total")
                     .Help("Samples stored (ingestion rate: rate() of this).")
                     .Register(reg)
                     .Add({});
    rejected_ = &prometheus::BuildCounter()
                     .Name("sremon_tsdb_rejected_samples_total")
                     .Help("Samples the store refused (limits, too old...).")
                     .Register(reg)
                     .Add({});
    out_of_order_ = &prometheus::BuildCounter()
                         .Name("sremon_tsdb_out_of_order_samples_total")
                         .Help("Samples accepted older than their series' newest (backfill, reordered writes).")
                         .Register(reg)
                         .Add({});
    thread_ = std::thread([this] { Run(); });
  }
  ~StatsExporter() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Update() {
    tsdb::Stats s = db_->GetStats();
    series_->Set(static_cast<double>(s.series));
    head_->Set(static_cast<double>(s.samples_in_head));
    blocks_->Set(static_cast<double>(s.blocks));
    disk_->Set(static_cast<double>(s.disk_bytes));
    wal_->Set(static_cast<double>(s.wal_bytes));
    replay_->Set(s.wal_replay_seconds);
    if (s.samples_ingested_total > last_ingested_) ingested_->Increment(static_cast<double>(s.samples_ingested_total - last_ingested_));
    if (s.rejected_samples_total > last_rejected_) rejected_->Increment(static_cast<double>(s.rejected_samples_total - last_rejected_));
    last_ingested_ = s.samples_ingested_total;
    last_rejected_ = s.rejected_samples_total;
    if (s.out_of_order_samples_total > last_out_of_order_) {
      out_of_order_->Increment(static_cast<double>(s.out_of_order_samples_total - last_out_of_order_));
    }
    last_out_of_order_ = s.out_of_order_samples_total;
  }
  void Run() {
    std::unique_lock<std::mutex> l(mu_);
    while (!stop_) {
      l.unlock();
      Update();
      l.lock();
      cv_.wait_for(l, std::chrono::seconds(2), [this] { return stop_; });
    }
  }

  tsdb::DB* db_;
  prometheus::Gauge *series_, *head_, *blocks_, *disk_, *wal_, *replay_;
  prometheus::Counter *ingested_, *rejected_, *out_of_order_;
  uint64_t last_ingested_ = 0, last_rejected_ = 0, last_out_of_order_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// The flags as given (VictoriaMetrics' names), with their defaults.
struct StorageFlags {
  std::string listen_addr = "127.0.0.1:8428";
  std::string data_path = "victoria-metrics-data";
  std::string retention = "1";
  std::string scrape_config;
  bool strict_parse = true;
  std::vector<std::string> remote_write_urls;
  std::string remote_write_tmp;
  int64_t remote_write_max_disk = 1 << 30;
  int64_t max_labels = 30;
  int64_t max_label_value_len = 4096;
  int64_t max_request_size = 32 << 20;
  int64_t max_staleness_ms = 5 * 60 * 1000;
  int64_t max_samples = 1000000000;
  int64_t max_series = 300000;
  int64_t max_query_duration_ms = 30 * 1000;
  int64_t max_points = 30000;
  int64_t slow_query_ms = 5 * 1000;
  std::string log_level = "info";
  std::string graphite_addr;
  int max_concurrent_requests = DefaultMaxConcurrentRequests();
  int64_t search_wait_ms = 10 * 1000;
  int max_concurrent_inserts = 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int64_t insert_wait_ms = 60 * 1000;
  int64_t max_connections = 512;
  int64_t max_series_api = 30000;
  int64_t max_tag_keys = 100000;
  int64_t max_tag_values = 100000;
  int64_t max_labels_api_series = 1000000;
  int64_t max_response_series = 0;
  int64_t max_memory_per_query = 256 << 20;
  HttpAuthFlags auth;
  std::string vmalert_proxy_url;
  int64_t retention_ms = 0;  // -retentionPeriod, set by Check()

  StorageFlags() {
    auth.keys = {{"deleteAuthKey", {"/api/v1/admin/tsdb/delete_series"}, ""},
                 {"reloadAuthKey", {"/-/reload"}, ""},
                 {"forceFlushAuthKey", {"/internal/force_flush"}, ""},
                 {"forceMergeAuthKey", {"/internal/force_merge"}, ""}};
  }
  void Register(CLI::App& cli);
  // What the flags' own types cannot check; the error is a usage error's message. Also fills
  // the derived values (retention_ms, the default remote_write_tmp).
  Status Check();
  promql::EngineOptions EngineOptions() const;
};

void StorageFlags::Register(CLI::App& cli) {
  cli.add_option("--httpListenAddr", listen_addr, "TCP address to listen on (default 127.0.0.1:8428)");
  cli.add_option("--graphiteListenAddr", graphite_addr,
                 "TCP and UDP address for the Graphite plaintext protocol, e.g. 127.0.0.1:2003 (default: off)");
  cli.add_option("--storageDataPath", data_path, "where data is stored (default victoria-metrics-data)");
  cli.add_option("--retentionPeriod", retention,
                 "how long data is kept: a number of months, or with suffix s, m, h, d, w, y (default 1)");
  cli.add_option("--promscrape.config", scrape_config, "Prometheus scrape config file (prometheus.yml); none by default");
  cli.add_option("--promscrape.config.strictParse", strict_parse,
                 "refuse unknown fields in -promscrape.config (default true)");
  cli.add_option("--remoteWrite.url", remote_write_urls,
                 "remote_write receiver to forward every stored sample to; repeatable (default none)");
  cli.add_option("--remoteWrite.tmpDataPath", remote_write_tmp,
                 "on-disk buffer of -remoteWrite.url (default <storageDataPath>/remotewrite-queue)");
  // Ranges: what the code can hold without overflow and a machine can plausibly serve.
  constexpr int64_t kTiB = int64_t{1} << 40;
  constexpr int64_t kDayMs = 24 * 3600 * 1000LL;
  AddNumberFlag<int64_t>(cli, "--remoteWrite.maxDiskUsagePerURL", &remote_write_max_disk, 1 << 20, 64 * kTiB,
                         "bytes of on-disk buffer per -remoteWrite.url; the oldest data is dropped past it; suffixes "
                         "KB, MB, GB, KiB, MiB, GiB... (default 1GiB)",
                         /*bytes=*/true);
  AddNumberFlag<int64_t>(cli, "--maxLabelsPerTimeseries", &max_labels, 1, 10000,
                         "labels kept per series; extra ones are dropped (default 30)");
  AddNumberFlag<int64_t>(cli, "--maxLabelValueLen", &max_label_value_len, 1, 1 << 20,
                         "longer label values are truncated (default 4096)");
  AddNumberFlag<int64_t>(cli, "--maxInsertRequestSize", &max_request_size, 1, 1 << 30,
                         "larger write bodies answer 413; suffixes KB, MB, KiB, MiB... (default 32MiB)", /*bytes=*/true);
  AddDurationFlag(cli, "--search.maxStalenessInterval", &max_staleness_ms, 0, 365 * kDayMs,
                  "PromQL lookback delta; 0 = automatic (default 5m)");
  AddNumberFlag<int64_t>(cli, "--search.maxSamplesPerQuery", &max_samples, 1, int64_t{1} << 50,
                         "samples one query may load (default 1e9)");
  AddNumberFlag<int64_t>(cli, "--search.maxUniqueTimeseries", &max_series, 1, int64_t{1} << 40,
                         "series one query or export may touch (default 300000)");
  AddDurationFlag(cli, "--search.maxQueryDuration", &max_query_duration_ms, 1, 365 * kDayMs,
                  "query timeout (default 30s)");
  AddNumberFlag<int64_t>(cli, "--search.maxPointsPerTimeseries", &max_points, 1, 100000000,
                         "points per series in query_range (default 30000)");
  AddDurationFlag(cli, "--search.logSlowQueryDuration", &slow_query_ms, 0, 365 * kDayMs,
                  "log queries slower than this; 0 disables (default 5s)");
  cli.add_option("--loggerLevel", log_level, "log level: debug, info, warn, error (default info)");
  AddNumberFlag<int>(cli, "--search.maxConcurrentRequests", &max_concurrent_requests, 1, 1024,
                     fmt::format("search requests (queries, series, labels, export) run at once; more wait in a "
                                 "queue (default {}: twice the cores up to 4 cores, at most 16)",
                                 max_concurrent_requests));
  AddDurationFlag(cli, "--search.maxQueueDuration", &search_wait_ms, 0, 365 * kDayMs,
                  "how long a search request waits for -search.maxConcurrentRequests before a 503 (default 10s)");
  AddNumberFlag<int>(cli, "--maxConcurrentInserts", &max_concurrent_inserts, 1, 1024,
                     fmt::format("write requests processed at once; more wait in a queue (default {}: 4 per core)",
                                 max_concurrent_inserts));
  AddDurationFlag(cli, "--insert.maxQueueDuration", &insert_wait_ms, 0, 365 * kDayMs,
                  "how long a write request waits for -maxConcurrentInserts before a 503 (default 1m)");
  AddNumberFlag<int64_t>(cli, "--http.maxConnections", &max_connections, 0, 1000000,
                         "open HTTP connections at most; at the cap the one idle longest is closed; 0 = no cap "
                         "(default 512)");
  AddNumberFlag<int64_t>(cli, "--search.maxSeries", &max_series_api, 1, int64_t{1} << 40,
                         "series /api/v1/series may return (default 30000)");
  AddNumberFlag<int64_t>(cli, "--search.maxTagKeys", &max_tag_keys, 1, int64_t{1} << 40,
                         "label names /api/v1/labels returns at most (default 100000)");
  AddNumberFlag<int64_t>(cli, "--search.maxTagValues", &max_tag_values, 1, int64_t{1} << 40,
                         "label values /api/v1/label/<name>/values returns at most (default 100000)");
  AddNumberFlag<int64_t>(cli, "--search.maxLabelsAPISeries", &max_labels_api_series, 1, int64_t{1} << 40,
                         "series the label APIs may scan for match[] (default 1000000)");
  AddNumberFlag<int64_t>(cli, "--search.maxResponseSeries", &max_response_series, 0, int64_t{1} << 40,
                         "series /api/v1/query and /api/v1/query_range may return; 0 = no limit (default 0)");
  AddNumberFlag<int64_t>(cli, "--search.maxMemoryPerQuery", &max_memory_per_query, 0, 64 * kTiB,
                         "bytes one query may hold: samples being evaluated, then its answer; 0 = no limit; "
                         "suffixes KB, MB, KiB, MiB... (default 256MiB)",
                         /*bytes=*/true);
  AddHttpAuthFlags(cli, &auth);
  cli.add_option("--vmalert.proxyURL", vmalert_proxy_url,
                 "rules service (vmalert) that /api/v1/rules, /api/v1/alerts and /vmalert/ are proxied to (default none)");
}

Status StorageFlags::Check() {
  auto r = ParseRetentionPeriod(retention);
  if (!r.ok()) return r.status();
  retention_ms = *r;
  if (!vmalert_proxy_url.empty() && !vmalert_proxy_url.starts_with("http://") &&
      !vmalert_proxy_url.starts_with("https://")) {
    return Status::InvalidArgument(fmt::format("invalid -vmalert.proxyURL={}: must start with http:// or https://",
                                               Quote(http::RedactUrl(vmalert_proxy_url))));
  }
  if (Status st = CheckPrintableAscii("invalid -vmalert.proxyURL", vmalert_proxy_url); !st.ok()) return st;
  for (const auto& u : remote_write_urls) {
    if (!u.starts_with("http://") && !u.starts_with("https://")) {
      return Status::InvalidArgument(
          fmt::format("invalid -remoteWrite.url={}: must start with http:// or https://", Quote(http::RedactUrl(u))));
    }
  }
  if (remote_write_tmp.empty()) remote_write_tmp = data_path + "/remotewrite-queue";
  return Status::Ok();
}

promql::EngineOptions StorageFlags::EngineOptions() const {
  promql::EngineOptions o;
  if (max_staleness_ms != 0) o.lookback_delta_ms = max_staleness_ms;  // VM: 0 = automatic
  // Bounded in bytes instead (max_memory_bytes; int64 max: the engine compares it with signed counts).
  o.max_samples = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  o.max_samples_per_query = static_cast<size_t>(max_samples);
  o.max_memory_bytes = static_cast<size_t>(max_memory_per_query);
  o.max_series = static_cast<size_t>(max_series);
  o.timeout = std::chrono::milliseconds(max_query_duration_ms);
  return o;
}

// The admin endpoints' actions on the store.
ingest::AdminHooks AdminHooksFor(tsdb::DB* db) {
  ingest::AdminHooks hooks;
  hooks.force_flush = [db] { return db->ForceFlush(); };
  hooks.force_merge = [db] { return db->ForceMerge(); };
  hooks.delete_series = [db](const std::vector<std::vector<model::Matcher>>& sets) -> Status {
    uint64_t total = 0;
    for (const auto& ms : sets) {
      auto n = db->DeleteSeries(ms);
      if (!n.ok()) return n.status();
      total += *n;
    }
    spdlog::info("delete_series: deleted {} series", total);
    return Status::Ok();
  };
  return hooks;
}

}  // namespace

int RunStorage(int argc, char** argv) {
  CLI::App cli("The storage service: scraping, a durable time-series store, VictoriaMetrics write APIs.", argv[0]);
  StorageFlags f;
  if (auto code = ParseServiceFlags(cli, f, argc, argv)) return *code;
  InitLogging("storage", f.log_level);
  WarnIfExposed("storage", f.listen_addr, f.auth.enabled(), "Set -httpAuth.username and -httpAuth.password");
  // Import bodies are tens of MB: they go back to the kernel once freed (what that saved on
  // the 4.7 M-sample import is in docs/benchmarks.md, "Storage service").
  util::HeapReleaser heap(std::chrono::seconds(2));

  // 1. The store.
  tsdb::Options db_opts;
  db_opts.dir = f.data_path;
  db_opts.retention_ms = f.retention_ms;
  db_opts.max_labels_per_series = static_cast<size_t>(f.max_labels);
  db_opts.max_label_value_len = static_cast<size_t>(f.max_label_value_len);
  auto opened = tsdb::DB::Open(db_opts);
  if (!opened.ok()) {
    spdlog::error("cannot open -storageDataPath={}: {}", f.data_path, opened.status().message());
    return kExitFailure;
  }
  std::unique_ptr<tsdb::DB> db = std::move(opened).value();
  StatsExporter stats(db.get());

  // 2. Forwarders: everything stored goes through them.
  std::vector<std::unique_ptr<ingest::RemoteWriteQueue>> writers;
  std::vector<ingest::RemoteWriteQueue*> writer_ptrs;
  for (size_t i = 0; i < f.remote_write_urls.size(); ++i) {
    ingest::RemoteWriteQueueOptions o;
    o.url = f.remote_write_urls[i];
    o.queue_dir = fmt::format("{}/{}_{:016x}", f.remote_write_tmp, i + 1, std::hash<std::string>()(o.url));
    o.max_buffer_bytes = static_cast<uint64_t>(f.remote_write_max_disk);
    auto w = std::make_unique<ingest::RemoteWriteQueue>(o);
    if (Status st = w->Start(); !st.ok()) {
      spdlog::error("{}", st.message());
      return kExitFailure;
    }
    writer_ptrs.push_back(w.get());
    writers.push_back(std::move(w));
  }
  ingest::ForwardingAppendable forwarding(db.get(), writer_ptrs);
  storage::Appendable* appendable = writers.empty() ? static_cast<storage::Appendable*>(db.get()) : &forwarding;

  // 3. Scraping (started after the server so its pages are there from the first scrape).
  scrape::Manager scraper(appendable, scrape::ManagerOptions{f.scrape_config, f.strict_parse});

  // 4. HTTP.
  http::ServerOptions so;
  so.name = "storage";
  so.listen_addr = f.listen_addr;
  so.max_body_bytes = static_cast<size_t>(f.max_request_size);
  so.max_connections = static_cast<size_t>(f.max_connections);
  http::Server server(so);
  // Queries and writes in lanes of their own, so that heavy queries never hold up ingestion (or
  // the reverse); /health, /metrics and the pages run on the I/O threads, behind neither.
  http::Lane search_lane = server.AddLane(http::LaneOptions{
      "search", f.max_concurrent_requests, std::chrono::milliseconds(f.search_wait_ms),
      fmt::format("cannot handle more than {} concurrent search requests during {}; possible solutions: increase "
                  "`-search.maxQueueDuration`; increase `-search.maxQueryDuration`; increase "
                  "`-search.maxConcurrentRequests`; increase server capacity",
                  f.max_concurrent_requests, GoDuration(f.search_wait_ms))});
  http::Lane insert_lane = server.AddLane(http::LaneOptions{
      "insert", f.max_concurrent_inserts, std::chrono::milliseconds(f.insert_wait_ms),
      fmt::format("cannot handle more than {} concurrent inserts during {}; possible solutions: increase "
                  "`-insert.maxQueueDuration`, increase `-maxConcurrentInserts`, increase server capacity",
                  f.max_concurrent_inserts, GoDuration(f.insert_wait_ms))});
  InstallHttpAuth(server, f.auth);
  AddStandardRoutes(server, [&scraper] { return scraper.Reload(); });
  AddFlagsRoute(server, cli);
  api::RegisterStorageIndex(server);
  ingest::WriteApiOptions wopts;
  wopts.limits = ingest::Limits{static_cast<size_t>(f.max_labels), static_cast<size_t>(f.max_label_value_len),
                                static_cast<size_t>(f.max_request_size)};
  wopts.parse_selector = [](std::string_view s) -> Result<std::vector<model::Matcher>> {
    auto sets = api::ParseMatchSets({std::string(s)});  // with the non-empty matcher check
    if (!sets.ok()) return sets.status();
    return std::move((*sets)[0]);
  };
  wopts.max_export_series = static_cast<size_t>(f.max_series);
  wopts.insert_exec = insert_lane;
  wopts.search_exec = search_lane;
  ingest::MetadataStore remote_metadata;  // what remote_write senders say about their metrics
  wopts.metadata = &remote_metadata;
  ingest::RegisterWriteApi(server, appendable, db.get(), wopts, AdminHooksFor(db.get()));
  scraper.RegisterRoutes(server);

  // 5. The Prometheus query API over the store, with the scrapes' metadata.
  promql::Engine engine(f.EngineOptions());
  api::PromApiOptions aopts;
  aopts.max_points_per_series = f.max_points;
  aopts.search_exec = search_lane;
  aopts.max_series = static_cast<size_t>(f.max_series_api);
  aopts.max_tag_keys = static_cast<size_t>(f.max_tag_keys);
  aopts.max_tag_values = static_cast<size_t>(f.max_tag_values);
  aopts.max_labels_api_series = static_cast<size_t>(f.max_labels_api_series);
  aopts.max_response_series = static_cast<size_t>(f.max_response_series);
  aopts.max_response_bytes = static_cast<size_t>(f.max_memory_per_query);
  aopts.slow_query_log = std::chrono::milliseconds(f.slow_query_ms);
  aopts.metadata = [&scraper, &remote_metadata] {
    auto md = scraper.Metadata();
    ingest::MergeMetadata(&md, remote_metadata.Snapshot());
    return md;
  };
  aopts.flags = {{"httpListenAddr", f.listen_addr},          {"storageDataPath", f.data_path},
                 {"retentionPeriod", f.retention},            {"promscrape.config", f.scrape_config},
                 {"search.maxStalenessInterval", FormatDurationMs(f.max_staleness_ms)},
                 {"search.maxQueryDuration", FormatDurationMs(f.max_query_duration_ms)}};
  aopts.config_yaml = [&scraper] { return scraper.ConfigYaml(); };
  api::RegisterPrometheusApi(server, *db, engine, aopts);
  api::RegisterVmalertProxy(server, f.vmalert_proxy_url);
  if (Status st = server.Start(); !st.ok()) {
    spdlog::error("{}", st.message());
    return kExitFailure;
  }
  if (Status st = scraper.Start(); !st.ok()) {
    spdlog::error("cannot load -promscrape.config: {}", st.message());
    server.Stop();
    return kExitFailure;
  }
  ingest::GraphiteListener graphite(appendable, wopts.limits);
  if (!f.graphite_addr.empty()) {
    if (Status st = graphite.Start(f.graphite_addr); !st.ok()) {
      spdlog::error("{}", st.message());
      scraper.Stop();
      server.Stop();
      return kExitFailure;
    }
    spdlog::info("accepting Graphite plaintext on TCP and UDP {}", f.graphite_addr);
  }
  tsdb::Stats s = db->GetStats();
  spdlog::info("storage listening on http://{} (data in {}, retention {}, {} series, {} scrape targets)", f.listen_addr,
               f.data_path, FormatDurationMs(f.retention_ms), s.series, scraper.ActiveTargetCount());

  // SIGHUP: Reload() logs a failure itself and keeps the previous scrape config.
  WaitForShutdown([&scraper] { (void)scraper.Reload(); });

  // Reverse order of start: stop scraping, stop serving, drain forwarders, close the store.
  spdlog::info("shutting down");
  graphite.Stop();
  scraper.Stop();
  server.Stop();
  for (auto& w : writers) w->Stop();
  if (Status st = db->Close(); !st.ok()) {
    spdlog::error("closing the store: {}", st.message());
    return kExitFailure;
  }
  spdlog::info("stopped");
  return kExitOk;
}

}  // namespace sremon::services
