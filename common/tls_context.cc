#include "common/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <arpa/inet.h>

namespace fleetgate {
namespace {

Error tls_error(std::string_view detail, std::string what) {
  std::string errors = TlsContext::drain_errors();
  if (!errors.empty()) what += " (" + errors + ")";
  return make_error(Errc::config, std::string(detail), std::move(what));
}

Result<bssl::UniquePtr<SSL_CTX>> new_context() {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) return tls_error("SSL_CTX_new", "cannot create a TLS context");
  if (!SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION)) {
    return tls_error("min_version", "cannot set TLS 1.2 as the minimum version");
  }
  return ctx;
}

Status load_cert_and_key(SSL_CTX* ctx, const std::string& cert, const std::string& key) {
  if (!SSL_CTX_use_certificate_chain_file(ctx, cert.c_str())) {
    return tls_error("certificate", "cannot load the certificate chain from '" + cert + "'");
  }
  if (!SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM)) {
    // BoringSSL compares the key with the certificate while loading it.
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      return tls_error("key_mismatch", "the private key '" + key +
                                           "' does not match the certificate '" + cert + "'");
    }
    return tls_error("private_key", "cannot load the private key from '" + key + "'");
  }
  if (!SSL_CTX_check_private_key(ctx)) {
    return tls_error("key_mismatch",
                     "the private key '" + key + "' does not match the certificate '" + cert + "'");
  }
  return ok_status();
}

// ALPN wire format: each protocol prefixed by its length.
int select_alpn(SSL*, const uint8_t** out, uint8_t* out_len, const uint8_t* in, unsigned in_len,
                void* arg) {
  const auto* wire = static_cast<const std::string*>(arg);
  uint8_t* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, reinterpret_cast<const uint8_t*>(wire->data()),
                            static_cast<unsigned>(wire->size()), in,
                            in_len) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

std::string TlsContext::drain_errors() {
  std::string out;
  while (uint32_t e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Result<TlsContext> TlsContext::server(const ServerTlsOptions& options) {
  ERR_clear_error();
  FG_ASSIGN_OR_RETURN(auto ctx, new_context());
  FG_TRY(load_cert_and_key(ctx.get(), options.cert_file, options.key_file));
  if (!options.client_ca_file.empty()) {
    if (!SSL_CTX_load_verify_locations(ctx.get(), options.client_ca_file.c_str(), nullptr)) {
      return tls_error("client_ca",
                       "cannot load client CA certificates from '" + options.client_ca_file + "'");
    }
    int mode = SSL_VERIFY_PEER;
    if (options.require_client_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx.get(), mode, nullptr);
  } else if (options.require_client_cert) {
    return make_error(Errc::config, "client_ca",
                      "client certificates are required but no client CA file is configured");
  }
  if (!options.alpn.empty()) {
    // The callback reads the wire string on every handshake, so it lives as the
    // context's ex_data and is freed with the context.
    static int index = SSL_CTX_get_ex_new_index(
        0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
          delete static_cast<std::string*>(ptr);
        });
    auto* wire = new std::string;
    for (const auto& p : options.alpn) {
      if (p.empty() || p.size() > 255) {
        delete wire;
        return make_error(Errc::config, "alpn", "ALPN protocol names must be 1 to 255 bytes");
      }
      *wire += static_cast<char>(p.size());
      *wire += p;
    }
    SSL_CTX_set_ex_data(ctx.get(), index, wire);
    SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, wire);
  }
  return TlsContext(std::move(ctx));
}

Result<TlsContext> TlsContext::client(const ClientTlsOptions& options) {
  ERR_clear_error();
  FG_ASSIGN_OR_RETURN(auto ctx, new_context());
  const std::string ca = options.ca_file.empty() ? kSystemCaBundle : options.ca_file;
  if (!SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr)) {
    return tls_error("ca_file", "cannot load CA certificates from '" + ca + "'");
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    FG_TRY(load_cert_and_key(ctx.get(), options.cert_file, options.key_file));
  }
  return TlsContext(std::move(ctx));
}

Status TlsContext::set_peer_hostname(SSL* ssl, std::string_view host) {
  std::string h(host);
  in6_addr v6;
  in_addr v4;
  bool is_ip = inet_pton(AF_INET, h.c_str(), &v4) == 1 || inet_pton(AF_INET6, h.c_str(), &v6) == 1;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, h.c_str())
                 : X509_VERIFY_PARAM_set1_host(param, h.data(), h.size());
  // SNI carries names only, never IP literals (RFC 6066 section 3).
  if (ok && !is_ip) ok = SSL_set_tlsext_host_name(ssl, h.c_str());
  if (!ok) return tls_error("hostname", "cannot set the TLS peer name '" + h + "'");
  return ok_status();
}

}  // namespace fleetgate
