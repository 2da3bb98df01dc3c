// The one translation unit of the load generator that includes Beast (compile time).
#include "loadgen/loadgen.h"

#include <algorithm>
#include <memory>
#include <optional>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "util/strings.h"

namespace sremon::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

Result<WeightedPath> ParseWeightedPath(std::string_view spec) {
  SREMON_RETURN_IF_ERROR(CheckPrintableAscii("path", spec));
  WeightedPath wp;
  // The weight follows the last '=', unless that '=' belongs to the query: "/a?x=1" has no
  // weight, "/a?x=1=3" has weight 3.
  size_t eq = spec.rfind('=');
  size_t q = spec.find('?');
  std::string_view path = spec;
  bool has_weight = eq != std::string_view::npos &&
                    (q == std::string_view::npos || spec.substr(q, eq - q).find('=') != std::string_view::npos);
  if (has_weight) {
    auto w = ParseInt(spec.substr(eq + 1));
    if (w.ok()) {
      if (*w < 1 || *w > 1000000) {
        return Status::InvalidArgument(fmt::format("path {}: weight must be 1..1000000", Quote(spec)));
      }
      wp.weight = static_cast<int>(*w);
      path = spec.substr(0, eq);
    }
  }
  if (path.empty() || path[0] != '/') {
    return Status::InvalidArgument(fmt::format("path {} must start with '/' (e.g. --path /health=2)", Quote(spec)));
  }
  wp.path = std::string(path);
  return wp;
}

PathMix::PathMix(std::vector<WeightedPath> paths) : paths_(std::move(paths)), current_(paths_.size(), 0) {
  for (const auto& p : paths_) total_ += p.weight;
}

size_t PathMix::Next() {
  size_t best = 0;
  for (size_t i = 0; i < paths_.size(); ++i) {
    current_[i] += paths_[i].weight;
    if (current_[i] > current_[best]) best = i;
  }
  current_[best] -= total_;
  return best;
}

namespace {

struct Target {
  std::string host, port, base_path;
};

Result<Target> ParseTarget(const std::string& url) {
  std::string_view rest = url;
  if (!rest.starts_with("http://")) {
    return Status::InvalidArgument(fmt::format("URL {} must start with http:// (https is not supported)", Quote(url)));
  }
  rest.remove_prefix(7);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  Target t;
  t.base_path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  size_t colon = authority.rfind(':');
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument(fmt::format("invalid URL {}", Quote(url)));
    t.host = std::string(authority.substr(1, close - 1));
    t.port = close + 1 < authority.size() && authority[close + 1] == ':' ? std::string(authority.substr(close + 2)) : "80";
  } else {
    t.host = std::string(authority.substr(0, colon));
    t.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  }
  if (t.host.empty()) return Status::InvalidArgument(fmt::format("invalid URL {}: no host", Quote(url)));
  auto port = ParseInt(t.port);
  if (!port.ok() || *port < 1 || *port > 65535) return Status::InvalidArgument(fmt::format("invalid port in URL {}", Quote(url)));
  return t;
}

// Runs on one io_context thread: every member is touched from that thread only.
class Runner {
 public:
  Runner(const LoadOptions& o, Target target, const std::function<void(const LoadStats&)>& on_progress)
      : o_(o), target_(std::move(target)), on_progress_(on_progress), mix_(MakePaths(o, target_)),
        progress_timer_(ioc_) {
    for (const auto& p : mix_.paths()) {
      // Prebuilt requests: the hot loop only copies a string into the socket.
      requests_.push_back(fmt::format("{} {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: sremon-load\r\nAccept: */*\r\n{}\r\n",
                                      o.method, p.path, target_.host, target_.port,
                                      o.keep_alive ? "" : "Connection: close\r\n"));
    }
  }

