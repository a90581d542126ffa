// The happy paths of one sync cycle against a repository made by the publisher.
#include "sync_fixture.h"

using namespace fleetgate;
using fleetgate::testing::SyncFixture;

TEST_CASE("sync fetches and pins what the site's plan says to prefetch") {
  SyncFixture f;
  REQUIRE(f.repo->add_target("fw/sensor-v2.bin", std::string(300 * 1024, 'x')).ok());
  REQUIRE(f.repo->add_target("fw/other.bin", "not prefetched").ok());
  f.publish_plan(3, R"(["fw/sensor-v2.bin"])");

  auto out = f.sync();
  REQUIRE(out.ok());
  CHECK(out->plan_version == 3u);
  CHECK(out->fetched == 1);
  CHECK(out->pinned == 1);
  auto v = f.visible();
  CHECK(v.trusted["timestamp"].has_value());
  CHECK(v.plan.has_value());
  // Only the prefetched firmware; the plan lives in the plans table.
  REQUIRE(v.ready.size() == 1);
  bool pinned_fw = false;
  for (const auto& line : v.ready) {
    pinned_fw |= line.find("fw/sensor-v2.bin pin:plan:plant-7") != std::string::npos;
  }
  CHECK(pinned_fw);

  // A second cycle with nothing new is up to date and downloads nothing.
  auto again = f.sync();
  REQUIRE(again.ok());
  CHECK(again->fetched == 0);
  CHECK_FALSE(again->plan_changed);
  CHECK(f.visible() == v);
}

TEST_CASE("sync with no plan for the site only refreshes metadata") {
  SyncFixture f;
  REQUIRE(f.repo->add_target("fw/a.bin", "abc").ok());
  auto out = f.sync();
  REQUIRE(out.ok());
  CHECK_FALSE(out->plan_version.has_value());
  CHECK(f.visible().ready.empty());
  CHECK(f.visible().trusted["targets"].has_value());
}

TEST_CASE("a newer plan replaces the pins of the old one") {
  SyncFixture f;
  REQUIRE(f.repo->add_target("fw/a.bin", "aaa").ok());
  REQUIRE(f.repo->add_target("fw/b.bin", "bbb").ok());
  f.publish_plan(1, R"(["fw/a.bin"])");
  REQUIRE(f.sync().ok());
  f.publish_plan(2, R"(["fw/b.bin"])");
  auto out = f.sync();
  REQUIRE(out.ok());
  CHECK(out->plan_changed);
  const std::vector<cache::ArtifactInfo> all = f.store->list().value();
  for (const auto& a : all) {
    bool is_a = std::find(a.names.begin(), a.names.end(), "fw/a.bin") != a.names.end();
    bool is_b = std::find(a.names.begin(), a.names.end(), "fw/b.bin") != a.names.end();
    if (is_a) CHECK(a.pins.empty());
    if (is_b) CHECK(a.pins == std::vector<std::string>{"plan:plant-7"});
  }
}

TEST_CASE("a key rotation of every role is followed through the root chain") {
  SyncFixture f;
  REQUIRE(f.sync().ok());
  for (auto role : {northbound::Role::root, northbound::Role::targets, northbound::Role::snapshot,
                    northbound::Role::timestamp}) {
    REQUIRE(f.repo->rotate(role).ok());
  }
  REQUIRE(f.repo->add_target("fw/a.bin", "abc").ok());
  REQUIRE(f.sync().ok());
  auto root = f.store->kv_get(cache::Table::trusted_metadata, "root").value();
  REQUIRE(root.has_value());
  CHECK(*root == f.repo_file("5.root.json"));
  for (int v = 1; v <= 5; ++v) {
    CHECK(f.store->kv_get(cache::Table::trusted_metadata, std::to_string(v) + ".root").value() ==
          f.repo_file(std::to_string(v) + ".root.json"));
  }
}
