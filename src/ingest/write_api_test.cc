// The write endpoints over real HTTP (http::Server in-process) against a small in-memory store,
// garbage bodies, and the remote_write forwarder through a receiver outage and a restart.
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "ingest/graphite.h"
#include "ingest/native.h"
#include "ingest/remote_write_queue.h"
#include "ingest/write_api.h"
#include "obs/metrics.h"
#include "storage/recording_appendable.h"
#include "testutil/raw_conn.h"
#include "testutil/probes.h"
#include "testutil/testutil.h"
#include "util/fault_injection_env.h"
#include "util/strings.h"

namespace sremon::ingest {
namespace {

// The store behind the endpoints: queried as VictoriaMetrics keeps samples (a re-import of what
// was exported is accepted; the last write wins).
using storage::testing::RecordingAppendable;

// Test-only selector parser: a bare metric name (the service uses promql::ParseMetricSelector).
Result<std::vector<model::Matcher>> NameSelector(std::string_view s) {
  if (s.empty() || s.find_first_of("{}\"") != std::string_view::npos) {
    return Status::InvalidArgument("test parser takes a metric name");
  }
  auto m = model::Matcher::Make(model::MatchType::kEqual, "__name__", std::string(s));
  return std::vector<model::Matcher>{*m};
}

class WriteApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ServerOptions so{.name = "storage", .listen_addr = "127.0.0.1:0", .io_threads = 1, .worker_threads = 2};
    so.max_body_bytes = 1 << 20;
    server_ = std::make_unique<http::Server>(so);
    WriteApiOptions opts;
    opts.parse_selector = NameSelector;
    AdminHooks hooks;
    hooks.force_flush = [this] {
      ++flushes_;
      return Status::Ok();
    };
    RegisterWriteApi(*server_, &store_, &store_, opts, hooks);
    ASSERT_TRUE(server_->Start().ok());
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override { server_->Stop(); }

  http::ClientResponse Post(const std::string& path, std::string body, std::string encoding = "") {
    http::ClientRequest req;
    req.method = "POST";
    req.url = base_ + path;
    req.body = std::move(body);
    if (!encoding.empty()) req.headers.Set("Content-Encoding", encoding);
    auto r = http::Fetch(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::ClientResponse{};
  }

  RecordingAppendable store_;
  std::unique_ptr<http::Server> server_;
  std::string base_;
  int flushes_ = 0;
};

TEST_F(WriteApiTest, ImportPrometheusAndExportRoundTrip) {
  auto r = Post("/api/v1/import/prometheus?extra_label=env=test", "m{a=\"1\"} 1 1000\nm{a=\"1\"} 2 2000\nn 5 1500\n");
  EXPECT_EQ(r.status, 204) << r.body;
  // gzip body
  r = Post("/api/v1/import/prometheus", http::Gzip("g 7 1000\n"), "gzip");
  EXPECT_EQ(r.status, 204) << r.body;
  auto e = http::Get(base_ + "/api/v1/export?match[]=m&start=0&end=3");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->status, 200);
  EXPECT_EQ(e->body, "{\"metric\":{\"__name__\":\"m\",\"a\":\"1\",\"env\":\"test\"},\"values\":[1,2],\"timestamps\":[1000,2000]}\n");
  e = http::Get(base_ + "/api/v1/export?match[]=m&start=0&end=1.5");
  EXPECT_EQ(e->body, "{\"metric\":{\"__name__\":\"m\",\"a\":\"1\",\"env\":\"test\"},\"values\":[1],\"timestamps\":[1000]}\n");

