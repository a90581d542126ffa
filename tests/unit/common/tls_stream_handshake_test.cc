// Two TlsStreams talk through memory: handshake, data both ways, client certificate CN.
#include <catch2/catch.hpp>

#include "common/tls_context.h"
#include "common/tls_stream.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

using fleetgate::TlsStream;

namespace {
bssl::UniquePtr<SSL_CTX> client_ctx(const fleetgate::testing::TestPki& pki, bool with_cert,
                                    uint16_t version) {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), version);
  SSL_CTX_set_max_proto_version(ctx.get(), version);
  REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), pki.ca_cert.c_str(), nullptr) == 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (with_cert) {
    REQUIRE(SSL_CTX_use_certificate_chain_file(ctx.get(), pki.client_cert.c_str()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx.get(), pki.client_key.c_str(), SSL_FILETYPE_PEM) == 1);
  }
  return ctx;
}

// Shuttles records until both sides are quiet; returns what each side decrypted.
void pump(TlsStream& client, TlsStream& server, std::string& at_client, std::string& at_server) {
  for (int i = 0; i < 20; ++i) {
    bool moved = false;
    if (client.has_output()) {
      fleetgate::PlaintextBuffer plain;
      REQUIRE(server.receive(client.take_output(), plain).ok());
      at_server += plain.view();
      moved = true;
    }
    if (server.has_output()) {
      fleetgate::PlaintextBuffer plain;
      REQUIRE(client.receive(server.take_output(), plain).ok());
      at_client += plain.view();
      moved = true;
    }
    if (!moved) return;
  }
}
}  // namespace

TEST_CASE("TLS 1.2 and 1.3 handshakes carry data both ways", "[tls_stream]") {
  fleetgate::testing::TempDir dir;
  const auto pki = fleetgate::testing::make_test_pki(dir.path()).value();
  auto server_ctx = fleetgate::TlsContext::server({pki.server_cert, pki.server_key, "", false, {}});
  REQUIRE(server_ctx.ok());
  for (uint16_t version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    auto cctx = client_ctx(pki, false, version);
    auto client = TlsStream::create(cctx.get(), TlsStream::Role::client, "127.0.0.1");
    auto server = TlsStream::create(server_ctx->raw(), TlsStream::Role::server);
    REQUIRE(client.ok());
    REQUIRE(server.ok());
    REQUIRE((*client)->start().ok());
    std::string at_client, at_server;
    pump(**client, **server, at_client, at_server);
    REQUIRE((*client)->handshake_done());
    REQUIRE((*server)->handshake_done());
    CHECK((*server)->version() == (version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"));
    std::string big(100'000, 'q');
    REQUIRE((*client)
                ->send(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("ping"), 4))
                .ok());
    REQUIRE((*server)
                ->send(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(big.data()),
                                                big.size()))
                .ok());
    pump(**client, **server, at_client, at_server);
    CHECK(at_server == "ping");
    CHECK(at_client == big);
    CHECK((*server)->peer_common_name().empty());
  }
}

TEST_CASE("a verified client certificate yields its subject CN", "[tls_stream]") {
  fleetgate::testing::TempDir dir;
  const auto pki = fleetgate::testing::make_test_pki(dir.path(), "sensor-9").value();
  auto server_ctx =
      fleetgate::TlsContext::server({pki.server_cert, pki.server_key, pki.ca_cert, false, {}});
  REQUIRE(server_ctx.ok());
  auto cctx = client_ctx(pki, true, TLS1_3_VERSION);
  auto client = TlsStream::create(cctx.get(), TlsStream::Role::client, "127.0.0.1");
  auto server = TlsStream::create(server_ctx->raw(), TlsStream::Role::server);
  REQUIRE((*client)->start().ok());
  std::string a, b;
  pump(**client, **server, a, b);
  REQUIRE((*server)->handshake_done());
  CHECK((*server)->peer_common_name() == "sensor-9");
}

TEST_CASE("plaintext HTTP sent to a TLS server fails the handshake", "[tls_stream]") {
  fleetgate::testing::TempDir dir;
  const auto pki = fleetgate::testing::make_test_pki(dir.path()).value();
  auto server_ctx = fleetgate::TlsContext::server({pki.server_cert, pki.server_key, "", false, {}});
  REQUIRE(server_ctx.ok());
  auto server = TlsStream::create(server_ctx->raw(), TlsStream::Role::server);
  fleetgate::PlaintextBuffer plain;
  auto st = (*server)->receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n", plain);
  CHECK_FALSE(st.ok());
  CHECK_FALSE((*server)->handshake_done());
}
