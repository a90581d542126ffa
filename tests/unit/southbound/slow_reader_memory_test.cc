// Backpressure: clients that stop reading mid-blob make the gateway hold no more than a
// small fixed amount of its own memory each (the body is never copied: it is written
// from the LMDB map, one send window at a time).
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "served_gateway.h"
#include "tests/support/process_memory.h"

using namespace fleetgate::testing;

namespace {
uint64_t metric(int port, std::string_view name) {
  Client c(port);
  c.send(get("/metrics"));
  auto r = c.response();
  size_t at = r.body.find(std::string("\n") + std::string(name) + " ");
  if (at == std::string::npos) return 0;
  return std::stoull(r.body.substr(at + name.size() + 2));
}
}  // namespace

TEST_CASE("200 stalled readers of an 8 MiB blob cost under 16 KiB each", "[backpressure]") {
  constexpr int kClients = 200;
  constexpr long kBoundPerClientKib = 16;
  ServedGateway gw;
  std::string blob(8 << 20, 'z');
  auto d = gw.store.add(blob);
  gw.oracle.public_blobs.insert(d);
  std::string().swap(blob);
  // Warm up allocator pools with one whole transfer, then measure.
  {
    Client warm(gw.port());
    warm.send(get("/v1/blobs/sha256/" + d.hex()));
    REQUIRE(warm.response().status == 200);
  }
  long before = rss_anon_kib();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(gw.port(), 16 * 1024));
    clients.back()->send(get("/v1/blobs/sha256/" + d.hex()));
  }
  // Every request has been dispatched (the server has started each transfer) ...
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (metric(gw.port(), "fleetgate_cache_open_transfers") < kClients &&
         std::chrono::steady_clock::now() < deadline) {
  }
  CHECK(metric(gw.port(), "fleetgate_cache_open_transfers") == kClients);
  // ... and none of them can finish: the clients read nothing.
  long after = rss_anon_kib();
  long per_client = (after - before) / kClients;
  INFO("RssAnon before " << before << " KiB, after " << after << " KiB, per client "
                         << per_client << " KiB");
  CHECK(per_client < kBoundPerClientKib);
  clients.clear();
  CHECK(gw.stop());
  CHECK(gw.store.open_transfers() == 0);
}