  // Export → import into a fresh store gives the same lines.
  std::string all = http::Get(base_ + "/api/v1/export?match[]=m&match[]=n&match[]=g&start=0")->body;
  RecordingAppendable other;
  auto app = other.NewAppender();
  ImportResult res = ImportVmJson(all, {}, Limits{}, app.get());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_TRUE(res.first_error.ok());
  EXPECT_EQ(res.samples, 4u);
  EXPECT_EQ(Post("/api/v1/import", all).status, 204);
  EXPECT_EQ(store_.Stored().size(), 4u);  // same samples again: last write wins, nothing duplicated
}

// A large body is committed in pieces (IncrementalAppender) and every sample lands.
TEST_F(WriteApiTest, LargeImportCommitsInPiecesAndStoresEverything) {
  std::string body;
  for (int t = 0; t < 100; ++t) {
    for (int s = 0; s < 400; ++s) body += fmt::format("big{{s=\"{}\"}} {} {}\n", s, t, 1000 * (t + 1));
  }
  int before = store_.commits();
  auto r = Post("/api/v1/import/prometheus", body);
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(store_.Stored().size(), 40000u);
  EXPECT_EQ(store_.commits() - before, 3);  // 16384 + 16384 + the rest at the end
}

// curl --data-binary sends application/x-www-form-urlencoded: the body must stay raw text, not
// become parameters (a value holding "&extra_label=" must not inject a label).
TEST_F(WriteApiTest, FormContentTypeBodyStaysRaw) {
  auto r = http::Post(base_ + "/api/v1/import/prometheus", "f{a=\"x&extra_label=y=z\"} 1 1000\n",
                      "application/x-www-form-urlencoded");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 204) << r->body;
  auto e = http::Get(base_ + "/api/v1/export?match[]=f&start=0");
  EXPECT_EQ(e->body, "{\"metric\":{\"__name__\":\"f\",\"a\":\"x&extra_label=y=z\"},\"values\":[1],\"timestamps\":[1000]}\n");
}

TEST_F(WriteApiTest, RemoteWriteEndpoint) {
  std::string body = EncodeRemoteWrite({{model::Labels{{"__name__", "rw"}}, {{1000, 3}}}});
  auto r = Post("/api/v1/write", body);
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(store_.Stored().size(), 1u);
}

TEST_F(WriteApiTest, GarbageToEveryEndpoint) {
  struct Case {
    const char* path;
    std::string body;
    int want;
    const char* want_text;
  };
  const Case kCases[] = {
      {"/api/v1/import/prometheus", "ok 1\n{{{ garbage\n", 400, "line 2"},
      {"/api/v1/import/prometheus", std::string("\x00\xff\xfe", 3), 400, "line 1"},
      {"/api/v1/import/prometheus?extra_label=novalue", "a 1\n", 400, "extra_label"},
      {"/api/v1/write", "definitely not snappy", 400, "cannot decompress"},
      {"/api/v1/write", "", 204, ""},
      {"/api/v1/import", "{\"metric\":", 400, "line 1"},
      {"/api/v1/import", std::string(2 << 20, 'x'), 413, ""},
      {"/api/v1/export", "", 400, "missing `match[]`"},
      {"/api/v1/export?match[]={bad", "", 400, "cannot parse match[]"},
      {"/api/v1/export?match[]=m&start=yesterday", "", 400, "cannot parse `start`"},
      {"/api/v1/admin/tsdb/delete_series?match[]=m", "", 501, "not available"},
  };
  for (const Case& c : kCases) {
    auto r = Post(c.path, c.body);
    EXPECT_EQ(r.status, c.want) << c.path << ": " << r.body;
    EXPECT_NE(r.body.find(c.want_text), std::string::npos) << c.path << ": " << r.body;
  }
  EXPECT_EQ(store_.Stored().size(), 1u);  // "ok 1" was kept
  auto f = http::Get(base_ + "/internal/force_flush");
  EXPECT_EQ(f->status, 200);
  EXPECT_EQ(flushes_, 1);
}

TEST_F(WriteApiTest, DiskFullAnswers503) {
  store_.FailCommits(Status::Unavailable("disk full: no space left on device"));
  auto r = Post("/api/v1/import/prometheus", "a 1\n");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("disk full"), std::string::npos) << r.body;
  store_.FailCommits(Status::Ok());
  EXPECT_EQ(Post("/api/v1/import/prometheus", "a 1\n").status, 204);
}

