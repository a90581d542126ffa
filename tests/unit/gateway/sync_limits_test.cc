// The client's caps against endless data in the root chain: count and bytes.
#include "sync_fixture.h"

using namespace fleetgate;
using fleetgate::northbound::Role;
using fleetgate::testing::SyncFixture;

TEST_CASE("the root chain stops after the rotation cap") {
  SyncFixture f;
  for (int i = 0; i < 3; ++i) REQUIRE(f.repo->rotate(Role::root).ok());
  northbound::SyncRequest req;
  req.site = f.site;
  req.initial_root = f.repo_file("1.root.json");
  req.limits.max_root_rotations = 2;
  auto out = northbound::run_sync_once(*f.store, *f.origin, f.clock, req);
  REQUIRE(out.ok());
  CHECK(f.store->kv_get(cache::Table::trusted_metadata, "root").value() ==
        f.repo_file("3.root.json"));
  // The next cycle continues the chain.
  REQUIRE(northbound::run_sync_once(*f.store, *f.origin, f.clock, req).ok());
  CHECK(f.store->kv_get(cache::Table::trusted_metadata, "root").value() ==
        f.repo_file("4.root.json"));
}

TEST_CASE("a next root larger than the byte cap is refused") {
  SyncFixture f;
  REQUIRE(f.sync().ok());
  REQUIRE(f.repo->rotate(Role::root).ok());
  std::string big = f.repo_file("2.root.json");
  big.insert(big.size() - 2, std::string(600 * 1024, ' '));
  REQUIRE(f.repo->write_file("2.root.json", big).ok());
  auto before = f.visible();
  auto out = f.sync();
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().detail == "length_exceeded");
  CHECK(f.visible() == before);
}
