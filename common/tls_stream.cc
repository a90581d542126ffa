#include "common/tls_stream.h"

#include <openssl/base64.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "common/tls_context.h"

namespace fleetgate {

namespace {
std::string last_ssl_error() {
  uint32_t e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

Result<std::string> pin_of(X509* cert) {
  uint8_t* der = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) return make_error(Errc::network, "tls_pin", "cannot encode the peer's public key");
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(len), digest);
  OPENSSL_free(der);
  std::string b64(4 * ((sizeof digest + 2) / 3) + 1, '\0');
  size_t n = EVP_EncodeBlock(reinterpret_cast<uint8_t*>(b64.data()), digest, sizeof digest);
  b64.resize(n);
  return "sha256//" + b64;
}

// The write side of the record layer: BoringSSL's records are appended to a std::string
// (the BIO's data) that take_output() hands over whole. A memory BIO would need one more
// copy (BIO_read) to get them out, and it zero-fills before each write.
int output_write(BIO* bio, const char* data, int len) {
  if (len <= 0) return 0;
  try {
    static_cast<std::string*>(BIO_get_data(bio))->append(data, static_cast<size_t>(len));
  } catch (const std::bad_alloc&) {
    return -1;  // BoringSSL reports a write failure; no exception crosses C code
  }
  return len;
}

long output_ctrl(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing buffered below us
    case BIO_CTRL_WPENDING:
      return static_cast<long>(static_cast<std::string*>(BIO_get_data(bio))->size());
    default:
      return 0;
  }
}

// The read side of the record layer: BoringSSL reads each record straight out of the
// ciphertext the caller passed to receive() (the BIO's data is a view of it), so the only
// copy is the one into BoringSSL's record buffer. A memory BIO would take a copy of the
// input first, growing (and zero-filling) its own buffer.
int input_read(BIO* bio, char* out, int len) {
  BIO_clear_retry_flags(bio);
  auto* in = static_cast<std::string_view*>(BIO_get_data(bio));
  if (len <= 0) return 0;
  if (in->empty()) {
    BIO_set_retry_read(bio);  // SSL_ERROR_WANT_READ: more arrives with the next receive()
    return -1;
  }
  const size_t n = std::min(in->size(), static_cast<size_t>(len));
  std::memcpy(out, in->data(), n);
  in->remove_prefix(n);
  return static_cast<int>(n);
}

long input_ctrl(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_PENDING:
      return static_cast<long>(static_cast<std::string_view*>(BIO_get_data(bio))->size());
    case BIO_CTRL_FLUSH:
      return 1;
    default:
      return 0;
  }
}

// A BIO method made once, with one of the read or write functions; nullptr if BoringSSL
// is out of memory.
BIO_METHOD* new_method(const char* name, int (*read)(BIO*, char*, int),
                       int (*write)(BIO*, const char*, int), long (*ctrl)(BIO*, int, long, void*)) {
  BIO_METHOD* m = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), name);
  if (m == nullptr) return nullptr;
  if (read != nullptr) BIO_meth_set_read(m, read);
  if (write != nullptr) BIO_meth_set_write(m, write);
  BIO_meth_set_ctrl(m, ctrl);
  return m;
}

const BIO_METHOD* input_method() {
  static const BIO_METHOD* method = new_method("fleetgate input", input_read, nullptr, input_ctrl);
  return method;
}

const BIO_METHOD* output_method() {
  static const BIO_METHOD* method =
      new_method("fleetgate output", nullptr, output_write, output_ctrl);
  return method;
}

// Larger buffers than this (a big response in one write) are freed, not recycled.
constexpr size_t kMaxRecycledOutput = 256 * 1024;

}  // namespace

Status check_spki_pin_syntax(std::string_view pin) {
  if (pin.rfind("sha256//", 0) != 0 || pin.size() != 8 + 44) {
    return make_error(Errc::config, "spki_pin",
                      "pin '" + std::string(pin) + "' is not sha256//<base64 of 32 bytes>");
  }
  return ok_status();
}

Result<std::string> spki_pin_of_pem(std::string_view pem) {
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  bssl::UniquePtr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return make_error(Errc::invalid_argument, "pem", "not a PEM certificate");
  return pin_of(cert.get());
}

Result<std::unique_ptr<TlsStream>> TlsStream::create(SSL_CTX* ctx, Role role,
                                                     std::string_view peer_host,
                                                     std::vector<std::string> spki_pins) {
  std::unique_ptr<TlsStream> s(new TlsStream());
  s->ssl_.reset(SSL_new(ctx));
  if (!s->ssl_) return make_error(Errc::internal, "SSL_new", last_ssl_error());
  SSL* ssl = s->ssl_.get();
  const BIO_METHOD* input = input_method();
  const BIO_METHOD* output = output_method();
  BIO* in = input != nullptr ? BIO_new(input) : nullptr;
  BIO* out = output != nullptr ? BIO_new(output) : nullptr;
  if (in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    return make_error(Errc::internal, "BIO_new", "cannot allocate TLS buffers");
  }
  BIO_set_data(in, &s->input_);
  BIO_set_init(in, 1);
  BIO_set_data(out, &s->output_);
  BIO_set_init(out, 1);
  SSL_set_bio(ssl, in, out);
  if (role == Role::server) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
    if (!peer_host.empty()) FG_TRY(TlsContext::set_peer_hostname(ssl, peer_host));
  }
  s->peer_host_ = std::string(peer_host);
  s->spki_pins_ = std::move(spki_pins);
  return s;
}

