#include <catch2/catch.hpp>

#include "common/clock.h"
#include "northbound/nudge.h"
#include "northbound/sync_engine.h"

using namespace fleetgate;
using namespace fleetgate::northbound;

namespace {
http::Message post(std::string target, std::string auth = "") {
  http::Message m;
  m.method = "POST";
  m.target = std::move(target);
  if (!auth.empty()) m.headers.push_back({"authorization", std::move(auth)});
  return m;
}
}  // namespace

TEST_CASE("a nudge with the right bearer token makes a sync cycle due", "[sync_engine][nudge]") {
  ManualClock clock;
  SyncSchedule schedule(clock, SyncPolicy{});
  schedule.cycle_finished(ok_status());
  REQUIRE_FALSE(schedule.due());
  auto nudge = NudgeEndpoint::create("s3cret-token", false, [&] { schedule.nudge(); });
  REQUIRE(nudge.ok());
  CHECK(nudge->handle(post("/v1/sync/nudge", "Bearer s3cret-token"), false).status == 202);
  CHECK(schedule.due());
  CHECK(nudge->accepted() == 1);
}

TEST_CASE("a nudge without or with a wrong token is refused", "[sync_engine][nudge]") {
  int nudged = 0;
  auto nudge = NudgeEndpoint::create("s3cret-token", false, [&] { ++nudged; });
  REQUIRE(nudge.ok());
  auto none = nudge->handle(post("/v1/sync/nudge"), false);
  CHECK(none.status == 401);
  CHECK(none.www_authenticate.find("Bearer") == 0);
  auto wrong = nudge->handle(post("/v1/sync/nudge", "Bearer s3cret-tokem"), false);
  CHECK(wrong.status == 401);
  CHECK(wrong.www_authenticate.find("error=\"invalid_token\"") != std::string::npos);
  CHECK(nudge->handle(post("/v1/sync/nudge", "Basic czNjcmV0"), false).status == 401);
  // A client certificate does not count when mTLS is not enabled for the endpoint.
  CHECK(nudge->handle(post("/v1/sync/nudge"), true).status == 401);
  http::Message get = post("/v1/sync/nudge", "Bearer s3cret-token");
  get.method = "GET";
  CHECK(nudge->handle(get, false).status == 405);
  CHECK(nudge->handle(post("/v1/other", "Bearer s3cret-token"), false).status == 404);
  CHECK(nudged == 0);
}

TEST_CASE("a nudge over mTLS needs a verified client certificate", "[sync_engine][nudge]") {
  int nudged = 0;
  auto nudge = NudgeEndpoint::create("", true, [&] { ++nudged; });
  REQUIRE(nudge.ok());
  CHECK(nudge->handle(post("/v1/sync/nudge"), false).status == 401);
  CHECK(nudge->handle(post("/v1/sync/nudge"), true).status == 202);
  CHECK(nudged == 1);
  CHECK(!NudgeEndpoint::create("", false, {}).ok());
}