// OTLP/HTTP JSON as the specification has it: Content-Type application/json both ways, 200 with
// an empty JSON ExportMetricsServiceResponse, gzip bodies, and errors as a JSON Status message.
TEST_F(WriteApiTest, OtlpJsonBodies) {
  const std::string body = R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
    "scopeMetrics":[{"metrics":[{"name":"jobs","unit":"1","gauge":{"dataPoints":[{"asInt":"3","timeUnixNano":"2000000000"}]}}]}]}]})";
  auto post = [&](std::string b, const char* type, bool gzip) {
    http::ClientRequest req;
    req.method = "POST";
    req.url = base_ + "/opentelemetry/v1/metrics";
    req.headers.Set("Content-Type", type);
    if (gzip) req.headers.Set("Content-Encoding", "gzip");
    req.body = gzip ? http::Gzip(b) : std::move(b);
    auto r = http::Fetch(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::ClientResponse{};
  };
  auto r = post(body, "application/json", false);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/json");
  auto e = http::Get(base_ + "/api/v1/export?match[]=jobs_ratio&start=0");
  EXPECT_EQ(e->body, "{\"metric\":{\"__name__\":\"jobs_ratio\",\"job\":\"svc\"},\"values\":[3],\"timestamps\":[2000]}\n");
  r = post(body, "Application/JSON; charset=utf-8", true);
  EXPECT_EQ(r.status, 200) << r.body;
  r = post(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":["x"]}]}]}]})", "application/json", false);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(r.body,
            R"j({"code":3,"message":"cannot parse the OTLP/JSON body: resourceMetrics[0].scopeMetrics[0].metrics[0].name: )j"
            R"j(want a string, got an array (stored 0 valid samples)"})j");
  // The protobuf encoding is unchanged: an empty request is a full success.
  r = post("", "application/x-protobuf", false);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/x-protobuf");
}

// OTLP/HTTP errors are google.rpc.Status messages in the request's encoding, on every OTLP path
// and whoever answers: the decoder (400), the server's body and gzip limits (413), the store (500).
TEST_F(WriteApiTest, OtlpErrorsAreStatusMessages) {
  // google.rpc.Status read by hand: code = 1 (varint), message = 2 (bytes); nothing else.
  struct RpcStatus {
    int code = -1;
    std::string message;
  };
  auto decode = [](std::string_view b) {
    RpcStatus st;
    size_t i = 0;
    auto varint = [&] {
      uint64_t v = 0;
      for (int shift = 0; i < b.size(); shift += 7) {
        auto c = static_cast<uint8_t>(b[i++]);
        v |= uint64_t{c & 0x7fu} << shift;
        if (!(c & 0x80)) break;
      }
      return v;
    };
    while (i < b.size()) {
      uint64_t tag = varint();
      if (tag == 0x08) {
        st.code = static_cast<int>(varint());
      } else if (tag == 0x12) {
        size_t n = varint();
        st.message = std::string(b.substr(i, n));
        i += n;
      } else {
        ADD_FAILURE() << "unexpected tag " << tag << " in " << Quote(b);
        break;
      }
    }
    return st;
  };
  auto post = [&](const std::string& path, const std::string& body, bool json, bool gzip = false) {
    http::ClientRequest req;
    req.method = "POST";
    req.url = base_ + path;
    req.headers.Set("Content-Type", json ? "application/json" : "application/x-protobuf");
    if (gzip) req.headers.Set("Content-Encoding", "gzip");
    req.body = gzip ? http::Gzip(body) : body;
    auto r = http::Fetch(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::ClientResponse{};
  };
  // A delta sum: refused by the mapping, naming the metric.
  const std::string delta_proto("\x0a\x0b\x12\x09\x12\x07\x0a\x01" "d" "\x3a\x02\x10\x01", 13);  // sum{temporality 1}
  const std::string bad_json = R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{"dataPoints":[{"asDouble":true}]}}]}]}]})";
  const std::string big(2 << 20, '\x01');  // over the fixture's 1 MB max_body_bytes, raw or unzipped
  struct Case {
    std::string body;
    bool json, gzip;
    int status, code;
    std::string want;
  };
  const Case kCases[] = {
      {delta_proto, false, false, 400, 3, "metric \"d\": delta sums are not accepted"},
      {"\x0b", false, false, 400, 3, "cannot parse the OTLP ExportMetricsServiceRequest protobuf body: invalid wire type"},
      {bad_json, true, false, 400, 3,
       "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].asDouble: want a double"},
      {big, false, false, 413, 8, "request body is larger than the limit of 1048576 bytes"},
      {big, true, true, 413, 8, "cannot decompress gzip request body"},
  };
  for (const char* path : {"/opentelemetry/v1/metrics", "/opentelemetry/api/v1/push", "/api/v1/otlp/v1/metrics"}) {
    for (const Case& c : kCases) {
      auto r = post(path, c.body, c.json, c.gzip);
      EXPECT_EQ(r.status, c.status) << path << " " << c.want;
      RpcStatus st;
      if (c.json) {
        EXPECT_EQ(r.headers.Get("Content-Type"), "application/json");
        auto j = nlohmann::json::parse(r.body, nullptr, false);
        ASSERT_TRUE(j.is_object()) << r.body;
        st = {j.value("code", -1), j.value("message", "")};
      } else {
        EXPECT_EQ(r.headers.Get("Content-Type"), "application/x-protobuf");
        st = decode(r.body);
      }
      EXPECT_EQ(st.code, c.code) << path << " " << Quote(r.body);
      EXPECT_NE(st.message.find(c.want), std::string::npos) << path << " " << Quote(r.body) << "\n want " << c.want;
    }
    // The store failing: 500 (INTERNAL), in either encoding.
    store_.FailCommits(Status::Internal("cannot write the WAL"));
    for (bool json : {false, true}) {
      auto r = post(path, json ? "{}" : "", json);
      RpcStatus st = json ? RpcStatus{nlohmann::json::parse(r.body).value("code", -1),
                                      nlohmann::json::parse(r.body).value("message", "")}
                          : decode(r.body);
      EXPECT_EQ(r.status, 500) << r.body;
      EXPECT_EQ(st.code, 13);
      EXPECT_EQ(st.message, "cannot store samples: cannot write the WAL");
    }
    store_.FailCommits(Status::Ok());
  }
}

