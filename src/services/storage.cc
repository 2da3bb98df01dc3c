// `sremon storage`: the VictoriaMetrics single-node stand-in (port 8428). Wires the TSDB, the
// write endpoints, the remote_write forwarders, the scrape manager and the HTTP server; starts
// them in that order and stops them in reverse (VictoriaMetrics app/victoria-metrics/main.go).

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/prom_api.h"
#include "api/selectors.h"
#include "api/vmalert_proxy.h"
#include "http/http.h"
#include "ingest/remote_writer.h"
#include "ingest/write_api.h"
#include "obs/metrics.h"
#include "promql/ast.h"
#include "promql/engine.h"
#include "scrape/manager.h"
#include "services/common.h"
#include "services/services.h"
#include "tsdb/db.h"
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
  return static_cast<int64_t>(*v * static_cast<double>(unit));
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

}  // namespace

int RunStorage(int argc, char** argv) {
  CLI::App cli("The storage service: scraping, a durable time-series store, VictoriaMetrics write APIs.", argv[0]);
  std::string listen_addr = "127.0.0.1:8428";
  std::string data_path = "victoria-metrics-data";
  std::string retention = "1";
  std::string scrape_config;
  bool strict_parse = true;
  std::vector<std::string> remote_write_urls;
  std::string remote_write_tmp;
  double remote_write_max_disk = 1 << 30;
  size_t max_labels = 30;
  size_t max_label_value_len = 4096;
  double max_request_size = 32 << 20;
  std::string max_staleness = "5m";
  double max_samples = 1e9;
  double max_series = 300000;
  std::string max_query_duration = "30s";
  double max_points = 30000;
  std::string slow_query = "5s";
  std::string log_level = "info";
  std::string vmalert_proxy_url;

  cli.add_option("--httpListenAddr", listen_addr, "TCP address to listen on (default 127.0.0.1:8428)");
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
  cli.add_option("--remoteWrite.maxDiskUsagePerURL", remote_write_max_disk,
                 "bytes of on-disk buffer per -remoteWrite.url; the oldest data is dropped past it (default 1GiB)");
  cli.add_option("--maxLabelsPerTimeseries", max_labels, "labels kept per series; extra ones are dropped (default 30)");
  cli.add_option("--maxLabelValueLen", max_label_value_len, "longer label values are truncated (default 4096)");
  cli.add_option("--maxInsertRequestSize", max_request_size, "larger write bodies answer 413 (default 32MiB)");
  cli.add_option("--search.maxStalenessInterval", max_staleness, "PromQL lookback delta (default 5m)");
  cli.add_option("--search.maxSamplesPerQuery", max_samples, "samples one query may load (default 1e9)");
  cli.add_option("--search.maxUniqueTimeseries", max_series, "series one query or export may touch (default 300000)");
  cli.add_option("--search.maxQueryDuration", max_query_duration, "query timeout (default 30s)");
  cli.add_option("--search.maxPointsPerTimeseries", max_points, "points per series in query_range (default 30000)");
  cli.add_option("--search.logSlowQueryDuration", slow_query, "log queries slower than this; 0 disables (default 5s)");
  cli.add_option("--loggerLevel", log_level, "log level: debug, info, warn, error (default info)");
  cli.add_option("--vmalert.proxyURL", vmalert_proxy_url,
                 "rules service (vmalert) that /api/v1/rules, /api/v1/alerts and /vmalert/ are proxied to (default none)");
  if (auto code = ParseFlags(cli, argc, argv)) return *code;

  auto fail_usage = [&](const std::string& msg) {
    std::cerr << argv[0] << ": " << msg << "\n";
    return kExitUsage;
  };
  auto retention_ms = ParseRetentionPeriod(retention);
  if (!retention_ms.ok()) return fail_usage(retention_ms.status().message());
  for (auto [name, value] : {std::pair{"search.maxStalenessInterval", &max_staleness},
                             {"search.maxQueryDuration", &max_query_duration},
                             {"search.logSlowQueryDuration", &slow_query}}) {
    if (*value == "0") continue;
    if (auto d = ParseDurationMs(*value); !d.ok()) return fail_usage(fmt::format("invalid -{}: {}", name, d.status().message()));
  }
  if (!vmalert_proxy_url.empty() && !vmalert_proxy_url.starts_with("http://") &&
      !vmalert_proxy_url.starts_with("https://")) {
    return fail_usage(fmt::format("invalid -vmalert.proxyURL={}: must start with http:// or https://", Quote(vmalert_proxy_url)));
  }
  if (Status st = CheckPrintableAscii("invalid -vmalert.proxyURL", vmalert_proxy_url); !st.ok()) return fail_usage(st.message());
  for (const auto& u : remote_write_urls) {
    if (!u.starts_with("http://") && !u.starts_with("https://")) {
      return fail_usage(fmt::format("invalid -remoteWrite.url={}: must start with http:// or https://", Quote(u)));
    }
  }
  InitLogging("storage", log_level);
  // Import bodies are tens of MB: they go back to the kernel once freed (what that saved on
  // the 4.7 M-sample import is in docs/benchmarks.md, "Storage service").
  HeapReleaser heap(std::chrono::seconds(2));

  // 1. The store.
  tsdb::Options db_opts;
  db_opts.dir = data_path;
  db_opts.retention_ms = *retention_ms;
  db_opts.max_labels_per_series = max_labels;
  db_opts.max_label_value_len = max_label_value_len;
  auto opened = tsdb::DB::Open(db_opts);
  if (!opened.ok()) {
    spdlog::error("cannot open -storageDataPath={}: {}", data_path, opened.status().message());
    return kExitFailure;
  }
  std::unique_ptr<tsdb::DB> db = std::move(opened).value();
  StatsExporter stats(db.get());

  // 2. Forwarders: everything stored goes through them.
  std::vector<std::unique_ptr<ingest::RemoteWriter>> writers;
  std::vector<ingest::RemoteWriter*> writer_ptrs;
  if (remote_write_tmp.empty()) remote_write_tmp = data_path + "/remotewrite-queue";
  for (size_t i = 0; i < remote_write_urls.size(); ++i) {
    ingest::RemoteWriterOptions o;
    o.url = remote_write_urls[i];
    o.queue_dir = fmt::format("{}/{}_{:016x}", remote_write_tmp, i + 1, std::hash<std::string>()(o.url));
    o.max_buffer_bytes = static_cast<uint64_t>(remote_write_max_disk);
    auto w = std::make_unique<ingest::RemoteWriter>(o);
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
  scrape::Manager scraper(appendable, scrape::ManagerOptions{scrape_config, strict_parse});

  // 4. HTTP.
  http::ServerOptions so;
  so.name = "storage";
  so.listen_addr = listen_addr;
  so.max_body_bytes = static_cast<size_t>(max_request_size);
  http::Server server(so);
  AddStandardRoutes(server, [&scraper] { return scraper.Reload(); });
  ingest::WriteApiOptions wopts;
  wopts.limits = ingest::Limits{max_labels, max_label_value_len};
  wopts.parse_selector = [](std::string_view s) -> Result<std::vector<model::Matcher>> {
    auto sets = api::ParseMatchSets({std::string(s)});  // with the non-empty matcher check
    if (!sets.ok()) return sets.status();
    return std::move((*sets)[0]);
  };
  wopts.max_export_series = static_cast<size_t>(max_series);
  ingest::MetadataStore remote_metadata;  // what remote_write senders say about their metrics
  wopts.metadata = &remote_metadata;
  ingest::AdminHooks hooks;
  tsdb::DB* dbp = db.get();
  hooks.force_flush = [dbp] { return dbp->ForceFlush(); };
  hooks.force_merge = [dbp] { return dbp->ForceMerge(); };
  hooks.delete_series = [dbp](const std::vector<std::vector<model::Matcher>>& sets) -> Status {
    uint64_t total = 0;
    for (const auto& ms : sets) {
      auto n = dbp->DeleteSeries(ms);
      if (!n.ok()) return n.status();
      total += *n;
    }
    spdlog::info("delete_series: deleted {} series", total);
    return Status::Ok();
  };
  ingest::RegisterWriteApi(server, appendable, db.get(), wopts, hooks);
  scraper.RegisterRoutes(server);

  // 5. The Prometheus query API over the store, with the scrapes' metadata.
  promql::EngineOptions eopts;
  auto dur = [](const std::string& v) -> int64_t { return v == "0" ? 0 : ParseDurationMs(v).value(); };
  if (max_staleness != "0") eopts.lookback_delta_ms = dur(max_staleness);  // VM: 0 = automatic
  eopts.max_samples = static_cast<size_t>(max_samples);
  eopts.max_series = static_cast<size_t>(max_series);
  eopts.timeout = std::chrono::milliseconds(dur(max_query_duration));
  promql::Engine engine(eopts);
  api::PromApiOptions aopts;
  aopts.max_points_per_series = static_cast<int64_t>(max_points);
  aopts.slow_query_log = std::chrono::milliseconds(dur(slow_query));
  aopts.metadata = [&scraper, &remote_metadata] {
    auto md = scraper.Metadata();
    ingest::MergeMetadata(&md, remote_metadata.Snapshot());
    return md;
  };
  aopts.flags = {{"httpListenAddr", listen_addr},          {"storageDataPath", data_path},
                 {"retentionPeriod", retention},            {"promscrape.config", scrape_config},
                 {"search.maxStalenessInterval", max_staleness}, {"search.maxQueryDuration", max_query_duration}};
  aopts.config_yaml = [&scraper] { return scraper.ConfigYaml(); };
  api::RegisterPrometheusApi(server, *db, engine, aopts);
  api::RegisterVmalertProxy(server, vmalert_proxy_url);
  if (Status st = server.Start(); !st.ok()) {
    spdlog::error("{}", st.message());
    return kExitFailure;
  }
  if (Status st = scraper.Start(); !st.ok()) {
    spdlog::error("cannot load -promscrape.config: {}", st.message());
    server.Stop();
    return kExitFailure;
  }
  tsdb::Stats s = db->GetStats();
  spdlog::info("storage listening on http://{} (data in {}, retention {}, {} series, {} scrape targets)", listen_addr,
               data_path, FormatDurationMs(*retention_ms), s.series, scraper.ActiveTargetCount());

  WaitForShutdown([&scraper] { (void)scraper.Reload(); });

  // Reverse order of start: stop scraping, stop serving, drain forwarders, close the store.
  spdlog::info("shutting down");
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
