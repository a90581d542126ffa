// TLS contexts against a certificate made at test time: loading errors name the file, and
// in-memory handshakes show that verification, TLS 1.2 minimum and client certs apply.
#include <catch2/catch.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/is_boringssl.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/tls_context.h"

namespace fleetgate {
namespace {

namespace fs = std::filesystem;

// A temporary directory with a self-signed CA-like cert for "localhost" and 127.0.0.1, a
// second unrelated cert, and their keys.
struct Certs {
  fs::path dir;
  std::string cert, key, other_cert, other_key;

  Certs() {
    char tmpl[] = "/tmp/fg-tls-XXXXXX";
    dir = mkdtemp(tmpl);
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    other_cert = (dir / "other.pem").string();
    other_key = (dir / "other-key.pem").string();
    make(cert, key, "localhost");
    make(other_cert, other_key, "other");
  }
  ~Certs() { fs::remove_all(dir); }

  static void make(const std::string& crt, const std::string& k, const std::string& cn) {
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=" +
        cn + " -addext subjectAltName=DNS:" + cn + ",IP:127.0.0.1 -keyout " + k + " -out " + crt +
        " 2>/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
};

// Drives both ends of an in-memory connection until the handshake ends.
struct Handshake {
  bool client_ok = false;
  bool server_ok = false;
  long verify_result = 0;
  std::string alpn;
  int version = 0;
};

Handshake handshake(const TlsContext& server, const TlsContext& client,
                    std::string_view host = "localhost", int client_max_version = 0) {
  auto s = server.new_ssl();
  auto c = client.new_ssl();
  REQUIRE(TlsContext::set_peer_hostname(c.get(), host).ok());
  if (client_max_version) SSL_set_max_proto_version(c.get(), client_max_version);
  if (!SSL_CTX_get0_param(client.raw())) FAIL("no param");
  static const uint8_t kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(c.get(), kAlpn, sizeof kAlpn);
  BIO* cb = nullptr;
  BIO* sb = nullptr;
  REQUIRE(BIO_new_bio_pair(&cb, 0, &sb, 0));
  SSL_set_bio(c.get(), cb, cb);
  SSL_set_bio(s.get(), sb, sb);
  SSL_set_connect_state(c.get());
  SSL_set_accept_state(s.get());
  Handshake out;
  bool c_done = false, s_done = false, c_fail = false, s_fail = false;
  for (int i = 0; i < 20 && !(c_done && s_done) && !c_fail && !s_fail; ++i) {
    if (!c_done) {
      int r = SSL_do_handshake(c.get());
      if (r == 1)
        c_done = true;
      else if (SSL_get_error(c.get(), r) != SSL_ERROR_WANT_READ)
        c_fail = true;
    }
    if (!s_done) {
      int r = SSL_do_handshake(s.get());
      if (r == 1)
        s_done = true;
      else if (SSL_get_error(s.get(), r) != SSL_ERROR_WANT_READ)
        s_fail = true;
    }
  }
  ERR_clear_error();
  out.client_ok = c_done && !c_fail;
  out.server_ok = s_done && !s_fail;
  out.verify_result = SSL_get_verify_result(c.get());
  const uint8_t* proto = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(c.get(), &proto, &len);
  out.alpn.assign(reinterpret_cast<const char*>(proto), len);
  out.version = SSL_version(c.get());
  return out;
}

TEST_CASE("a client trusting the server's certificate completes a TLS handshake") {
  Certs certs;
  auto server = TlsContext::server({certs.cert, certs.key, "", false, {"http/1.1"}});
  REQUIRE(server.ok());
  auto client = TlsContext::client({certs.cert, "", ""});
  REQUIRE(client.ok());
  Handshake h = handshake(*server, *client);
  CHECK(h.client_ok);
  CHECK(h.server_ok);
  CHECK(h.verify_result == X509_V_OK);
  CHECK(h.alpn == "http/1.1");
  CHECK(h.version >= TLS1_2_VERSION);
  CHECK(handshake(*server, *client, "127.0.0.1").client_ok);
}

TEST_CASE("the client refuses an untrusted certificate and a wrong host name") {
  Certs certs;
  auto server = TlsContext::server({certs.cert, certs.key, "", false, {}});
  REQUIRE(server.ok());
  auto system_trust = TlsContext::client({});  // the system bundle: self-signed is unknown
  REQUIRE(system_trust.ok());
  CHECK_FALSE(handshake(*server, *system_trust).client_ok);
  auto other_trust = TlsContext::client({certs.other_cert, "", ""});
  REQUIRE(other_trust.ok());
  CHECK_FALSE(handshake(*server, *other_trust).client_ok);
  auto trusting = TlsContext::client({certs.cert, "", ""});
  REQUIRE(trusting.ok());
  CHECK_FALSE(handshake(*server, *trusting, "evil.example").client_ok);
}

TEST_CASE("TLS 1.1 and older are refused") {
  Certs certs;
  auto server = TlsContext::server({certs.cert, certs.key, "", false, {}});
  auto client = TlsContext::client({certs.cert, "", ""});
  REQUIRE(server.ok());
  REQUIRE(client.ok());
  SSL_CTX_set_min_proto_version(client->raw(), TLS1_VERSION);
  CHECK_FALSE(handshake(*server, *client, "localhost", TLS1_1_VERSION).server_ok);
}

TEST_CASE("a server that requires client certificates refuses clients without one") {
  Certs certs;
  auto server = TlsContext::server({certs.cert, certs.key, certs.other_cert, true, {}});
  REQUIRE(server.ok());
  auto anonymous = TlsContext::client({certs.cert, "", ""});
  REQUIRE(anonymous.ok());
  CHECK_FALSE(handshake(*server, *anonymous).server_ok);
  auto with_cert = TlsContext::client({certs.cert, certs.other_cert, certs.other_key});
  REQUIRE(with_cert.ok());
  Handshake h = handshake(*server, *with_cert);
  CHECK(h.server_ok);
  CHECK(h.client_ok);
}

TEST_CASE("loading errors name the file and the problem") {
  Certs certs;
  auto missing = TlsContext::server({certs.dir.string() + "/nope.pem", certs.key, "", false, {}});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("nope.pem") != std::string::npos);
  CHECK(missing.error().detail == "certificate");
  auto mismatch = TlsContext::server({certs.cert, certs.other_key, "", false, {}});
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().detail == "key_mismatch");
  CHECK(mismatch.error().message.find("does not match") != std::string::npos);
  auto bad_ca = TlsContext::client({certs.key, "", ""});  // a key is not a CA certificate
  REQUIRE_FALSE(bad_ca.ok());
  CHECK(bad_ca.error().message.find(certs.key) != std::string::npos);
  auto no_ca = TlsContext::server({certs.cert, certs.key, "", true, {}});
  REQUIRE_FALSE(no_ca.ok());
  CHECK(no_ca.error().detail == "client_ca");
}

}  // namespace
}  // namespace fleetgate
