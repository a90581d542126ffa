// The client side of TLS as a byte engine over memory BIOs: ciphertext from the socket
// goes in, plaintext comes out, and the other way round. It owns no socket, so the same
// engine runs over a libuv stream (northbound HTTPS) and in unit tests.
//
// Verification: TLS 1.2 or later; the peer chain must verify against the configured CA
// file (or the system bundle, loaded explicitly because BoringSSL's built-in default path
// does not exist on Debian); the leaf must match the host name (or IP literal); SNI is
// sent for names. Optional SPKI pins ("sha256//<base64>" of the leaf's
// SubjectPublicKeyInfo, as curl's --pinnedpubkey) are checked after the chain, so a pin
// never replaces verification. Optional client certificate for mTLS.
// The SSL_CTX comes from common/tls_context.h (CA loading, client certificate, peer
// name); this file adds the per-connection engine and the pins. (common/tls_stream.h was
// not on main when this was written; if it lands, the engine should move next to it.)
#pragma once

#include <openssl/is_boringssl.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/tls_context.h"

namespace fleetgate::tls {

struct ClientConfig {
  std::string ca_file;                // empty: the system bundle (common/tls_context.h)
  std::vector<std::string> spki_pins;  // "sha256//<base64>"; empty: no pinning
  std::string client_cert_file;       // PEM chain, for mTLS (with client_key_file)
  std::string client_key_file;
};

// Shared, immutable after creation: one per origin.
class ClientContext {
 public:
  static Result<std::shared_ptr<ClientContext>> create(const ClientConfig& config);
  explicit ClientContext(TlsContext ctx) : ctx_(std::move(ctx)) {}
  const TlsContext& context() const { return ctx_; }
  const std::vector<std::string>& pins() const { return pins_; }

 private:
  TlsContext ctx_;
  std::vector<std::string> pins_;
};

// The pin string for a certificate's public key, "sha256//<base64>".
Result<std::string> spki_pin_of_pem(std::string_view pem);

class ClientSession {
 public:
  // `host` is what the certificate must name: a DNS name (also sent as SNI) or an IP
  // literal.
  static Result<std::unique_ptr<ClientSession>> create(std::shared_ptr<ClientContext> ctx,
                                                       std::string_view host);

  // Feeds ciphertext received from the peer; appends any plaintext to `plain`. Fails
  // with Errc::network ("tls_verify", "tls_pin", "tls") naming the reason.
  Status receive(std::string_view ciphertext, std::string& plain);
  // Queues plaintext to send (buffered until the handshake completes).
  Status send(std::string_view plaintext);
  // Ciphertext ready for the socket (handshake records, application data, alerts).
  std::string take_output();
  // Starts the handshake (produces the ClientHello in take_output()).
  Status start();
  bool established() const { return established_; }

 private:
  ClientSession() = default;
  Status drive();
  Error failure(int ret, std::string_view what);
  Status check_pins();

  std::shared_ptr<ClientContext> ctx_;
  bssl::UniquePtr<SSL> ssl_;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;  // owned by ssl_
  std::string host_;
  std::string pending_plain_;
  bool established_ = false;
};

}  // namespace fleetgate::tls
