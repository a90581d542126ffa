// /tuf/ serves the trusted metadata by role and version, and targets by hash.
#include <catch2/catch.hpp>

#include "served_gateway.h"

using namespace fleetgate::testing;

TEST_CASE("tuf metadata is served by name and by held version only", "[tuf]") {
  ServedGateway gw;
  std::string root = R"({"signed":{"_type":"root","version":3},"signatures":[]})";
  fleetgate::cache::KvWrite w{fleetgate::cache::Table::trusted_metadata, "root", root};
  REQUIRE(gw.store->kv_write(std::span<const fleetgate::cache::KvWrite>(&w, 1)).ok());
  auto ask = [&](const std::string& target) {
    Client c(gw.port());
    c.send(get(target));
    return c.response();
  };
  auto r = ask("/tuf/root.json");
  CHECK(r.status == 200);
  CHECK(r.body == root);
  CHECK(ask("/tuf/3.root.json").status == 200);
  CHECK(ask("/tuf/4.root.json").status == 404);
  CHECK(ask("/tuf/timestamp.json").status == 404);
  CHECK(ask("/tuf/../x.json").status == 404);

  auto d = gw.store.add("target bytes");
  gw.oracle.public_blobs.insert(d);
  auto t = ask("/tuf/targets/fw/" + d.hex() + ".sensor-v2.bin");
  CHECK(t.status == 200);
  CHECK(t.body == "target bytes");
}
