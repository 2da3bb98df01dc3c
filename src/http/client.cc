// Boost.Beast implementation of the synchronous HTTP client: each call runs its own
// io_context with a deadline, so timeouts cover connect, TLS handshake, write and read together.
#include <charconv>
#include <type_traits>

#include <boost/beast/ssl.hpp>

#include "http/beast.h"
#include "http/http.h"
#include "util/strings.h"
#include "http/tls.h"

namespace sremon::http {

namespace {

struct ParsedUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
  std::string userinfo;  // user:pass, percent-decoded
};

Result<ParsedUrl> ParseUrl(const std::string& url) {
  ParsedUrl u;
  std::string_view rest = url;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
    u.tls = true;
  } else {
    return Status::InvalidArgument(
        fmt::format("cannot fetch {}: the URL must start with http:// or https://", Quote(RedactUrl(url))));
  }
  const char* default_port = u.tls ? "443" : "80";
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!u.target.empty() && u.target[0] == '?') u.target = "/" + u.target;
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    u.userinfo = UrlDecode(authority.substr(0, at), false);
    authority.remove_prefix(at + 1);
  }
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument(fmt::format("invalid URL {}", Quote(RedactUrl(url))));
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    u.port = after.starts_with(":") ? std::string(after.substr(1)) : default_port;
  } else {
    size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    u.port = colon == std::string_view::npos ? default_port : std::string(authority.substr(colon + 1));
  }
  if (u.host.empty()) return Status::InvalidArgument(fmt::format("invalid URL {}: no host", Quote(RedactUrl(url))));
  return u;
}

// One request over `stream` (a tcp_stream, or an ssl_stream over one): connect, TLS handshake
// when there is one, write, read, all under the request's deadline. `shown` is the URL for messages.
template <typename Stream>
Result<ClientResponse> Exchange(asio::io_context& ioc, Stream& stream, const ClientRequest& request, const ParsedUrl& u,
                                const std::string& shown) {
  constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp::resolver resolver(ioc);
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(request.method), u.target, 11};
  req.set(bhttp::field::host, u.host + ":" + u.port);
  req.set(bhttp::field::user_agent, "sremon");
  if (!request.headers.Has("Accept-Encoding")) req.set(bhttp::field::accept_encoding, "gzip");
  if (!u.userinfo.empty() && !request.headers.Has("Authorization")) {
    req.set(bhttp::field::authorization, "Basic " + Base64Encode(u.userinfo));
  }
  for (const auto& [k, v] : request.headers.items()) req.set(k, v);
  req.body() = request.body;
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") req.prepare_payload();
  req.keep_alive(false);

  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(request.max_response_bytes);
  parser.header_limit(256 * 1024);

  std::string phase = "connect";
  beast::error_code result;
  tcp_layer.expires_after(request.timeout);
  auto write_and_read = [&] {
    phase = "write";
    bhttp::async_write(stream, req, [&](beast::error_code write_ec, size_t) {
      // A server may answer before it has read the whole body (413 for a body over its limit)
      // and close: the write then fails, but the answer is there to read, as curl does.
      phase = "read";
      bhttp::async_read(stream, buffer, parser, [&, write_ec](beast::error_code ec, size_t) {
        if (!ec) {
          phase = "done";
        } else if (write_ec) {
          phase = "write";
          result = write_ec;
        } else {
          result = ec;
        }
      });
    });
  };
  auto after_connect = [&](beast::error_code ec) {
    if (ec) {
      result = ec;
      return;
    }
    if constexpr (kTls) {
      phase = "TLS handshake";
      stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code hs_ec) {
        if (hs_ec) {
          result = hs_ec;
          return;
        }
        write_and_read();
      });
    } else {
      write_and_read();
    }
  };
  // A numeric host needs no resolver: asio's async resolver starts a thread per io_context,
  // which dominated the cost of frequent small requests (scrapes of 127.0.0.1 targets).
  beast::error_code addr_ec;
  asio::ip::address addr = asio::ip::make_address(u.host, addr_ec);
  unsigned port_num = 0;
  auto [pend, pec] = std::from_chars(u.port.data(), u.port.data() + u.port.size(), port_num);
  if (!addr_ec && pec == std::errc() && pend == u.port.data() + u.port.size() && port_num <= 65535) {
    tcp_layer.async_connect(tcp::endpoint(addr, static_cast<unsigned short>(port_num)), after_connect);
  } else {
    resolver.async_resolve(u.host, u.port, [&](beast::error_code ec, tcp::resolver::results_type results) {
      if (ec) {
        result = ec;
        phase = "resolve";
        return;
      }
      tcp_layer.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) { after_connect(ec); });
    });
  }
  // Resolution is not covered by the stream's timer; bound the whole exchange here too.
  ioc.run_for(request.timeout + std::chrono::milliseconds(100));
  if (phase != "done") {
    if (result == beast::error::timeout || !ioc.stopped() || !result) {
      return Status::Timeout(fmt::format("{} {}: timeout after {}ms during {}", request.method, shown,
                                         request.timeout.count(), phase));
    }
    if (result == bhttp::error::body_limit) {
      return Status::ResourceExhausted(fmt::format("{} {}: response too large (limit {} bytes)", request.method,
                                                   shown, request.max_response_bytes));
    }
    return Status::Unavailable(fmt::format("{} {}: {} failed: {}", request.method, shown, phase, result.message()));
  }
  auto res = parser.release();
  ClientResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) out.headers.Add(std::string(f.name_string()), std::string(f.value()));
  out.body = std::move(res.body());
  if (beast::iequals(out.headers.Get("Content-Encoding"), "gzip")) {
    auto plain = Gunzip(out.body, request.max_response_bytes);
    if (!plain.ok()) return plain.status().WithContext(fmt::format("{} {}", request.method, shown));
    out.body = std::move(*plain);
  }
  return out;
}

}  // namespace

