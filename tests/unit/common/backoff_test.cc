#include "common/backoff.h"

#include <catch2/catch.hpp>

using fleetgate::Backoff;
using std::chrono::milliseconds;

TEST_CASE("backoff ceilings double from base up to the cap", "[backoff]") {
  Backoff b(milliseconds(100), milliseconds(1000), 1);
  std::vector<int64_t> ceilings;
  for (int i = 0; i < 6; ++i) {
    ceilings.push_back(b.ceiling().count());
    auto d = b.next();
    CHECK(d.count() >= 0);
    CHECK(d.count() <= ceilings.back());
  }
  CHECK(ceilings == std::vector<int64_t>{100, 200, 400, 800, 1000, 1000});
}

TEST_CASE("backoff with the same seed repeats, another seed differs", "[backoff]") {
  Backoff a(milliseconds(50), milliseconds(60000), 42), b(milliseconds(50), milliseconds(60000), 42),
      c(milliseconds(50), milliseconds(60000), 43);
  std::vector<int64_t> sa, sb, sc;
  for (int i = 0; i < 20; ++i) {
    sa.push_back(a.next().count());
    sb.push_back(b.next().count());
    sc.push_back(c.next().count());
  }
  CHECK(sa == sb);
  CHECK(sa != sc);
}

TEST_CASE("backoff jitter spreads over the whole range", "[backoff]") {
  // Full jitter: draws at the cap land both in the lower and the upper half.
  Backoff b(milliseconds(1000), milliseconds(1000), 7);
  int low = 0, high = 0;
  for (int i = 0; i < 200; ++i) (b.next().count() < 500 ? low : high)++;
  CHECK(low > 50);
  CHECK(high > 50);
}

TEST_CASE("backoff reset starts again from base", "[backoff]") {
  Backoff b(milliseconds(10), milliseconds(10000), 3);
  for (int i = 0; i < 10; ++i) (void)b.next();
  CHECK(b.ceiling().count() == 10000);
  CHECK(b.attempts() == 10);
  b.reset();
  CHECK(b.ceiling().count() == 10);
  CHECK(b.next().count() <= 10);
}

TEST_CASE("backoff never overflows after many attempts", "[backoff]") {
  Backoff b(milliseconds(1), milliseconds(30000), 9);
  for (int i = 0; i < 500; ++i) CHECK(b.next().count() <= 30000);
  CHECK(b.ceiling().count() == 30000);
}
