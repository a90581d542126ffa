// Backpressure under TLS: a client that stops reading mid-blob holds one send window of
// ciphertext at the gateway (taken from BoringSSL without a copy), not more.
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "common/tls_context.h"
#include "common/tls_stream.h"
#include "served_gateway.h"
#include "tests/support/process_memory.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

using namespace fleetgate::testing;
using fleetgate::TlsStream;

namespace {

// ASan keeps freed memory in quarantine, so the resident size says nothing there; the
// stalled transfers still run, for the sanitizer to check them.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMeasureMemory = false;
#elif defined(__has_feature)
constexpr bool kMeasureMemory = !__has_feature(address_sanitizer);
#else
constexpr bool kMeasureMemory = true;
#endif

// A blocking loopback TLS client with a small receive buffer; every wait has a deadline.
class TlsClient {
 public:
  TlsClient(int port, SSL_CTX* ctx, int receive_buffer) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    tls_ = TlsStream::create(ctx, TlsStream::Role::client, "127.0.0.1").value();
    REQUIRE(tls_->start().ok());
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!tls_->handshake_done()) {
      flush();
      REQUIRE(read_some(until));
    }
    flush();
  }
  ~TlsClient() { ::close(fd_); }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  void send(const std::string& plain) {
    REQUIRE(tls_->send({reinterpret_cast<const uint8_t*>(plain.data()), plain.size()}).ok());
    flush();
  }
  // Reads until `bytes` of plaintext arrived (head included); false at the deadline.
  bool read_at_least(size_t bytes) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (plain_ < bytes) {
      if (!read_some(until)) return false;
    }
    return true;
  }

 private:
  void flush() {
    std::string out = tls_->take_output();
    std::string_view rest = out;
    while (!rest.empty()) {
      ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
      REQUIRE(n > 0);
      rest.remove_prefix(static_cast<size_t>(n));
    }
  }
  bool read_some(std::chrono::steady_clock::time_point until) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    fleetgate::PlaintextBuffer plain;
    if (!tls_->receive(std::string_view(buf, static_cast<size_t>(n)), plain).ok()) return false;
    plain_ += plain.view().size();
    return true;
  }

  int fd_ = -1;
  std::unique_ptr<TlsStream> tls_;
  size_t plain_ = 0;
};

}  // namespace

TEST_CASE("100 stalled TLS readers of an 8 MiB blob cost under 112 KiB each", "[backpressure]") {
  constexpr int kClients = 100;
  // One 64 KiB window of ciphertext, plus both ends' TLS state (the clients live in this
  // process too). Taking the ciphertext with a copy held two windows: 145 KiB.
  constexpr long kBoundPerClientKib = 112;
  TempDir dir;
  const auto pki = make_test_pki(dir.path()).value();
  auto server_tls = fleetgate::TlsContext::server({pki.server_cert, pki.server_key, "", false, {}});
  REQUIRE(server_tls.ok());
  bssl::UniquePtr<SSL_CTX> client_ctx(SSL_CTX_new(TLS_method()));
  REQUIRE(SSL_CTX_load_verify_locations(client_ctx.get(), pki.ca_cert.c_str(), nullptr) == 1);
  SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_PEER, nullptr);
  fleetgate::southbound::HttpServerOptions options;
  options.tls = server_tls->raw();
  ServedGateway gw(options);
  std::string blob(8 << 20, 'z');
  auto d = gw.store.add(blob);
  gw.oracle.public_blobs.insert(d);
  std::string().swap(blob);
  auto open_transfers = [&gw] {
    uint64_t n = 0;
    gw.on_loop([&] { n = gw.store.open_transfers(); });
    return n;
  };
  // Warm up allocator pools with one whole transfer, then measure.
  {
    TlsClient warm(gw.port(), client_ctx.get(), 0);
    warm.send(get("/v1/blobs/sha256/" + d.hex()));
    REQUIRE(warm.read_at_least(8 << 20));
  }
  long before = rss_anon_kib();
  std::vector<std::unique_ptr<TlsClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<TlsClient>(gw.port(), client_ctx.get(), 16 * 1024));
    clients.back()->send(get("/v1/blobs/sha256/" + d.hex()));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (open_transfers() < kClients && std::chrono::steady_clock::now() < deadline) {
  }
  CHECK(open_transfers() == kClients);
  long after = rss_anon_kib();
  long per_client = (after - before) / kClients;
  INFO("RssAnon before " << before << " KiB, after " << after << " KiB, per client " << per_client
                         << " KiB");
  if (kMeasureMemory) CHECK(per_client < kBoundPerClientKib);
  clients.clear();
  CHECK(gw.stop());
  CHECK(gw.store.open_transfers() == 0);
}
