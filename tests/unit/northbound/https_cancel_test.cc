// HttpsOrigin::cancel() from another thread ends a slow transfer at once with
// Errc::cancelled (the daemon's SIGTERM path); later fetches are cancelled too.
#include <atomic>
#include <thread>

#include "tests/support/poll.h"
#include "tests/unit/northbound/https_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;

TEST_CASE("cancel from another thread ends a throttled fetch quickly", "[https_origin][cancel]") {
  constexpr uint64_t kSize = 16ull << 20;
  OriginSite site;
  REQUIRE(write_test_file(site.www + "/targets/big.bin", kSize, 3).ok());
  auto options = quick_options();
  options.wan_rate = 1 << 20;  // 16 s for the whole file
  auto origin = open(site.nginx->url(), options);

  std::atomic<uint64_t> got{0};
  std::atomic<bool> finished{false};
  Status outcome;
  std::thread worker([&] {
    outcome = origin->fetch("targets/big.bin", 0, kSize, [&](std::span<const uint8_t> p) {
      got += p.size();
      return ok_status();
    });
    finished = true;
  });
  REQUIRE(poll_until([&] { return got.load() > 0; }, std::chrono::seconds(10)));
  const auto t0 = std::chrono::steady_clock::now();
  origin->cancel();
  const bool ended = poll_until([&] { return finished.load(); }, std::chrono::seconds(5));
  const auto took = std::chrono::steady_clock::now() - t0;
  worker.join();
  REQUIRE(ended);
  CHECK(took < std::chrono::seconds(1));
  REQUIRE(!outcome.ok());
  CHECK(outcome.error().code == Errc::cancelled);
  CHECK(got.load() < kSize);

  Status later;
  fetch_string(*origin, "targets/big.bin", 0, kSize, &later);
  CHECK(!later.ok());
  CHECK(later.error().code == Errc::cancelled);
}
