#include "smtp/smtp.h"

#include <openssl/ssl.h>

#include <map>
#include <optional>
#include <set>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <fmt/format.h>

#include "http/http.h"
#include "http/tls.h"
#include "util/strings.h"

namespace sremon::smtp {

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

// RFC 5321 limits reply lines to 512 octets; a server sending more is not speaking SMTP.
constexpr size_t kMaxLine = 4096;
constexpr int kMaxReplyLines = 100;

// The DATA section (RFC 5321 4.5.2): CRLF line endings, a '.' doubled at the start of a line,
// and the terminating "." line.
std::string DotStuff(std::string_view data) {
  std::string out;
  out.reserve(data.size() + data.size() / 32 + 8);
  bool line_start = true;
  for (char c : data) {
    if (c == '\n') {
      if (out.empty() || out.back() != '\r') out += '\r';
      out += '\n';
      line_start = true;
      continue;
    }
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = false;
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

// A command argument must not end the command early: no CR, LF or NUL from configuration.
bool SafeArg(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos; }

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // text after "NNN-" / "NNN "
  std::string Text() const { return fmt::format("{} {}", code, Join(lines, " ")); }
};

class Session {
 public:
  explicit Session(const Message& m)
      : m_(m), deadline_(Clock::now() + m.timeout), socket_(ioc_), ssl_ctx_(ssl::context::tls_client) {}

  SendResult Run() {
    SendResult r;
    r.status = Exchange();
    r.last_code = last_code_;
    return r;
  }

 private:
  Status Exchange() {
    for (const auto& a : m_.to) {
      if (!SafeArg(a)) return Invalid(fmt::format("invalid recipient address {}", Quote(a)));
    }
    if (!SafeArg(m_.from) || !SafeArg(m_.hello)) return Invalid("invalid from address or hello name");
    if (m_.to.empty()) return Invalid("no recipient");
    if (Status st = http::ParseListenAddr(m_.smarthost, &host_, &port_); !st.ok() || host_.empty()) {
      return Invalid(fmt::format("invalid smarthost {}: want host:port", Quote(m_.smarthost)));
    }
    if (Status st = Connect(); !st.ok()) return st;
    if (m_.implicit_tls) {
      if (Status st = Handshake(); !st.ok()) return st;
    }
    if (Status st = Expect("greeting", 2); !st.ok()) return st;
    if (Status st = Hello(); !st.ok()) return st;
    if (!tls_ && m_.require_tls) {
      if (!ext_.count("starttls")) {
        return Fail("'require_tls' is true (default) but the server does not advertise the STARTTLS extension");
      }
      if (Status st = Command("STARTTLS", 2); !st.ok()) return st;
      if (Status st = Handshake(); !st.ok()) return st;
      if (Status st = Hello(); !st.ok()) return st;  // RFC 3207: forget what was learnt before TLS
    }
    if (!m_.username.empty() && ext_.count("auth")) {
      if (Status st = Auth(); !st.ok()) return st;
    }
    if (Status st = Command("MAIL FROM:<" + m_.from + ">", 2); !st.ok()) return st;
    for (const auto& to : m_.to) {
      if (Status st = Command("RCPT TO:<" + to + ">", 2); !st.ok()) return st;
    }
    if (Status st = Command("DATA", 3); !st.ok()) return st;
    if (Status st = Write(DotStuff(m_.data), "DATA"); !st.ok()) return st;
    if (Status st = Expect("end of DATA", 2); !st.ok()) return st;
    // The message is accepted: a failing QUIT changes nothing.
    (void)Command("QUIT", 2);
    return Status::Ok();
  }

  // The message or the configuration is wrong: sending again will not help.
  Status Invalid(std::string_view what) const {
    return Status::InvalidArgument(fmt::format("smtp {}: {}", m_.smarthost, what));
  }
  // The server refused, or does not speak SMTP as we need it.
  Status Fail(std::string_view what) const {
    return Status::Unavailable(fmt::format("smtp {}: {}", m_.smarthost, what));
  }
  Status IoError(std::string_view step, const error_code& ec) const {
    if (ec == asio::error::timed_out) {
      return Status::Timeout(fmt::format("smtp {}: {}: timeout after {}ms", m_.smarthost, step, m_.timeout.count()));
    }
    return Status::Unavailable(fmt::format("smtp {}: {}: {}", m_.smarthost, step, ec.message()));
  }

  // Runs the asynchronous operation `start` begins until it completes or the deadline passes:
  // one deadline covers the whole exchange, whatever step a slow server stalls in.
  template <typename Start>
  error_code Wait(Start start) {
    error_code result = asio::error::would_block;
    start([&result](const error_code& ec, auto&&...) { result = ec; });
    ioc_.restart();
    auto left = deadline_ - Clock::now();
    if (left > Clock::duration::zero()) ioc_.run_for(left);
    if (result == asio::error::would_block) {
      error_code ignored;
      socket_.close(ignored);  // cancels the operation; let its handler run
      ioc_.restart();
      ioc_.run();
      return asio::error::timed_out;
    }
    return result;
  }

  template <typename F>
  auto WithStream(F f) {
    if (tls_) return f(*tls_);
    return f(socket_);
  }

  Status Connect() {
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type endpoints;
    error_code ec = Wait([&](auto handler) {
      resolver.async_resolve(host_, std::to_string(port_), [&endpoints, handler](const error_code& e, auto results) {
        endpoints = results;
        handler(e);
      });
    });
    if (ec) return IoError("resolve", ec);
    ec = Wait([&](auto handler) { asio::async_connect(socket_, endpoints, handler); });
    if (ec) return IoError("connect", ec);
    return Status::Ok();
  }

  Status Handshake() {
    if (Status st = http::ConfigureTlsContext(&ssl_ctx_, m_.tls); !st.ok()) {
      return st.code() == Status::Code::kInvalidArgument ? Invalid(st.message()) : Fail(st.message());
    }
    tls_.emplace(socket_, ssl_ctx_);
    http::PrepareTlsStream(*tls_, m_.tls, host_);
    error_code ec = Wait([&](auto handler) { tls_->async_handshake(ssl::stream_base::client, handler); });
    if (ec) return IoError("TLS handshake", ec);
    return Status::Ok();
  }

  // EHLO, or HELO when the server does not know EHLO; records the extensions offered.
  Status Hello() {
    ext_.clear();
    Reply reply;
    if (Status st = Command("EHLO " + m_.hello, 0, &reply); !st.ok()) return st;
    if (reply.code / 100 != 2) return Command("HELO " + m_.hello, 2);
    for (size_t i = 1; i < reply.lines.size(); ++i) {
      auto words = Split(reply.lines[i], ' ');
      if (words.empty()) continue;
      std::string keyword = ToLower(words[0]);
      std::string params;
      for (size_t w = 1; w < words.size(); ++w) params += (w > 1 ? " " : "") + ToLower(words[w]);
      ext_[keyword] = params;
    }
    return Status::Ok();
  }

  Status Auth() {
    if (!tls_ && !IsLoopbackHost(host_)) {
      return Invalid("refusing to send the password over an unencrypted connection (set require_tls)");
    }
    std::set<std::string> mechanisms;
    for (auto m : Split(ext_["auth"], ' ')) mechanisms.insert(std::string(m));
    if (mechanisms.count("plain")) {
      std::string token = m_.identity + '\0' + m_.username + '\0' + m_.password;
      return Command("AUTH PLAIN " + http::Base64Encode(token), 2, nullptr, "AUTH PLAIN");
    }
    if (mechanisms.count("login")) {
      if (Status st = Command("AUTH LOGIN", 3); !st.ok()) return st;
      if (Status st = Command(http::Base64Encode(m_.username), 3, nullptr, "AUTH LOGIN username"); !st.ok()) return st;
      return Command(http::Base64Encode(m_.password), 2, nullptr, "AUTH LOGIN password");
    }
    return Fail(fmt::format("no supported authentication mechanism (PLAIN, LOGIN) among {}", Quote(ext_["auth"])));
  }

  // Sends a command line and reads the reply; want_class 2 means 2xx (0: any). `shown` replaces
  // the line in errors (credentials).
  Status Command(const std::string& line, int want_class, Reply* out = nullptr, std::string_view shown = {}) {
    std::string_view step = shown.empty() ? std::string_view(line) : shown;
    if (Status st = Write(line + "\r\n", step); !st.ok()) return st;
    return Expect(step, want_class, out);
  }

  Status Write(const std::string& bytes, std::string_view step) {
    error_code ec = WithStream([&](auto& s) { return Wait([&](auto handler) { asio::async_write(s, asio::buffer(bytes), handler); }); });
    if (ec) return IoError(step, ec);
    return Status::Ok();
  }

  Status Expect(std::string_view step, int want_class, Reply* out = nullptr) {
    Reply reply;
    for (int n = 0;; ++n) {
      if (n == kMaxReplyLines) return Fail(fmt::format("{}: reply of more than {} lines", step, kMaxReplyLines));
      error_code ec = WithStream([&](auto& s) {
        return Wait([&](auto handler) { asio::async_read_until(s, asio::dynamic_buffer(buf_, kMaxLine), '\n', handler); });
      });
      if (ec == asio::error::not_found) return Fail(fmt::format("{}: reply line longer than {} bytes", step, kMaxLine));
      if (ec) return IoError(step, ec);
      size_t eol = buf_.find('\n');
      std::string line = buf_.substr(0, eol);
      buf_.erase(0, eol + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto parsed = ParseReplyLine(line);
      if (!parsed || (n > 0 && parsed->code != reply.code)) {
        return Fail(fmt::format("{}: malformed reply {}", step, Quote(std::string_view(line).substr(0, 80))));
      }
      reply.code = parsed->code;
      last_code_ = parsed->code;
      reply.lines.emplace_back(parsed->text);
      if (parsed->last) break;
    }
    if (want_class != 0 && reply.code / 100 != want_class) return Fail(fmt::format("{}: {}", step, reply.Text()));
    if (out) *out = std::move(reply);
    return Status::Ok();
  }

  const Message& m_;
  Clock::time_point deadline_;
  asio::io_context ioc_;
  tcp::socket socket_;
  ssl::context ssl_ctx_;
  std::optional<ssl::stream<tcp::socket&>> tls_;
  std::string host_;
  int port_ = 0;
  std::string buf_;
  std::map<std::string, std::string> ext_;  // EHLO keyword → its parameters, lower case
  int last_code_ = 0;
};

}  // namespace

std::optional<ReplyLine> ParseReplyLine(std::string_view line) {
  auto digit = [&](size_t i) { return isdigit(static_cast<unsigned char>(line[i])) != 0; };
  if (line.size() < 3 || !digit(0) || !digit(1) || !digit(2)) return std::nullopt;
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return std::nullopt;
  ReplyLine r;
  r.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  r.last = line.size() == 3 || line[3] == ' ';
  if (line.size() > 4) r.text = line.substr(4);
  return r;
}

SendResult SendMail(const Message& message) { return Session(message).Run(); }

}  // namespace sremon::smtp