  Result<LoadStats> Run() {
    tcp::resolver resolver(ioc_);
    beast::error_code ec;
    endpoints_ = resolver.resolve(target_.host, target_.port, ec);
    if (ec) return Status::Unavailable(fmt::format("cannot resolve {}: {}", target_.host, ec.message()));
    start_ = Clock::now();
    next_slot_ = start_;
    if (o_.duration.count() > 0) deadline_ = start_ + o_.duration;
    interval_start_ = start_;
    for (int i = 0; i < o_.concurrency; ++i) std::make_shared<Conn>(this)->Next();
    ScheduleProgress();
    ioc_.run();
    Snapshot();
    return stats_;
  }

 private:
  static std::vector<WeightedPath> MakePaths(const LoadOptions& o, const Target& t) {
    if (!o.paths.empty()) return o.paths;
    return {WeightedPath{t.base_path, 1}};
  }

  class Conn : public std::enable_shared_from_this<Conn> {
   public:
    explicit Conn(Runner* r) : r_(r), stream_(r->ioc_), timer_(r->ioc_) {}

    // Takes the next request slot (rate limit, bounds) and sends, or ends this connection.
    void Next() {
      auto slot = r_->TakeSlot();
      if (!slot) {
        ++r_->finished_conns_;
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.close();
        r_->MaybeFinish();
        return;
      }
      if (*slot <= Clock::now()) return Send();
      timer_.expires_at(*slot);
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Send(); });
    }

   private:
    void Send() {
      path_index_ = r_->mix_.Next();
      ++r_->stats_.sent;
      sent_at_ = Clock::now();
      stream_.expires_after(r_->o_.timeout);
      if (!connected_) {
        stream_.async_connect(r_->endpoints_, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return self->Fail(ec, /*connecting=*/true);
          self->connected_ = true;
          ++self->r_->stats_.connections;
          beast::error_code ignored;
          self->stream_.socket().set_option(tcp::no_delay(true), ignored);
          self->Write();
        });
        return;
      }
      Write();
    }

    void Write() {
      asio::async_write(stream_, asio::buffer(r_->requests_[path_index_]),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Fail(ec, false);
                          self->Read();
                        });
    }

    void Read() {
      parser_.emplace();
      parser_->body_limit(64 << 20);
      bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->Fail(ec, false);
        self->Done();
      });
    }

    void Done() {
      auto& msg = parser_->get();
      int status = static_cast<int>(msg.result_int());
      r_->Record(path_index_, status, std::chrono::duration<double>(Clock::now() - sent_at_).count());
      if (!r_->o_.keep_alive || !msg.keep_alive()) Reset();
      Next();
    }

    void Fail(beast::error_code ec, bool connecting) {
      auto& s = r_->stats_;
      ++s.errors;
      if (ec == beast::error::timeout) {
        ++s.timeouts;
      } else if (connecting) {
        ++s.connect_errors;
      }
      bool reused = connected_;
      Reset();
      // A keep-alive connection the server closed between requests: not worth a pause.
      if (reused && !connecting && ec != beast::error::timeout) return Next();
      // Otherwise pause a little so a dead target does not turn into a busy loop.
      timer_.expires_after(std::chrono::milliseconds(50));
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Next(); });
    }

    void Reset() {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.close();  // the next async_connect opens the socket again
      buffer_.clear();
      connected_ = false;
    }

    Runner* r_;
    beast::tcp_stream stream_;
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
    bool connected_ = false;
    size_t path_index_ = 0;
    Clock::time_point sent_at_;
  };

  // When the next request may go, or nothing when the run is over (time or count).
  std::optional<Clock::time_point> TakeSlot() {
    if (o_.max_requests > 0 && stats_.sent >= o_.max_requests) return std::nullopt;
    auto now = Clock::now();
    if (deadline_ && now >= *deadline_) return std::nullopt;
    if (o_.rate <= 0) return now;
    // Never burst to catch up after a stall: the schedule restarts from now.
    Clock::time_point slot = std::max(now, next_slot_);
    if (deadline_ && slot >= *deadline_) return std::nullopt;
    next_slot_ = slot + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / o_.rate));
    return slot;
  }

  void Record(size_t path, int status, double seconds) {
    ++stats_.responses;
    if (status < 200 || status >= 400) ++stats_.errors;
    ++stats_.by_status[status];
    ++by_path_[path];
    stats_.latency.Record(seconds);
    stats_.interval_latency.Record(seconds);
  }

  void Snapshot() {
    auto now = Clock::now();
    stats_.elapsed_seconds = std::chrono::duration<double>(now - start_).count();
    double interval = std::chrono::duration<double>(now - interval_start_).count();
    stats_.interval_rate = interval > 0 ? static_cast<double>(stats_.responses - interval_responses_) / interval : 0;
    stats_.by_path.clear();
    for (const auto& [i, n] : by_path_) stats_.by_path[mix_.paths()[i].path] += n;
  }

  void ScheduleProgress() {
    progress_timer_.expires_after(o_.progress_interval);
    progress_timer_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      Snapshot();
      if (on_progress_) on_progress_(stats_);
      stats_.interval_latency.Reset();
      interval_start_ = Clock::now();
      interval_responses_ = stats_.responses;
      ScheduleProgress();
    });
  }

  void MaybeFinish() {
    if (finished_conns_ == o_.concurrency) progress_timer_.cancel();
  }

  const LoadOptions& o_;
  Target target_;
  const std::function<void(const LoadStats&)>& on_progress_;
  asio::io_context ioc_{1};
  PathMix mix_;
  std::vector<std::string> requests_;
  tcp::resolver::results_type endpoints_;
  asio::steady_timer progress_timer_;
  Clock::time_point start_, next_slot_, interval_start_;
  std::optional<Clock::time_point> deadline_;
  int64_t interval_responses_ = 0;
  int finished_conns_ = 0;
  std::map<size_t, int64_t> by_path_;
  LoadStats stats_;
};

}  // namespace

