// run_sync_once with the sync window closed: metadata is refreshed, but a plan that needs
// downloads waits (deferred, the plan in force stays) unless a deployment is critical.
#include "sync_fixture.h"

using namespace fleetgate;
using fleetgate::testing::SyncFixture;

namespace {

Result<northbound::SyncOutcome> sync_closed(SyncFixture& f) {
  northbound::SyncRequest req;
  req.site = f.site;
  req.initial_root = fleetgate::testing::slurp(f.repo->root_path());
  req.window_open = false;
  return northbound::run_sync_once(*f.store, *f.origin, f.clock, req);
}

std::string plan(uint64_t version, const char* priority) {
  return std::string(R"({"site": "plant-7", "version": )") + std::to_string(version) +
         R"(, "deployments": [{"id": "d", "target": "fw/a.bin", "select": {"group": "g"},)" +
         R"( "priority": ")" + priority + R"("}]})";
}

}  // namespace

TEST_CASE("outside the window a normal plan's downloads wait and the plan in force stays") {
  SyncFixture f;
  REQUIRE(f.repo->add_target("fw/a.bin", std::string(5000, 'a')).ok());
  REQUIRE(f.repo->add_plan(plan(1, "normal")).ok());
  auto out = sync_closed(f);
  INFO((out.ok() ? "" : out.error().to_string()));
  REQUIRE(out.ok());
  CHECK(out->deferred == 1);
  CHECK(out->fetched == 0);
  CHECK_FALSE(out->plan_changed);
  CHECK_FALSE(out->plan_version.has_value());
  CHECK_FALSE(f.store->kv_get(cache::Table::plans, f.site).value().has_value());
  // The metadata was still refreshed.
  CHECK(f.store->kv_get(cache::Table::trusted_metadata, "targets").value().has_value());
  CHECK(f.store->list().value().empty());

  // When the window opens the same plan is fetched and taken into force.
  auto open = f.sync();
  REQUIRE(open.ok());
  CHECK(open->fetched == 1);
  CHECK(open->deferred == 0);
  CHECK(open->plan_version == 1u);
}

TEST_CASE("outside the window a critical plan downloads at once") {
  SyncFixture f;
  REQUIRE(f.repo->add_target("fw/a.bin", std::string(5000, 'a')).ok());
  REQUIRE(f.repo->add_plan(plan(1, "critical")).ok());
  auto out = sync_closed(f);
  INFO((out.ok() ? "" : out.error().to_string()));
  REQUIRE(out.ok());
  CHECK(out->deferred == 0);
  CHECK(out->fetched == 1);
  CHECK(out->plan_version == 1u);
}

TEST_CASE("outside the window a plan whose targets are all held is taken into force") {
  SyncFixture f;
  REQUIRE(f.repo->add_target("fw/a.bin", std::string(5000, 'a')).ok());
  REQUIRE(f.repo->add_plan(plan(1, "normal")).ok());
  REQUIRE(f.sync().ok());
  REQUIRE(f.repo->add_plan(plan(2, "normal")).ok());
  auto out = sync_closed(f);
  REQUIRE(out.ok());
  CHECK(out->deferred == 0);
  CHECK(out->plan_changed);
  CHECK(out->plan_version == 2u);
}
