#include "common/tls_client.h"

#include <openssl/base64.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>

namespace fleetgate::tls {
namespace {

std::string ssl_errors() {
  std::string out;
  while (uint32_t e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
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

}  // namespace

Result<std::shared_ptr<ClientContext>> ClientContext::create(const ClientConfig& config) {
  for (const std::string& pin : config.spki_pins) {
    if (pin.rfind("sha256//", 0) != 0 || pin.size() != 8 + 44) {
      return make_error(Errc::config, "spki_pin",
                        "pin '" + pin + "' is not sha256//<base64 of 32 bytes>");
    }
  }
  ClientTlsOptions options;
  options.ca_file = config.ca_file;
  options.cert_file = config.client_cert_file;
  options.key_file = config.client_key_file;
  FG_ASSIGN_OR_RETURN(TlsContext tls, TlsContext::client(options));
  auto ctx = std::make_shared<ClientContext>(std::move(tls));
  ctx->pins_ = config.spki_pins;
  return ctx;
}

Result<std::string> spki_pin_of_pem(std::string_view pem) {
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  bssl::UniquePtr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return make_error(Errc::invalid_argument, "pem", "not a PEM certificate");
  return pin_of(cert.get());
}

Result<std::unique_ptr<ClientSession>> ClientSession::create(std::shared_ptr<ClientContext> ctx,
                                                             std::string_view host) {
  std::unique_ptr<ClientSession> s(new ClientSession());
  s->ctx_ = std::move(ctx);
  s->host_ = std::string(host);
  s->ssl_ = s->ctx_->context().new_ssl();
  if (!s->ssl_) return make_error(Errc::internal, "tls", "SSL_new failed: " + ssl_errors());
  s->rbio_ = BIO_new(BIO_s_mem());
  s->wbio_ = BIO_new(BIO_s_mem());
  SSL_set_bio(s->ssl_.get(), s->rbio_, s->wbio_);
  SSL_set_connect_state(s->ssl_.get());
  FG_TRY(TlsContext::set_peer_hostname(s->ssl_.get(), s->host_));
  return s;
}

Status ClientSession::start() { return drive(); }

Error ClientSession::failure(int ret, std::string_view what) {
  long verify = SSL_get_verify_result(ssl_.get());
  if (verify != X509_V_OK) {
    return make_error(Errc::network, "tls_verify",
                      "TLS certificate of '" + host_ + "' refused: " +
                          X509_verify_cert_error_string(verify));
  }
  int err = SSL_get_error(ssl_.get(), ret);
  return make_error(Errc::network, "tls",
                    "TLS " + std::string(what) + " with '" + host_ + "' failed (error " +
                        std::to_string(err) + "): " + ssl_errors());
}

Status ClientSession::check_pins() {
  if (ctx_->pins().empty()) return ok_status();
  bssl::UniquePtr<X509> leaf(SSL_get_peer_certificate(ssl_.get()));
  if (!leaf) return make_error(Errc::network, "tls_pin", "peer sent no certificate");
  FG_ASSIGN_OR_RETURN(std::string pin, pin_of(leaf.get()));
  for (const std::string& want : ctx_->pins()) {
    if (want == pin) return ok_status();
  }
  return make_error(Errc::network, "tls_pin",
                    "TLS public key of '" + host_ + "' (" + pin + ") matches no configured pin");
}

Status ClientSession::drive() {
  if (!established_) {
    int ret = SSL_do_handshake(ssl_.get());
    if (ret != 1) {
      int err = SSL_get_error(ssl_.get(), ret);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return ok_status();
      return failure(ret, "handshake");
    }
    established_ = true;
    FG_TRY(check_pins());
  }
  if (!pending_plain_.empty()) {
    int ret = SSL_write(ssl_.get(), pending_plain_.data(), static_cast<int>(pending_plain_.size()));
    if (ret <= 0) return failure(ret, "write");
    pending_plain_.erase(0, static_cast<size_t>(ret));
  }
  return ok_status();
}

Status ClientSession::send(std::string_view plaintext) {
  pending_plain_.append(plaintext);
  return drive();
}

Status ClientSession::receive(std::string_view ciphertext, std::string& plain) {
  if (!ciphertext.empty()) {
    BIO_write(rbio_, ciphertext.data(), static_cast<int>(ciphertext.size()));
  }
  FG_TRY(drive());
  if (!established_) return ok_status();
  char buf[16 * 1024];
  while (true) {
    int n = SSL_read(ssl_.get(), buf, sizeof buf);
    if (n > 0) {
      plain.append(buf, static_cast<size_t>(n));
      continue;
    }
    int err = SSL_get_error(ssl_.get(), n);
    if (err == SSL_ERROR_WANT_READ) return ok_status();
    if (err == SSL_ERROR_ZERO_RETURN) return ok_status();  // close_notify: EOF follows
    return failure(n, "read");
  }
}

std::string ClientSession::take_output() {
  std::string out;
  size_t pending = BIO_pending(wbio_);
  if (pending == 0) return out;
  out.resize(pending);
  int n = BIO_read(wbio_, out.data(), static_cast<int>(pending));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

}  // namespace fleetgate::tls
