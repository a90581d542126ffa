// TlsStream's buffers. Output: it hands its ciphertext over without a copy, and a buffer
// given back after its write carries later records, so a transfer of many windows
// allocates no new buffers. Input: records are read straight from the caller's ciphertext,
// however it is split, and decrypted into the caller's reused PlaintextBuffer.
#include <catch2/catch.hpp>

#include "common/tls_context.h"
#include "common/tls_stream.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

using fleetgate::TlsStream;

namespace {

// A client and a server TlsStream, connected through memory, with their own test PKI.
struct Pair {
  Pair() {
    client_ctx.reset(SSL_CTX_new(TLS_method()));
    REQUIRE(SSL_CTX_load_verify_locations(client_ctx.get(), pki.ca_cert.c_str(), nullptr) == 1);
    SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_PEER, nullptr);
    client = TlsStream::create(client_ctx.get(), TlsStream::Role::client, "127.0.0.1").value();
    server = TlsStream::create(server_ctx.raw(), TlsStream::Role::server).value();
    REQUIRE(client->start().ok());
    for (int i = 0; i < 10 && (client->has_output() || server->has_output()); ++i) {
      if (client->has_output()) REQUIRE(server->receive(client->take_output(), plain).ok());
      if (server->has_output()) to_client(server->take_output());
    }
    REQUIRE(server->handshake_done());
    REQUIRE(client->handshake_done());
  }

  // Decrypts records from the server at the client, adding their plaintext to at_client.
  void to_client(std::string_view cipher) {
    plain.clear();
    REQUIRE(client->receive(cipher, plain).ok());
    at_client += plain.view();
  }

  fleetgate::testing::TempDir dir;
  fleetgate::testing::TestPki pki = fleetgate::testing::make_test_pki(dir.path()).value();
  fleetgate::TlsContext server_ctx =
      fleetgate::TlsContext::server({pki.server_cert, pki.server_key, "", false, {}}).value();
  bssl::UniquePtr<SSL_CTX> client_ctx;
  std::unique_ptr<TlsStream> client;
  std::unique_ptr<TlsStream> server;
  std::string at_client;
  fleetgate::PlaintextBuffer plain;
};

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("a recycled output buffer carries every later window, bytes intact") {
  Pair p;

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
    p.to_client(cipher);
    p.server->recycle_output(std::move(cipher));  // "written": the socket is done with it
  }
  CHECK(p.at_client == expected);
  for (size_t i = 1; i < buffers.size(); ++i) {
    INFO("window " << i);
    CHECK(buffers[i] == buffers[0]);
  }
}

TEST_CASE("records sent while an output is on the wire survive its recycling, in order") {
  Pair p;

  REQUIRE(p.server->send(bytes_of(std::string(40'000, 'w'))).ok());
  std::string on_wire = p.server->take_output();
  REQUIRE(p.server->send(bytes_of(std::string("late"))).ok());  // e.g. an alert
  p.to_client(on_wire);
  p.server->recycle_output(std::move(on_wire));
  REQUIRE(p.server->has_output());
  p.to_client(p.server->take_output());
  CHECK(p.at_client == std::string(40'000, 'w') + "late");
}

TEST_CASE("an output larger than a send window is not kept as the spare") {
  Pair p;

  std::string big(1 << 20, 'b');
  REQUIRE(p.server->send(bytes_of(big)).ok());
  std::string cipher = p.server->take_output();
  const char* big_buffer = cipher.data();
  p.to_client(cipher);
  p.server->recycle_output(std::move(cipher));
  // Had the 1 MiB buffer been kept, the next records would be written into it.
  for (int i = 0; i < 2; ++i) {
    REQUIRE(p.server->send(bytes_of(std::string("x"))).ok());
    std::string small = p.server->take_output();
    CHECK(small.data() != big_buffer);
    p.to_client(small);
  }
  CHECK(p.at_client == big + "xx");
}

TEST_CASE("ciphertext split anywhere decrypts to the same bytes, into a reused buffer") {
  Pair p;

  std::string sent;
  for (int i = 0; i < 200'000; ++i) sent += static_cast<char>('a' + i % 23);
  // Whole, then in pieces that cut headers and records: 1 byte, a header's 5, odd sizes.
  for (size_t piece : {size_t{1} << 20, size_t{1}, size_t{5}, size_t{4097}, size_t{16'406}}) {
    INFO("pieces of " << piece);
    REQUIRE(p.server->send(bytes_of(sent)).ok());  // 13 records, the last one short
    const std::string cipher = p.server->take_output();
    std::string got;
    for (size_t at = 0; at < cipher.size(); at += piece) {
      p.plain.clear();
      REQUIRE(p.client->receive(std::string_view(cipher).substr(at, piece), p.plain).ok());
      got += p.plain.view();
    }
    CHECK(got == sent);
  }
}

TEST_CASE("bytes after a close_notify are ignored and the close is reported") {
  Pair p;

  REQUIRE(p.server->send(bytes_of(std::string("last words"))).ok());
  p.server->shutdown();
  std::string wire = p.server->take_output() + "not a TLS record";
  p.to_client(wire);
  CHECK(p.at_client == "last words");
  CHECK(p.client->peer_closed());
}
