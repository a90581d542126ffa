// Timeouts and the minimum-throughput watchdog: a stalled or crawling origin is
// abandoned within its timeout, so the transfer can be resumed later.
#include <chrono>

#include "tests/unit/northbound/https_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;
using namespace std::chrono_literals;

namespace {

struct Proxied {
  OriginSite site;
  std::unique_ptr<FaultProxy> proxy;
  Proxied() {
    auto upstream = SocketAddress::parse(site.nginx->address());
    REQUIRE(upstream.ok());
    auto p = FaultProxy::start(*upstream);
    REQUIRE(p.ok());
    proxy = std::move(p).value();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(proxy->port()) + "/"; }
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE("an origin that accepts and sends nothing hits the header timeout", "[https_origin][watchdog]") {
  Proxied p;
  p.site.put("timestamp.json", "{}");
  FaultPlan plan;
  plan.stall = true;
  p.proxy->set_plan(plan);
  auto o = quick_options();
  o.http.header_timeout = 300ms;
  o.max_attempts = 1;
  auto origin = open(p.url(), o);
  const auto start = std::chrono::steady_clock::now();
  Status s;
  fetch_string(*origin, "timestamp.json", 0, 100, &s);
  REQUIRE(!s.ok());
  CHECK(s.error().code == Errc::timeout);
  CHECK(s.error().detail == "header_timeout");
  CHECK(seconds_since(start) < 2.0);
}

TEST_CASE("a body that stops mid-way hits the idle timeout", "[https_origin][watchdog]") {
  Proxied p;
  auto sha = write_test_file(p.site.www + "/targets/t.bin", 1 << 20, 3);
  REQUIRE(sha.ok());
  FaultPlan plan;
  plan.stall = true;
  plan.stall_after = 100 * 1024;
  p.proxy->set_plan(plan);
  auto o = quick_options();
  o.http.idle_timeout = 300ms;
  o.max_attempts = 1;
  o.max_resumes = 0;  // report the first abandonment instead of resuming
  auto origin = open(p.url(), o);
  const auto start = std::chrono::steady_clock::now();
  Status s;
  std::string got = fetch_string(*origin, "targets/t.bin", 0, 1 << 20, &s);
  REQUIRE(!s.ok());
  CHECK(s.error().detail == "idle_timeout");
  CHECK(got.size() < 100 * 1024);
  CHECK(seconds_since(start) < 2.0);
}

TEST_CASE("a crawling transfer is abandoned by the watchdog", "[https_origin][watchdog]") {
  Proxied p;
  auto sha = write_test_file(p.site.www + "/targets/t.bin", 1 << 20, 4);
  REQUIRE(sha.ok());
  FaultPlan plan;
  plan.bytes_per_s = 20 * 1024;  // a trickle: never idle, far too slow
  p.proxy->set_plan(plan);
  auto o = quick_options();
  o.http.min_bytes_per_s = 200 * 1024;
  o.http.watchdog_window = 300ms;
  o.max_resumes = 0;
  o.max_attempts = 1;
  auto origin = open(p.url(), o);
  const auto start = std::chrono::steady_clock::now();
  Status s;
  fetch_string(*origin, "targets/t.bin", 0, 1 << 20, &s);
  REQUIRE(!s.ok());
  CHECK(s.error().code == Errc::timeout);
  CHECK(s.error().detail == "slow_transfer");
  CHECK(seconds_since(start) < 2.0);
}

TEST_CASE("a stalled transfer resumes on a new connection and completes", "[https_origin][watchdog]") {
  Proxied p;
  constexpr uint64_t kSize = 2 << 20;
  auto sha = write_test_file(p.site.www + "/targets/t.bin", kSize, 5);
  REQUIRE(sha.ok());
  FaultPlan plan;
  plan.stall = true;
  plan.stall_after = 512 * 1024;
  plan.only_next = 1;  // the first connection stalls, the resumed one flows
  p.proxy->set_plan(plan);
  auto o = quick_options();
  o.http.idle_timeout = 200ms;
  auto origin = open(p.url(), o);
  CacheSite cache;
  Status s = cache.ingest(*origin, "targets/t.bin", *sha, kSize);
  INFO(std::string(s.ok() ? "" : s.error().to_string()));
  CHECK(s.ok());
  CHECK(origin->counters().resumes == 1);
  CHECK(p.proxy->bytes_to_client() < kSize + kSize / 10);
}
