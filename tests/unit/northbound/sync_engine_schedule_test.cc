#include <catch2/catch.hpp>

#include "common/clock.h"
#include "northbound/sync_engine.h"

using namespace fleetgate;
using namespace fleetgate::northbound;
using namespace std::chrono_literals;

namespace {
SyncPolicy policy() {
  SyncPolicy p;
  p.poll_interval = 60s;
  p.retry_base = 1s;
  p.retry_cap = 60s;
  p.seed = 5;
  return p;
}
}  // namespace

TEST_CASE("sync schedule polls at the interval after success", "[sync_engine]") {
  ManualClock clock;
  SyncSchedule s(clock, policy());
  CHECK(s.due());
  s.cycle_finished(ok_status());
  CHECK_FALSE(s.due());
  CHECK(s.until_next() == 60s);
  clock.advance(59s);
  CHECK_FALSE(s.due());
  clock.advance(1s);
  CHECK(s.due());
}

TEST_CASE("sync schedule backs off after failures, capped, and resets on success",
          "[sync_engine]") {
  ManualClock clock;
  SyncSchedule s(clock, policy());
  const Error down = make_error(Errc::network, "connect", "origin down");
  std::chrono::milliseconds longest{0};
  for (int i = 0; i < 12; ++i) {
    s.cycle_finished(down);
    auto wait = s.until_next();
    CHECK(wait >= 1s);
    CHECK(wait <= 60s);
    longest = std::max(longest, wait);
    clock.advance(wait);
    CHECK(s.due());
  }
  CHECK(longest > 5s);  // it grew beyond the base
  CHECK(s.failures_in_a_row() == 12);
  s.cycle_finished(ok_status());
  CHECK(s.failures_in_a_row() == 0);
  CHECK(s.until_next() == 60s);
}

TEST_CASE("a nudge makes a cycle due at once", "[sync_engine]") {
  ManualClock clock;
  SyncSchedule s(clock, policy());
  s.cycle_finished(make_error(Errc::network, "x", "down"));
  s.cycle_finished(make_error(Errc::network, "x", "down"));
  CHECK_FALSE(s.due());
  s.nudge();
  CHECK(s.due());
  CHECK(s.failures_in_a_row() == 0);
}

TEST_CASE("downloads wait for the window unless the plan is critical", "[sync_engine]") {
  // 2023-11-14 22:13:20 UTC is ManualClock's start; the window opens at 02:00 UTC.
  ManualClock clock;
  auto window = WindowSchedule::parse("0 2 * * *", std::chrono::hours(2), "UTC");
  REQUIRE(window.ok());
  SyncSchedule s(clock, policy(), *window);
  CHECK_FALSE(s.may_fetch(false));
  CHECK(s.may_fetch(true));
  const auto opens = s.fetch_allowed_from();
  CHECK(opens > clock.now());
  clock.set_wall(opens);
  CHECK(s.may_fetch(false));
  clock.set_wall(opens + std::chrono::hours(2));
  CHECK_FALSE(s.may_fetch(false));
}
