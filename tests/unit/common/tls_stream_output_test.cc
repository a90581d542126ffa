// TlsStream hands its ciphertext over without a copy, and a buffer given back after its
// write carries later records, so a transfer of many windows allocates no new buffers.
#include <catch2/catch.hpp>

#include "common/tls_context.h"
#include "common/tls_stream.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

using fleetgate::TlsStream;

namespace {

struct Pair {
  bssl::UniquePtr<SSL_CTX> client_ctx;
  std::unique_ptr<TlsStream> client;
  std::unique_ptr<TlsStream> server;
  std::string at_client;
};

Pair connected_pair(const fleetgate::testing::TestPki& pki, const fleetgate::TlsContext& server) {
  Pair p;
  p.client_ctx.reset(SSL_CTX_new(TLS_method()));
  REQUIRE(SSL_CTX_load_verify_locations(p.client_ctx.get(), pki.ca_cert.c_str(), nullptr) == 1);
  SSL_CTX_set_verify(p.client_ctx.get(), SSL_VERIFY_PEER, nullptr);
  p.client = TlsStream::create(p.client_ctx.get(), TlsStream::Role::client, "127.0.0.1").value();
  p.server = TlsStream::create(server.raw(), TlsStream::Role::server).value();
  REQUIRE(p.client->start().ok());
  for (int i = 0; i < 10 && (p.client->has_output() || p.server->has_output()); ++i) {
    if (p.client->has_output()) {
      REQUIRE(p.server->receive(p.client->take_output(), [](std::string_view) {}).ok());
    }
    if (p.server->has_output()) {
      REQUIRE(p.client->receive(p.server->take_output(), [](std::string_view) {}).ok());
    }
  }
  REQUIRE(p.server->handshake_done());
  REQUIRE(p.client->handshake_done());
  return p;
}

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("a recycled output buffer carries every later window, bytes intact") {
  fleetgate::testing::TempDir dir;
  const auto pki = fleetgate::testing::make_test_pki(dir.path()).value();
  auto server_ctx =
      fleetgate::TlsContext::server({pki.server_cert, pki.server_key, "", false, {}}).value();
  Pair p = connected_pair(pki, server_ctx);

  std::string expected;
  std::vector<const char*> buffers;  // where each window's ciphertext was written
  for (int window = 0; window < 6; ++window) {
    std::string plain(64 * 1024, static_cast<char>('a' + window));
    expected += plain;
    p.server->reserve_output(plain.size());
    REQUIRE(p.server->send(bytes_of(plain)).ok());
    REQUIRE(p.server->has_output());
    std::string cipher = p.server->take_output();
    CHECK_FALSE(p.server->has_output());
    CHECK(cipher.size() > plain.size());
    buffers.push_back(cipher.data());
    REQUIRE(p.client->receive(cipher, [&](std::string_view d) { p.at_client += d; }).ok());
    p.server->recycle_output(std::move(cipher));  // "written": the socket is done with it
  }
  CHECK(p.at_client == expected);
  for (size_t i = 1; i < buffers.size(); ++i) {
    INFO("window " << i);
    CHECK(buffers[i] == buffers[0]);
  }
}

TEST_CASE("records sent while an output is on the wire survive its recycling, in order") {
  fleetgate::testing::TempDir dir;
  const auto pki = fleetgate::testing::make_test_pki(dir.path()).value();
  auto server_ctx =
      fleetgate::TlsContext::server({pki.server_cert, pki.server_key, "", false, {}}).value();
  Pair p = connected_pair(pki, server_ctx);

  REQUIRE(p.server->send(bytes_of(std::string(40'000, 'w'))).ok());
  std::string on_wire = p.server->take_output();
  REQUIRE(p.server->send(bytes_of(std::string("late"))).ok());  // e.g. an alert
  REQUIRE(p.client->receive(on_wire, [&](std::string_view d) { p.at_client += d; }).ok());
  p.server->recycle_output(std::move(on_wire));
  REQUIRE(p.server->has_output());
  REQUIRE(p.client->receive(p.server->take_output(), [&](std::string_view d) { p.at_client += d; })
              .ok());
  CHECK(p.at_client == std::string(40'000, 'w') + "late");
}

TEST_CASE("an output larger than a send window is not kept as the spare") {
  fleetgate::testing::TempDir dir;
  const auto pki = fleetgate::testing::make_test_pki(dir.path()).value();
  auto server_ctx =
      fleetgate::TlsContext::server({pki.server_cert, pki.server_key, "", false, {}}).value();
  Pair p = connected_pair(pki, server_ctx);

  std::string big(1 << 20, 'b');
  REQUIRE(p.server->send(bytes_of(big)).ok());
  std::string cipher = p.server->take_output();
  const char* big_buffer = cipher.data();
  REQUIRE(p.client->receive(cipher, [&](std::string_view d) { p.at_client += d; }).ok());
  p.server->recycle_output(std::move(cipher));
  // Had the 1 MiB buffer been kept, the next records would be written into it.
  for (int i = 0; i < 2; ++i) {
    REQUIRE(p.server->send(bytes_of(std::string("x"))).ok());
    std::string small = p.server->take_output();
    CHECK(small.data() != big_buffer);
    REQUIRE(p.client->receive(small, [&](std::string_view d) { p.at_client += d; }).ok());
  }
  CHECK(p.at_client == big + "xx");
}
