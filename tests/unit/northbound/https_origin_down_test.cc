// The origin goes down for a while: the WAN state goes offline, devices keep getting
// what the cache holds, and when the origin returns the next sync just works.
#include "northbound/wan_state.h"
#include "tests/unit/northbound/https_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;

TEST_CASE("origin down: cache still serves, WAN offline; origin back: sync resumes",
          "[https_origin][fault]") {
  OriginSite site;
  constexpr uint64_t kSize = 1 << 20;
  auto sha_a = write_test_file(site.www + "/targets/a.bin", kSize, 1);
  auto sha_b = write_test_file(site.www + "/targets/b.bin", kSize, 2);
  REQUIRE(sha_a.ok());
  REQUIRE(sha_b.ok());
  northbound::WanState wan(nullptr, 2);
  auto o = quick_options();
  o.max_attempts = 2;
  o.wan_state = &wan;
  auto origin = open(site.nginx->url(), o);
  CacheSite cache;
  REQUIRE(cache.ingest(*origin, "targets/a.bin", *sha_a, kSize).ok());
  CHECK(wan.link() == northbound::WanLink::online);

  site.nginx->stop();
  for (int i = 0; i < 2; ++i) {
    Status s = cache.ingest(*origin, "targets/b.bin", *sha_b, kSize);
    REQUIRE(!s.ok());
    CHECK(s.error().code == Errc::network);
  }
  CHECK(wan.link() == northbound::WanLink::offline);
  // Devices are served from the cache meanwhile.
  auto reader = cache.store->open_read(*Sha256Digest::from_hex(*sha_a));
  REQUIRE(reader.ok());
  uint64_t served = 0;
  REQUIRE((*reader)
              ->read(0, kSize,
                     [&](std::span<const uint8_t> p) {
                       served += p.size();
                       return true;
                     })
              .ok());
  CHECK(served == kSize);
  reader.value().reset();

  REQUIRE(site.nginx->restart().ok());
  Status back = cache.ingest(*origin, "targets/b.bin", *sha_b, kSize);
  INFO(std::string(back.ok() ? "" : back.error().to_string()));
  CHECK(back.ok());
  CHECK(wan.link() == northbound::WanLink::online);
}
