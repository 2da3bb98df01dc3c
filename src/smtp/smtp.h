// A small SMTP client (RFC 5321) for the alertmanager's e-mail receiver: EHLO (HELO fallback),
// STARTTLS or TLS from the first byte, AUTH PLAIN / LOGIN, MAIL FROM / RCPT TO / DATA with
// dot-stuffing, QUIT, one deadline over the whole exchange. Its own module (not HTTP): it shares
// only the TLS set-up with the HTTP client (http/tls.h), and like http's server.cc and client.cc,
// only smtp.cc includes Boost.Asio and OpenSSL.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "http/http.h"
#include "util/status.h"

namespace sremon::smtp {

struct Message {
  std::string smarthost;            // host:port
  std::string hello = "localhost";  // EHLO name
  // STARTTLS is mandatory: the exchange fails when the server does not offer it. When false
  // the client never starts TLS (as upstream). implicit_tls (upstream: port 465) is TLS from
  // the first byte and ignores require_tls.
  bool require_tls = true;
  bool implicit_tls = false;
  http::TlsOptions tls;
  // AUTH when username is set and the server offers AUTH: PLAIN (identity is its authzid) or
  // LOGIN. As upstream (Go's net/smtp), a password is never sent over a connection that is
  // neither TLS nor to a loopback host.
  std::string username, password, identity;
  std::string from;             // envelope sender, bare address (a@b)
  std::vector<std::string> to;  // envelope recipients, bare addresses
  // Headers, empty line, body. Bare LF become CRLF; lines starting with '.' are dot-stuffed.
  std::string data;
  std::chrono::milliseconds timeout{10000};  // connect to QUIT
};

struct SendResult {
  Status status;
  int last_code = 0;  // the last reply code received (0 if none)
};

// One line of a server reply, CR LF removed: "250-text" (more lines follow), "250 text" or "250"
// (the last). Nothing when the line is not a reply line. Exposed for tests and the fuzz target.
struct ReplyLine {
  int code = 0;
  bool last = false;
  std::string_view text;  // after "NNN-" / "NNN "
};
std::optional<ReplyLine> ParseReplyLine(std::string_view line);

// Sends one message over a new connection. Errors say the step and the server's reply, e.g.
// "smtp 127.0.0.1:25: RCPT TO:<a@b>: 550 no such user": InvalidArgument when the message or
// its settings are wrong, Unavailable when the server fails or refuses, Timeout.
SendResult SendMail(const Message& message);

}  // namespace sremon::smtp
