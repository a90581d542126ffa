// BoringSSL SSL_CTX setup for both directions: the HTTPS server (device side) and the
// HTTPS client (origin, status upload). TLS 1.2 is the minimum everywhere.
//
// NOTE: Debian's BoringSSL has no usable built-in CA path; a client context with no CA file
// loads /etc/ssl/certs/ca-certificates.crt explicitly. Hostname checks are per connection:
// call TlsContext::set_peer_hostname() on each client SSL.
#pragma once

#include <openssl/is_boringssl.h>  // fails to compile if the include path finds OpenSSL
#include <openssl/ssl.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace fleetgate {

inline constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

struct ServerTlsOptions {
  std::string cert_file;             // PEM certificate chain, leaf first
  std::string key_file;              // PEM private key
  std::string client_ca_file;        // PEM CAs for client certificates; empty: none asked for
  bool require_client_cert = false;  // with client_ca_file: refuse clients without one
  std::vector<std::string> alpn;     // e.g. {"http/1.1"}; empty: no ALPN
};

struct ClientTlsOptions {
  std::string ca_file;    // PEM CAs to trust; empty: kSystemCaBundle
  std::string cert_file;  // optional client certificate (mTLS) ...
  std::string key_file;   // ... and its key
};

class TlsContext {
 public:
  static Result<TlsContext> server(const ServerTlsOptions& options);
  static Result<TlsContext> client(const ClientTlsOptions& options);

  SSL_CTX* raw() const { return ctx_.get(); }
  // A new connection object for this context (nullptr only when out of memory).
  bssl::UniquePtr<SSL> new_ssl() const { return bssl::UniquePtr<SSL>(SSL_new(ctx_.get())); }

  // Sets SNI and makes certificate verification check `host` (a DNS name or IP literal).
  static Status set_peer_hostname(SSL* ssl, std::string_view host);

  // The queued BoringSSL errors as one line (and clears the queue), for messages.
  static std::string drain_errors();

 private:
  explicit TlsContext(bssl::UniquePtr<SSL_CTX> ctx) : ctx_(std::move(ctx)) {}
  bssl::UniquePtr<SSL_CTX> ctx_;
};

}  // namespace fleetgate
