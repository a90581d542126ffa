#include <catch2/catch.hpp>

#include "northbound/sync_plan.h"

using namespace fleetgate;
using namespace fleetgate::northbound;

TEST_CASE("the design document's plan parses with every field") {
  auto plan = parse_sync_plan(R"({
    "site": "plant-7", "version": 3,
    "prefetch": ["fw/sensor-v2.1.bin", "fw/sensor-v2.0.bin"],
    "deployments": [{
      "id": "sensor-2.1", "target": "fw/sensor-v2.1.bin",
      "select": {"group": "line-3", "hardware": "sensor-b"},
      "window": {"cron": "0 2 * * *", "duration": "3h", "tz": "Europe/Berlin"},
      "rate": {"bytes_per_s": "2MiB", "max_concurrent": 20},
      "stages": [{"percent": 5, "gate": 0.95}, {"percent": 100}],
      "abort": {"failure_ratio": 0.10, "min_devices": 10},
      "rollback": "fw/sensor-v2.0.bin", "action": "install", "priority": "normal",
      "future_field": {"ignored": true}
    }]})");
  REQUIRE(plan.ok());
  CHECK(plan->site == "plant-7");
  CHECK(plan->version == 3);
  REQUIRE(plan->deployments.size() == 1);
  const Deployment& d = plan->deployments[0];
  CHECK(d.select.group == "line-3");
  CHECK_FALSE(d.window.always);
  CHECK(d.window.duration == std::chrono::hours(3));
  CHECK(d.window.tz == "Europe/Berlin");
  CHECK(d.rate.bytes_per_s == 2 * 1024 * 1024);
  CHECK(d.rate.max_concurrent == 20);
  REQUIRE(d.stages.size() == 2);
  CHECK(d.stages[0].percent == 5);
  CHECK(d.stages[1].gate == 0.95);
  CHECK(d.abort.failure_ratio == 0.10);
  CHECK(d.abort.min_devices == 10);
  CHECK(plan->referenced_targets() ==
        std::vector<std::string>{"fw/sensor-v2.0.bin", "fw/sensor-v2.1.bin"});
}

TEST_CASE("a minimal plan gets the documented defaults") {
  auto plan = parse_sync_plan(R"({"site": "s", "version": 1,
      "deployments": [{"id": "d", "target": "fw/a.bin"}]})");
  REQUIRE(plan.ok());
  CHECK(plan->prefetch.empty());
  const Deployment& d = plan->deployments[0];
  CHECK(d.window.always);
  CHECK(d.rate.bytes_per_s == 0);
  CHECK(d.rate.max_concurrent == 0);
  REQUIRE(d.stages.size() == 1);
  CHECK(d.stages[0].percent == 100);
  CHECK(d.abort.failure_ratio == 1.0);
  CHECK(d.rollback.empty());
  CHECK(d.action == PlanAction::install);
  CHECK(d.priority == PlanPriority::normal);
}

TEST_CASE("bad plan fields are refused with the field named") {
  auto msg = [](const char* text) {
    auto p = parse_sync_plan(text);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().code == Errc::invalid_argument);
    return p.error().message;
  };
  CHECK_THAT(msg(R"({"version": 1})"), Catch::Contains("\"site\""));
  CHECK_THAT(msg(R"({"site": "s", "version": 0})"), Catch::Contains("\"version\""));
  CHECK_THAT(msg(R"({"site": "s", "version": 1, "prefetch": ["../etc/passwd"]})"),
             Catch::Contains("prefetch[0]"));
  CHECK_THAT(msg(R"({"site": "s", "version": 1, "deployments": [{"id": "d",
      "target": "a", "action": "reboot"}]})"),
             Catch::Contains("deployments[0].action"));
  CHECK_THAT(msg(R"({"site": "s", "version": 1, "deployments": [{"id": "d",
      "target": "a", "stages": [{"percent": 50}, {"percent": 20}]}]})"),
             Catch::Contains("stages[1].percent"));
  CHECK_THAT(msg(R"({"site": "s", "version": 1, "deployments": [{"id": "d",
      "target": "a", "window": {"cron": "0 2 * *", "duration": "1h"}}]})"),
             Catch::Contains("window.cron"));
  CHECK_THAT(msg(R"({"site": "s", "version": 1, "deployments": [{"id": "d", "target": "a"},
      {"id": "d", "target": "b"}]})"),
             Catch::Contains("used by two deployments"));
}

TEST_CASE("a plan whose version goes backwards is a rollback") {
  auto v3 = parse_sync_plan(R"({"site": "s", "version": 3})");
  auto v2 = parse_sync_plan(R"({"site": "s", "version": 2})");
  auto v4 = parse_sync_plan(R"({"site": "s", "version": 4})");
  REQUIRE((v3.ok() && v2.ok() && v4.ok()));
  auto back = check_plan_succession(*v3, *v2);
  REQUIRE_FALSE(back.ok());
  CHECK(back.error().detail == "rollback");
  CHECK(*check_plan_succession(*v3, *v4) == true);
  CHECK(*check_plan_succession(*v3, *v3) == false);
}
