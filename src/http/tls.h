// TLS client set-up shared by the HTTP client (https) and the SMTP client (STARTTLS): the
// context's verification and client certificate from a TlsOptions, the stream's SNI and host
// name check. Only http/client.cc and smtp/smtp.cc include it (and Asio's SSL headers).
#pragma once

#include <openssl/ssl.h>

#include <string>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <fmt/format.h>

#include "http/http.h"
#include "util/status.h"

namespace sremon::http {

// Verification (ca_file or the system's CAs, or none with insecure_skip_verify) and the client
// certificate. Errors name the tls_config field.
inline Status ConfigureTlsContext(boost::asio::ssl::context* ctx, const TlsOptions& t) {
  namespace ssl = boost::asio::ssl;
  boost::system::error_code ec;
  if (t.insecure_skip_verify) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
    if (!t.ca_file.empty()) {
      ctx->load_verify_file(t.ca_file, ec);
      if (ec) return Status::InvalidArgument(fmt::format("tls_config ca_file {}: {}", t.ca_file, ec.message()));
    } else {
      ctx->set_default_verify_paths(ec);
      if (ec) return Status::Unavailable(fmt::format("system CA certificates: {}", ec.message()));
    }
  }
  if (!t.cert_file.empty() || !t.key_file.empty()) {
    ctx->use_certificate_chain_file(t.cert_file, ec);
    if (!ec) ctx->use_private_key_file(t.key_file, ssl::context::pem, ec);
    if (ec) return Status::InvalidArgument(fmt::format("tls_config cert_file/key_file: {}", ec.message()));
  }
  return Status::Ok();
}

// SNI (names only, not addresses) and, unless verification is off, the check that the
// certificate carries server_name or else the host dialed.
template <typename SslStream>
void PrepareTlsStream(SslStream& stream, const TlsOptions& t, const std::string& host) {
  std::string name = t.server_name.empty() ? host : t.server_name;
  boost::system::error_code not_ip;
  boost::asio::ip::make_address(name, not_ip);
  if (not_ip) SSL_set_tlsext_host_name(stream.native_handle(), name.c_str());
  if (!t.insecure_skip_verify) stream.set_verify_callback(boost::asio::ssl::host_name_verification(name));
}

}  // namespace sremon::http