Result<ClientResponse> Fetch(const ClientRequest& request) {
  SREMON_RETURN_IF_ERROR(CheckRequest(request));
  auto parsed = ParseUrl(request.url);
  if (!parsed.ok()) return parsed.status();
  const std::string shown = RedactUrl(request.url);
  asio::io_context ioc;
  if (!parsed->tls) {
    beast::tcp_stream stream(ioc);
    return Exchange(ioc, stream, request, *parsed, shown);
  }
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  if (Status st = ConfigureTlsContext(&ctx, request.tls); !st.ok()) {
    return st.WithContext(fmt::format("{} {}", request.method, shown));
  }
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  PrepareTlsStream(stream, request.tls, parsed->host);
  return Exchange(ioc, stream, request, *parsed, shown);
}

std::string FetchErrorPhase(const Status& fetch_error) {
  const std::string& m = fetch_error.message();
  // The texts are this file's: ConfigureTlsContext, ParseUrl, Exchange.
  if (m.find("tls_config") != std::string::npos || m.find("system CA certificates") != std::string::npos) {
    return "tls_config";
  }
  switch (fetch_error.code()) {
    case Status::Code::kTimeout: return "timeout";
    case Status::Code::kResourceExhausted: return "response too large";
    case Status::Code::kUnavailable:  // "METHOD URL: PHASE failed: ..."
      for (const char* phase : {"resolve", "connect", "TLS handshake", "write", "read"}) {
        if (m.find(std::string(": ") + phase + " failed: ") != std::string::npos) return phase;
      }
      return "read";
    default:
      return m.starts_with("cannot fetch") || m.starts_with("invalid URL") || m.starts_with("refusing to send")
                 ? "request"
                 : "read";
  }
}

Result<ClientResponse> Get(const std::string& url, std::chrono::milliseconds timeout) {
  ClientRequest r;
  r.url = url;
  r.timeout = timeout;
  return Fetch(r);
}

Result<ClientResponse> Post(const std::string& url, std::string body, std::string content_type,
                            std::chrono::milliseconds timeout) {
  ClientRequest r;
  r.method = "POST";
  r.url = url;
  r.body = std::move(body);
  r.headers.Add("Content-Type", std::move(content_type));
  r.timeout = timeout;
  return Fetch(r);
}

}  // namespace sremon::http
