// TLS (BoringSSL) over any byte stream, driven by the event loop: ciphertext read from
// the socket goes in, plaintext comes out to a callback; plaintext to send goes in,
// ciphertext to write comes out. No socket calls here, so the libuv owner decides when
// to read and write (and stops reading for backpressure as it would without TLS).
// Server side now; the client side (northbound's HTTPS client) uses Role::client and SNI.
// Contexts come from common/tls_context.h (TlsContext::server / ::client).
#pragma once

#include <openssl/is_boringssl.h>  // fails to compile if the include path finds OpenSSL
#include <openssl/ssl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace fleetgate {

class TlsStream {
 public:
  enum class Role { server, client };
  using PlaintextSink = std::function<void(std::string_view)>;

  // `ctx` (TlsContext::raw()) must outlive the stream. `server_name` is the SNI a client
  // sends; hostname verification is set with TlsContext::set_peer_hostname on ssl().
  static Result<std::unique_ptr<TlsStream>> create(SSL_CTX* ctx, Role role,
                                                   std::string_view server_name = {});

  // Starts the handshake (a client's first flight lands in the output).
  Status start();
  // Consumes ciphertext from the peer; decrypted bytes go to `sink`. Handshake records
  // to send back accumulate in the output. Errc::network on a TLS failure.
  Status receive(std::string_view ciphertext, const PlaintextSink& sink);
  // Encrypts application data into the output. Only after handshake_done().
  Status send(std::span<const uint8_t> plaintext);
  // Queues a close_notify alert.
  void shutdown();

  bool has_output() const;
  // Takes everything waiting to be written to the socket.
  std::string take_output();

  bool handshake_done() const { return handshake_done_; }
  bool peer_closed() const { return peer_closed_; }
  // Subject CN of the verified peer certificate, or "" if none was presented.
  std::string peer_common_name() const;
  std::string_view version() const;  // "TLSv1.3", ...
  SSL* ssl() const { return ssl_.get(); }

 private:
  explicit TlsStream(bssl::UniquePtr<SSL> ssl) : ssl_(std::move(ssl)) {}
  Status drive_handshake();
  Error tls_error(std::string_view what) const;

  bssl::UniquePtr<SSL> ssl_;
  BIO* in_ = nullptr;   // owned by ssl_
  BIO* out_ = nullptr;  // owned by ssl_
  bool handshake_done_ = false;
  bool peer_closed_ = false;
};

}  // namespace fleetgate