// The value of counter NAME{type="TYPE"} in this process's /metrics, -1 when it is not there.
double Counter(const std::string& name, const std::string& type) {
  std::string text = obs::RenderMetrics();
  std::string key = name + "{type=\"" + type + "\"} ";
  size_t at = text.find("\n" + key);
  return at == std::string::npos ? -1 : std::stod(text.substr(at + 1 + key.size()));
}

// Every write path counts its samples and its failed writes under VictoriaMetrics' names
// (vm_rows_inserted_total, vm_http_request_errors_total) and sremon's (sremon_rows_inserted_total,
// sremon_insert_errors_total), by type, all from CountWrite: one good and one bad write each.
TEST_F(WriteApiTest, EveryWritePathCountsRowsAndErrors) {
  GraphiteListener graphite(&store_, Limits{});
  ASSERT_TRUE(graphite.Start("127.0.0.1:0").ok());
  const std::string otlp_point = R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"o","gauge":)"
                                 R"({"dataPoints":[{"asDouble":1,"timeUnixNano":"1000000000"}]}}]}]}]})";
  struct Case {
    std::string type;
    std::string good_path, good_body;  // writes one sample
    std::string bad_path, bad_body;    // answers an error
    const char* content_type = "";
  };
  std::string native_body;
  native::AppendHeader(&native_body, 0, 2000);
  const model::Sample native_sample{1000, 1};
  native::AppendSeries(&native_body, model::Labels{{"__name__", "n"}}, std::span(&native_sample, 1));
  const Case kCases[] = {
      {"native", "/api/v1/import/native", native_body, "/api/v1/import/native", native_body.substr(0, 20)},
      {"prometheus", "/api/v1/import/prometheus", "p 1\n", "/api/v1/import/prometheus", "p{\n"},
      {"promremotewrite", "/api/v1/write", EncodeRemoteWrite({{model::Labels{{"__name__", "rw"}}, {{1000, 1}}}}),
       "/api/v1/write", "not snappy"},
      {"vmimport", "/api/v1/import", R"({"metric":{"__name__":"v"},"values":[1],"timestamps":[1000]})", "/api/v1/import",
       "{"},
      {"csvimport", "/api/v1/import/csv?format=2:metric:c,1:label:x", "a,1\n", "/api/v1/import/csv?format=nonsense",
       "a,1\n"},
      {"influx", "/write?db=d", "cpu v=1\n", "/write?precision=fortnight", "cpu v=1\n"},
      {"opentelemetry", "/opentelemetry/v1/metrics", otlp_point, "/opentelemetry/v1/metrics", "[]", "application/json"},
  };
  const std::string kNames[] = {"vm_rows_inserted_total", "sremon_rows_inserted_total", "vm_http_request_errors_total",
                                "sremon_insert_errors_total"};
  auto snapshot = [&](const std::string& type) {
    std::vector<double> v;
    for (const auto& n : kNames) v.push_back(Counter(n, type));
    return v;
  };
  auto check_moved = [&](const std::string& type, const std::vector<double>& before) {
    std::vector<double> after = snapshot(type);
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_GE(before[i], 0) << kNames[i] << "{type=" << type << "} is registered before the first write";
      EXPECT_EQ(after[i] - before[i], 1) << kNames[i] << "{type=" << type << "}";
    }
  };
  for (const Case& c : kCases) {
    std::vector<double> before = snapshot(c.type);
    for (bool good : {true, false}) {
      http::ClientRequest req;
      req.method = "POST";
      req.url = base_ + (good ? c.good_path : c.bad_path);
      req.body = good ? c.good_body : c.bad_body;
      if (*c.content_type) req.headers.Set("Content-Type", c.content_type);
      auto r = http::Fetch(req);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->status >= 400, !good) << c.type << " " << r->status << " " << r->body;
    }
    check_moved(c.type, before);
  }
  // Graphite: one TCP batch with a good and a bad line is one sample and one error.
  std::vector<double> before = snapshot("graphite");
  {
    testutil::RawConn conn(graphite.port());
    ASSERT_TRUE(conn.ok());
    conn.Send("g.one 1 1700000000\nnot-a-line\n");
  }
  for (int i = 0; i < 200 && Counter("sremon_insert_errors_total", "graphite") == before[3]; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  check_moved("graphite", before);
  graphite.Stop();
}