Status ValidateLoadOptions(const LoadOptions& o) {
  SREMON_RETURN_IF_ERROR(CheckPrintableAscii("URL", o.url));
  SREMON_RETURN_IF_ERROR(CheckPrintableAscii("method", o.method));
  for (const auto& p : o.paths) SREMON_RETURN_IF_ERROR(CheckPrintableAscii("path", p.path));
  auto t = ParseTarget(o.url);
  if (!t.ok()) return t.status();
  if (o.rate < 0 || !(o.rate < 1e9)) return Status::InvalidArgument("rate must be >= 0 requests per second (0 = as fast as possible)");
  if (o.duration.count() < 0 || o.max_requests < 0) return Status::InvalidArgument("duration and requests must be >= 0");
  if (o.duration.count() == 0 && o.max_requests == 0) {
    return Status::InvalidArgument("the run must be bounded: give a duration, a number of requests, or both");
  }
  if (o.concurrency < 1 || o.concurrency > 10000) return Status::InvalidArgument("concurrency must be 1..10000");
  if (o.timeout.count() <= 0) return Status::InvalidArgument("timeout must be > 0");
  if (o.progress_interval.count() <= 0) return Status::InvalidArgument("progress interval must be > 0");
  if (o.method.empty()) return Status::InvalidArgument("invalid method");
  for (const auto& p : o.paths) {
    if (p.path.empty() || p.path[0] != '/') {
      return Status::InvalidArgument(fmt::format("invalid path {}", Quote(p.path)));
    }
  }
  return Status::Ok();
}

Result<LoadStats> RunLoad(const LoadOptions& options, const std::function<void(const LoadStats&)>& on_progress) {
  SREMON_RETURN_IF_ERROR(ValidateLoadOptions(options));
  auto target = ParseTarget(options.url);
  Runner runner(options, *target, on_progress);
  return runner.Run();
}

std::string FormatLatency(double seconds) {
  if (seconds < 1e-3) return fmt::format("{:.0f}µs", seconds * 1e6);
  if (seconds < 1) return fmt::format("{:.2f}ms", seconds * 1e3);
  return fmt::format("{:.2f}s", seconds);
}

}  // namespace sremon::loadgen
