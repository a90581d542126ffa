// What a device is told by the daemon before the rollout engine lands: the deployment of
// the plan in force that matches it, once the target is cached; nothing else is readable.
#include <catch2/catch.hpp>

#include "gateway/plan_oracle.h"
#include "southbound/device_registry.h"
#include "tests/unit/gateway/sync_fixture.h"

namespace fleetgate::testing {
namespace {

southbound::Device device(std::string id, std::string group, std::string hardware) {
  southbound::Device d;
  d.id = std::move(id);
  d.group = std::move(group);
  d.hardware = std::move(hardware);
  return d;
}

Sha256Digest digest_of(std::string_view bytes) { return Sha256::of(bytes); }

constexpr char kPlan[] = R"({"site": "plant-7", "version": 1, "deployments": [
  {"id": "fw-7", "target": "fw/line3.bin", "select": {"group": "line-3"}},
  {"id": "fw-any", "target": "fw/all.bin", "action": "download-only"}]})";

void publish_plan_with_two_firmwares(SyncFixture& f) {
  REQUIRE(f.repo->add_target("fw/line3.bin", "firmware for line 3").ok());
  REQUIRE(f.repo->add_target("fw/all.bin", "firmware for the rest").ok());
  REQUIRE(f.repo->add_plan(kPlan).ok());
}

}  // namespace

TEST_CASE("next names the first matching deployment's cached target") {
  SyncFixture f;
  publish_plan_with_two_firmwares(f);
  REQUIRE(f.sync().ok());

  gateway::PlanOracle oracle(*f.store, f.site);
  REQUIRE(oracle.refresh().ok());
  CHECK(oracle.plan_version() == 1);

  const auto on_line = device("s1", "line-3", "hw-a");
  auto a = oracle.next(on_line);
  REQUIRE(a.kind == southbound::NextAnswer::Kind::update);
  CHECK(a.deployment == "fw-7");
  CHECK(a.target == "fw/line3.bin");
  CHECK(a.sha256 == digest_of("firmware for line 3"));
  CHECK(a.length == 19);
  CHECK(a.action == "install");

  const auto elsewhere = device("s2", "line-4", "hw-a");
  auto b = oracle.next(elsewhere);
  REQUIRE(b.kind == southbound::NextAnswer::Kind::update);
  CHECK(b.deployment == "fw-any");
  CHECK(b.action == "download-only");

  CHECK(oracle.may_read(&on_line, digest_of("firmware for line 3")));
  CHECK_FALSE(oracle.may_read(&elsewhere, digest_of("firmware for line 3")));
  CHECK(oracle.may_read(&elsewhere, digest_of("firmware for the rest")));
  CHECK_FALSE(oracle.may_read(nullptr, digest_of("firmware for the rest")));
}

TEST_CASE("without a plan nothing is offered and nothing is readable") {
  SyncFixture f;
  gateway::PlanOracle oracle(*f.store, f.site);
  REQUIRE(oracle.refresh().ok());
  const auto d = device("s1", "line-3", "hw-a");
  CHECK(oracle.next(d).kind == southbound::NextAnswer::Kind::nothing);
  CHECK_FALSE(oracle.may_read(&d, digest_of("anything")));
}

TEST_CASE("a deployment whose target is not cached yet says come back later") {
  SyncFixture f;
  publish_plan_with_two_firmwares(f);
  REQUIRE(f.sync().ok());
  gateway::PlanOracle oracle(*f.store, f.site);
  REQUIRE(oracle.refresh().ok());
  // The operator evicts it (or it is quarantined): the device must not be sent for it.
  REQUIRE(f.store->unpin_all("plan:" + f.site).ok());
  REQUIRE(f.store->evict(digest_of("firmware for line 3")).ok());
  auto a = oracle.next(device("s1", "line-3", "hw-a"));
  CHECK(a.kind == southbound::NextAnswer::Kind::come_back_later);
  CHECK(a.retry_after.count() > 0);
}

TEST_CASE("sync fetches deployment targets that the plan does not prefetch") {
  SyncFixture f;
  publish_plan_with_two_firmwares(f);
  auto outcome = f.sync();
  REQUIRE(outcome.ok());
  CHECK(outcome->fetched == 2);
  CHECK(outcome->pinned == 2);
}

}  // namespace fleetgate::testing
