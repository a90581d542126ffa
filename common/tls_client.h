// The client side of TLS, as configured for one origin: which CAs to trust (the system
// bundle by default, loaded explicitly because BoringSSL's built-in default path does not
// exist on Debian), optional SPKI pins and an optional client certificate for mTLS.
// Connections run on the one TLS engine, common/tls_stream.h (Role::client), which
// checks the host name and the pins.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/tls_context.h"

namespace fleetgate::tls {

struct ClientConfig {
  std::string ca_file;                 // empty: the system bundle (common/tls_context.h)
  std::vector<std::string> spki_pins;  // "sha256//<base64>"; empty: no pinning
  std::string client_cert_file;        // PEM chain, for mTLS (with client_key_file)
  std::string client_key_file;
};

// Shared, immutable after creation: one per origin.
class ClientContext {
 public:
  // Errc::config for a malformed pin or an unreadable CA file or client certificate.
  static Result<std::shared_ptr<ClientContext>> create(const ClientConfig& config);
  explicit ClientContext(TlsContext ctx) : ctx_(std::move(ctx)) {}
  const TlsContext& context() const { return ctx_; }
  const std::vector<std::string>& pins() const { return pins_; }

 private:
  TlsContext ctx_;
  std::vector<std::string> pins_;
};

}  // namespace fleetgate::tls
