// TLS (BoringSSL) over any byte stream, driven by the event loop: ciphertext read from
// the socket goes in, plaintext comes out into the caller's buffer; plaintext to send goes in,
// ciphertext to write comes out. No socket calls here, so the libuv owner decides when
// to read and write (and stops reading for backpressure as it would without TLS).
// One engine for both roles: the device-facing server (southbound) and the HTTPS client
// to the origin (northbound). Contexts come from common/tls_context.h (TlsContext::server
// / ::client).
//
// Client role: the peer's chain is verified by the context; the leaf must also name
// `peer_host` (a DNS name, also sent as SNI, or an IP literal). Optional SPKI pins
// ("sha256//<base64>" of the leaf's SubjectPublicKeyInfo, as curl's --pinnedpubkey) are
// checked once the handshake is done, after the chain, so a pin never replaces
// verification. Failures are Errc::network with detail "tls_verify" (the chain or the
// name was refused), "tls_pin" or "tls".
#pragma once

#include <openssl/is_boringssl.h>  // fails to compile if the include path finds OpenSSL
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace fleetgate {

// Where TlsStream::receive decrypts to: BoringSSL copies each record's plaintext straight
// into it. Meant to be reused from read to read: it keeps its capacity, which is raw
// (never zero-filled) and grows only when a read brings more than it has held before.
class PlaintextBuffer {
 public:
  std::string_view view() const { return {data_.get(), size_}; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }

 private:
  friend class TlsStream;
  // At least `n` bytes of room after the contents.
  std::span<char> room(size_t n);
  void grew_by(size_t n) { size_ += n; }

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

class TlsStream {
 public:
  enum class Role { server, client };

  // `ctx` (TlsContext::raw()) must outlive the stream. `peer_host` (client role only) is
  // what the server's certificate must name; `spki_pins` empty means no pinning.
  static Result<std::unique_ptr<TlsStream>> create(SSL_CTX* ctx, Role role,
                                                   std::string_view peer_host = {},
                                                   std::vector<std::string> spki_pins = {});

  // Starts the handshake (a client's first flight lands in the output).
  Status start();
  // Consumes ciphertext from the peer and appends the decrypted bytes to `plaintext`.
  // Handshake records to send back accumulate in the output. Errc::network on a TLS
  // failure. The caller parses the plaintext after the call returns, so parsing may
  // destroy the stream.
  Status receive(std::string_view ciphertext, PlaintextBuffer& plaintext);
  // Encrypts application data into the output. Only after handshake_done().
  Status send(std::span<const uint8_t> plaintext);
  // Queues a close_notify alert.
  void shutdown();

  bool has_output() const { return !output_.empty(); }
  // Takes everything waiting to be written to the socket. No copy: BoringSSL writes its
  // records straight into this string, which is handed over whole.
  std::string take_output();
  // Gives back a taken output once it has been written: the next records are written into
  // its capacity, so a transfer of many windows holds one buffer and allocates it once.
  // Kept only if no newer output is waiting and it is not larger than a few windows.
  void recycle_output(std::string written);
  // Makes room for the records of `plaintext_bytes` about to be sent in a few send()
  // calls, so the output grows once rather than record by record.
  void reserve_output(size_t plaintext_bytes);

  bool handshake_done() const { return handshake_done_; }
  bool peer_closed() const { return peer_closed_; }
  // Subject CN of the verified peer certificate, or "" if none was presented.
  std::string peer_common_name() const;
  std::string_view version() const;  // "TLSv1.3", ...
  SSL* ssl() const { return ssl_.get(); }

 private:
  TlsStream() = default;
  // NOTE: the write BIO points at output_, so a stream never moves.
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;
  Status drive_handshake();
  Status read_records(PlaintextBuffer& plaintext);
  Status check_pins() const;
  Error tls_error(std::string_view what) const;

  // Declared before ssl_ so that it outlives the BIO that appends to it.
  std::string output_;  // ciphertext not yet taken, appended by the write BIO
  // The read BIO's data: the rest of the ciphertext being received, valid only during
  // receive(). Declared before ssl_, as output_.
  std::string_view input_;
  bssl::UniquePtr<SSL> ssl_;
  std::string peer_host_;
  std::vector<std::string> spki_pins_;
  bool handshake_done_ = false;
  bool peer_closed_ = false;
};

// The pin string of a PEM certificate's public key, "sha256//<base64>".
Result<std::string> spki_pin_of_pem(std::string_view pem);
// Errc::config unless `pin` has the form "sha256//<base64 of 32 bytes>".
Status check_spki_pin_syntax(std::string_view pin);

}  // namespace fleetgate