Error TlsStream::tls_error(std::string_view what) const {
  return make_error(Errc::network, "tls", std::string(what) + ": " + last_ssl_error());
}

Status TlsStream::start() { return drive_handshake(); }

Status TlsStream::drive_handshake() {
  if (handshake_done_) return ok_status();
  int rc = SSL_do_handshake(ssl_.get());
  if (rc == 1) {
    FG_TRY(check_pins());
    handshake_done_ = true;
    return ok_status();
  }
  int err = SSL_get_error(ssl_.get(), rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return ok_status();
  const long verify = SSL_get_verify_result(ssl_.get());
  if (verify != X509_V_OK) {
    ERR_clear_error();
    return make_error(Errc::network, "tls_verify",
                      "TLS certificate of '" + peer_host_ +
                          "' refused: " + X509_verify_cert_error_string(verify));
  }
  return tls_error("TLS handshake failed");
}

Status TlsStream::check_pins() const {
  if (spki_pins_.empty()) return ok_status();
  bssl::UniquePtr<X509> leaf(SSL_get_peer_certificate(ssl_.get()));
  if (!leaf) return make_error(Errc::network, "tls_pin", "peer sent no certificate");
  FG_ASSIGN_OR_RETURN(std::string pin, pin_of(leaf.get()));
  for (const std::string& want : spki_pins_) {
    if (want == pin) return ok_status();
  }
  return make_error(
      Errc::network, "tls_pin",
      "TLS public key of '" + peer_host_ + "' (" + pin + ") matches no configured pin");
}

std::span<char> PlaintextBuffer::room(size_t n) {
  if (capacity_ - size_ < n) {
    const size_t capacity = std::max(capacity_ * 2, size_ + n);
    std::unique_ptr<char[]> bigger(new char[capacity]);  // raw: no zero fill
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
  }
  return {data_.get() + size_, capacity_ - size_};
}

Status TlsStream::receive(std::string_view ciphertext, PlaintextBuffer& plaintext) {
  input_ = ciphertext;
  Status s = read_records(plaintext);
  // BoringSSL reads record by record until the input is used up (WANT_READ). Input left
  // over means the peer closed (what follows a close_notify is ignored) or the stream
  // failed; the view must not outlive this call either way.
  const bool left_over = !input_.empty();
  input_ = {};
  if (s.ok() && left_over && !peer_closed_) {
    return make_error(Errc::internal, "tls", "TLS input left unread by the record layer");
  }
  return s;
}

Status TlsStream::read_records(PlaintextBuffer& plaintext) {
  FG_TRY(drive_handshake());
  if (!handshake_done_) return ok_status();
  constexpr size_t kMaxRecordPlaintext = 16 * 1024;  // SSL_read returns one record at most
  while (true) {
    std::span<char> room = plaintext.room(kMaxRecordPlaintext);
    int n = SSL_read(ssl_.get(), room.data(), static_cast<int>(room.size()));
    if (n > 0) {
      plaintext.grew_by(static_cast<size_t>(n));
      continue;
    }
    int err = SSL_get_error(ssl_.get(), n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return ok_status();
    if (err == SSL_ERROR_ZERO_RETURN) {
      peer_closed_ = true;
      return ok_status();
    }
    return tls_error("TLS read failed");
  }
}

Status TlsStream::send(std::span<const uint8_t> plaintext) {
  if (!handshake_done_) {
    return make_error(Errc::internal, "tls", "TLS send before the handshake completed");
  }
  size_t done = 0;
  while (done < plaintext.size()) {
    size_t n = std::min<size_t>(plaintext.size() - done, 1 << 30);
    int rc = SSL_write(ssl_.get(), plaintext.data() + done, static_cast<int>(n));
    if (rc <= 0) return tls_error("TLS write failed");
    done += static_cast<size_t>(rc);
  }
  return ok_status();
}

void TlsStream::shutdown() { SSL_shutdown(ssl_.get()); }

std::string TlsStream::take_output() {
  std::string out;
  out.swap(output_);  // output_ is left without a buffer until one is recycled
  return out;
}

void TlsStream::recycle_output(std::string written) {
  // Records written while `written` was on the wire stay where they are: no copy.
  if (!output_.empty() || written.capacity() <= output_.capacity() ||
      written.capacity() > kMaxRecycledOutput) {
    return;
  }
  written.clear();
  output_.swap(written);
}

void TlsStream::reserve_output(size_t plaintext_bytes) {
  // A record per 16 KiB, and a few more for the starts of separate send() calls.
  const size_t records = plaintext_bytes / SSL3_RT_MAX_PLAIN_LENGTH + 4;
  output_.reserve(output_.size() + plaintext_bytes + records * SSL_max_seal_overhead(ssl_.get()));
}

std::string TlsStream::peer_common_name() const {
  if (SSL_get_verify_result(ssl_.get()) != X509_V_OK) return "";
  bssl::UniquePtr<X509> cert(SSL_get_peer_certificate(ssl_.get()));
  if (!cert) return "";
  X509_NAME* subject = X509_get_subject_name(cert.get());
  char cn[256] = {0};
  int n = X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof cn);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof cn) return "";
  return std::string(cn, static_cast<size_t>(n));
}

std::string_view TlsStream::version() const { return SSL_get_version(ssl_.get()); }

}  // namespace fleetgate
