#include "common/token_bucket.h"

#include <catch2/catch.hpp>

#include "common/clock.h"

using fleetgate::ManualClock;
using fleetgate::TokenBucket;
using namespace std::chrono_literals;

TEST_CASE("token bucket starts full and grants up to the burst", "[token_bucket]") {
  ManualClock clock;
  TokenBucket b(1000, 4000, clock.monotonic());
  CHECK(b.take(3000, clock.monotonic()) == 3000);
  CHECK(b.take(3000, clock.monotonic()) == 1000);
  CHECK(b.take(1, clock.monotonic()) == 0);
}

TEST_CASE("token bucket refills at the rate and never beyond the burst", "[token_bucket]") {
  ManualClock clock;
  TokenBucket b(1000, 2000, clock.monotonic());
  CHECK(b.take(2000, clock.monotonic()) == 2000);
  clock.advance(500ms);
  CHECK(b.take(10000, clock.monotonic()) == 500);
  clock.advance(1h);
  CHECK(b.take(10000, clock.monotonic()) == 2000);
}

TEST_CASE("token bucket says how long to wait", "[token_bucket]") {
  ManualClock clock;
  TokenBucket b(1000, 1000, clock.monotonic());
  CHECK(b.take(1000, clock.monotonic()) == 1000);
  CHECK(b.wait_for(250, clock.monotonic()) == 250ms);
  clock.advance(250ms);
  CHECK(b.wait_for(250, clock.monotonic()) == 0ns);
  // More than the burst waits only for a full bucket.
  CHECK(b.wait_for(1'000'000, clock.monotonic()) == 750ms);
}

TEST_CASE("token bucket over a long run averages the rate", "[token_bucket]") {
  ManualClock clock;
  TokenBucket b(64 * 1024, 16 * 1024, clock.monotonic());
  uint64_t total = 0;
  for (int i = 0; i < 1000; ++i) {  // 10 s in 10 ms steps, always asking for more
    clock.advance(10ms);
    total += b.take(1 << 20, clock.monotonic());
  }
  // 10 s at 64 KiB/s plus the initial burst.
  CHECK(total == Approx(10 * 64 * 1024 + 16 * 1024).epsilon(0.01));
}

TEST_CASE("token bucket with rate 0 is unlimited", "[token_bucket]") {
  ManualClock clock;
  TokenBucket b(0, 0, clock.monotonic());
  CHECK(b.unlimited());
  CHECK(b.take(1ull << 40, clock.monotonic()) == 1ull << 40);
  CHECK(b.wait_for(1ull << 40, clock.monotonic()) == 0ns);
}
