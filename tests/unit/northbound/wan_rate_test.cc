// The WAN byte rate: a token bucket paces reads from the origin.
#include <chrono>

#include "tests/unit/northbound/https_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;

TEST_CASE("the WAN rate paces a download, and without it the same download is fast",
          "[https_origin][wan_rate]") {
  OriginSite site;
  constexpr uint64_t kSize = 2 << 20;
  auto sha = write_test_file(site.www + "/targets/t.bin", kSize, 21);
  REQUIRE(sha.ok());
  auto timed = [&](uint64_t rate) {
    auto o = quick_options();
    o.wan_rate = rate;
    auto origin = open(site.nginx->url(), o);
    const auto start = std::chrono::steady_clock::now();
    Status s;
    std::string body = fetch_string(*origin, "targets/t.bin", 0, kSize, &s);
    REQUIRE(s.ok());
    REQUIRE(body.size() == kSize);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  // 4 MiB/s with a 1 MiB burst: at least (2 MiB - 1 MiB) / 4 MiB/s = 0.25 s, less the one
  // read (up to 64 KiB) that may overdraw the bucket before reading pauses: > 0.23 s.
  const double limited = timed(4 << 20);
  CHECK(limited >= 0.2);
  CHECK(limited < 5.0);
  const double unlimited = timed(0);
  CHECK(unlimited < limited);
}