// A receiver for the forwarder: our own /api/v1/write endpoint on a chosen port.
struct Receiver {
  explicit Receiver(int port) {
    server = std::make_unique<http::Server>(
        http::ServerOptions{.name = "receiver", .listen_addr = "127.0.0.1:" + std::to_string(port), .io_threads = 1});
    WriteApiOptions opts;
    opts.parse_selector = NameSelector;
    RegisterWriteApi(*server, &store, &store, opts, {});
    EXPECT_TRUE(server->Start().ok());
  }
  ~Receiver() { server->Stop(); }
  RecordingAppendable store;
  std::unique_ptr<http::Server> server;
};

// A queue to 127.0.0.1:port in queue_dir, with blocks of `batch` samples and quick retries.
RemoteWriteQueueOptions QueueOptions(int port, const std::string& queue_dir, size_t batch) {
  RemoteWriteQueueOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(port) + "/api/v1/write";
  o.queue_dir = queue_dir;
  o.max_batch_samples = batch;
  o.min_backoff_ms = 20;  // the sender wakes this often and retries unwritten blocks
  o.max_backoff_ms = 100;
  o.send_timeout_ms = 1000;
  return o;
}

TEST(RemoteWriteQueueTest, OutageAndRestartLoseNothing) {
  testutil::TempDir dir;
  int port = testutil::FreePort();
  RemoteWriteQueueOptions o = QueueOptions(port, dir.File("queue"), 50);
  o.flush_interval_ms = 50;
  RecordingAppendable local;
  {
    RemoteWriteQueue w(o);
    ASSERT_TRUE(w.Start().ok());
    ForwardingAppendable fwd(&local, {&w});
    // The receiver is down: everything goes to the on-disk queue.
    for (int batch = 0; batch < 10; ++batch) {
      auto app = fwd.NewAppender();
      for (int i = 0; i < 30; ++i) {
        ASSERT_TRUE(app->Append(model::Labels{{"__name__", "fwd"}, {"i", std::to_string(i)}}, batch * 1000, batch).ok());
      }
      ASSERT_TRUE(app->Commit().ok());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_GT(w.QueuedBlocks(), 0u);
    w.Stop();  // restart in the middle of the outage: the queue is on disk
  }
  EXPECT_EQ(local.Stored().size(), 300u);
  RemoteWriteQueue w2(o);
  ASSERT_TRUE(w2.Start().ok());
  EXPECT_GT(w2.QueuedBlocks(), 0u);
  Receiver rx(port);
  for (int i = 0; i < 200 && (w2.QueuedBlocks() > 0 || rx.store.Stored().size() < 300); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(rx.store.Stored().size(), 300u);
  EXPECT_EQ(w2.QueuedBlocks(), 0u);
  w2.Stop();
}

// A counter of /metrics for one remote_write URL (0 before its first increment).
double WriterCounter(const std::string& name, const std::string& url) {
  std::string text = obs::RenderMetrics();
  std::string prefix = name + "{url=\"" + url + "\"} ";
  size_t at = text.find(prefix);
  return at == std::string::npos ? 0 : std::stod(text.substr(at + prefix.size()));
}

// The queue under injected faults (util/fault_injection_env.h). A block that cannot be written
// (disk full with a short write, failed fsync) stays in memory, is counted, and is written once
// the disk is back, in order; a crash before a block's rename leaves a .tmp that the next start
// removes; every block queued before the crash survives a power loss and is delivered once.
// (Regressions: the queue dropped a block it could not write, never fsynced before the rename,
// and ignored the rename's result.)
TEST(RemoteWriteQueueTest, QueueFaultsLoseNothingQueued) {
  testutil::TempDir dir;
  int port = testutil::FreePort();
  FaultInjectionEnv env(Env::Default());
  RemoteWriteQueueOptions o = QueueOptions(port, dir.File("queue"), 10);
  o.flush_interval_ms = 3600 * 1000;  // blocks only from full batches: one per push() below
  o.env = &env;
  auto push = [](RemoteWriteQueue* w, int batch) {  // the 10th sample makes a block
    for (int i = 0; i < 10; ++i) w->Push(model::Labels{{"__name__", "q"}, {"i", std::to_string(i)}}, batch * 1000, batch);
  };
  auto files = [&](std::string_view suffix) {
    size_t n = 0;
    auto names = Env::Default()->ListDir(o.queue_dir);
    for (const auto& name : names.value()) {
      n += name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
    }
    return n;
  };
  auto errors = [&] { return WriterCounter("sremon_remotewrite_queue_write_errors_total", o.url); };
  auto wait_files = [&](size_t n) {
    return testutil::Poll(std::chrono::seconds(10), [&] { return files(".rwblock") == n; });
  };
  {
    RemoteWriteQueue w(o);  // the receiver is down throughout
    ASSERT_TRUE(w.Start().ok());
    double errors_before = errors();
    env.SetFull(true);
    env.SetPartialBytes(10);
    push(&w, 0);
    EXPECT_EQ(w.QueuedBlocks(), 1u);  // held in memory
    EXPECT_EQ(files(".rwblock"), 0u);
    EXPECT_GT(errors(), errors_before);
    env.SetFull(false);
    ASSERT_TRUE(wait_files(1));  // written by a later retry

    env.SetSyncFails(true);
    errors_before = errors();
    push(&w, 1);
    EXPECT_EQ(w.QueuedBlocks(), 2u);
    EXPECT_EQ(files(".rwblock"), 1u);  // never renamed before its fsync
    EXPECT_GT(errors(), errors_before);
    env.SetSyncFails(false);
    ASSERT_TRUE(wait_files(2));

    env.SetCrashBeforeRename(true);
    push(&w, 2);  // the process dies between writing this block and renaming it
    EXPECT_TRUE(env.crashed());
    EXPECT_EQ(files(".tmp"), 1u);
  }  // nothing the dead process does from here reaches the disk
  env.Restart();  // kill -9, not a power loss: the .tmp is still there
  {
    RemoteWriteQueue w(o);
    ASSERT_TRUE(w.Start().ok());
    EXPECT_EQ(files(".tmp"), 0u);
    EXPECT_EQ(w.QueuedBlocks(), 2u);
  }
  ASSERT_TRUE(env.PowerLoss().ok());
  RemoteWriteQueue w(o);
  ASSERT_TRUE(w.Start().ok());
  EXPECT_EQ(w.QueuedBlocks(), 2u);
  Receiver rx(port);
  EXPECT_TRUE(testutil::Poll(std::chrono::seconds(10), [&] { return w.QueuedBlocks() == 0; }));
  EXPECT_EQ(rx.store.Stored().size(), 20u);  // batches 0 and 1; batch 2 never reached the queue
  EXPECT_EQ(rx.store.commits(), 2);   // each block once
  w.Stop();
}

TEST(RemoteWriteQueueTest, BufferBoundDropsOldest) {
  testutil::TempDir dir;
  RemoteWriteQueueOptions o = QueueOptions(testutil::FreePort(), dir.File("q"), 10);
  o.max_buffer_bytes = 400;
  o.min_backoff_ms = 1000;
  o.max_backoff_ms = 10000;
  RemoteWriteQueue w(o);
  ASSERT_TRUE(w.Start().ok());
  for (int i = 0; i < 500; ++i) w.Push(model::Labels{{"__name__", "x"}, {"i", std::to_string(i)}}, i, i);
  EXPECT_LE(w.QueuedBlocks(), 5u);
  EXPECT_GE(w.QueuedBlocks(), 1u);
  w.Stop();
}

// Only an answer that may get better is retried: a redirect or a 4xx other than 429 drops the block
// (counted), a 5xx or 429 is retried until the block is taken; either way the queue moves on.
// (Regression: a 3xx was retried forever, so no block behind it was ever sent.)
TEST(RemoteWriteQueueTest, RedirectAndRefusalDropTheBlockRetryableAnswersDoNot) {
  std::mutex mu;
  int refuse_with = 0;      // when set, the answer to every request
  std::deque<int> script;   // else the answers to give before accepting
  int requests = 0, accepted = 0;
  http::Server rx(http::ServerOptions{.name = "receiver", .listen_addr = "127.0.0.1:0", .io_threads = 1});
  rx.Route("POST", "/api/v1/write", [&](http::Request&, http::Response& resp) {
    std::lock_guard<std::mutex> l(mu);
    ++requests;
    int status = refuse_with;
    if (status == 0) {
      status = script.empty() ? 204 : script.front();
      if (!script.empty()) script.pop_front();
    }
    if (status == 204) ++accepted;
    if (status / 100 == 3) resp.headers.Set("Location", "/elsewhere");
    resp.SetText(status, "");
  });
  ASSERT_TRUE(rx.Start().ok());
  testutil::TempDir dir;
  RemoteWriteQueue w(QueueOptions(rx.port(), dir.File("q"), 10));
  ASSERT_TRUE(w.Start().ok());
  auto counts = [&] {
    std::lock_guard<std::mutex> l(mu);
    return std::pair{requests, accepted};
  };
  // One block (ten samples), answered as set; true once the queue is empty again.
  auto send_block = [&](int refuse, std::deque<int> answers) {
    {
      std::lock_guard<std::mutex> l(mu);
      refuse_with = refuse;
      script = std::move(answers);
    }
    for (int i = 0; i < 10; ++i) w.Push(model::Labels{{"__name__", "x"}, {"i", std::to_string(i)}}, 1000, i);
    return testutil::Poll(std::chrono::seconds(10), [&] { return w.QueuedBlocks() == 0 && w.PendingSamples() == 0; });
  };
  double dropped = WriterCounter("vmagent_remotewrite_dropped_bytes_total", w.url());
  for (int redirect : {301, 307, 308}) {
    ASSERT_TRUE(send_block(redirect, {})) << "HTTP " << redirect << " is retried instead of dropping the block";
  }
  EXPECT_EQ(counts(), std::pair(3, 0));  // one attempt each
  EXPECT_GT(WriterCounter("vmagent_remotewrite_dropped_bytes_total", w.url()), dropped);
  ASSERT_TRUE(send_block(400, {}));
  EXPECT_EQ(counts(), std::pair(4, 0));
  ASSERT_TRUE(send_block(0, {503, 429, 500}));  // retried, then taken
  EXPECT_EQ(counts(), std::pair(8, 1));
  w.Stop();
  rx.Stop();
}

}  // namespace
}  // namespace sremon::ingest
