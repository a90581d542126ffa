// The HTTP origin through the fault-injecting proxy: a link cut every 4 MiB, a flipped
// byte, refused connections.
#include "tests/unit/northbound/https_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;

namespace {

std::unique_ptr<FaultProxy> proxy_to(const NginxOrigin& nginx) {
  auto upstream = SocketAddress::parse(nginx.address());
  REQUIRE(upstream.ok());
  auto proxy = FaultProxy::start(*upstream);
  REQUIRE(proxy.ok());
  return std::move(proxy).value();
}

std::string via(const FaultProxy& proxy) {
  return "http://127.0.0.1:" + std::to_string(proxy.port()) + "/";
}

}  // namespace

TEST_CASE("a 64 MiB target over a link cut every 4 MiB completes with at most 1.10x bytes",
          "[https_origin][fault]") {
  constexpr uint64_t kSize = 64ull << 20;
  OriginSite site;
  auto sha = write_test_file(site.www + "/targets/big.bin", kSize, 64);
  REQUIRE(sha.ok());
  auto proxy = proxy_to(*site.nginx);
  FaultPlan plan;
  plan.cut_after = 4ull << 20;
  proxy->set_plan(plan);

  CacheSite cache;
  auto origin = open(via(*proxy), quick_options());
  Status s = cache.ingest(*origin, "targets/big.bin", *sha, kSize);
  INFO(std::string(s.ok() ? "" : s.error().to_string()));
  REQUIRE(s.ok());
  CHECK(proxy->connections() >= 16);
  CHECK(origin->counters().resumes >= 15);
  CHECK(static_cast<double>(proxy->bytes_to_client()) <= 1.10 * static_cast<double>(kSize));
  auto info = cache.store->stat(*Sha256Digest::from_hex(*sha));
  REQUIRE(info.ok());
  CHECK(info->state == cache::ArtifactState::ready);
}

TEST_CASE("a flipped byte is detected, never visible, and the refetch verifies",
          "[https_origin][fault]") {
  constexpr uint64_t kSize = 3ull << 20;
  OriginSite site;
  auto sha = write_test_file(site.www + "/targets/fw.bin", kSize, 7);
  REQUIRE(sha.ok());
  auto proxy = proxy_to(*site.nginx);
  FaultPlan plan;
  plan.flip_at = 1 << 20;  // inside the body of the first answer
  proxy->set_plan(plan);

  CacheSite cache;
  auto origin = open(via(*proxy), quick_options());
  Status first = cache.ingest(*origin, "targets/fw.bin", *sha, kSize);
  CHECK(proxy->flips() == 1);
  REQUIRE(!first.ok());
  CHECK(first.error().detail == "hash_mismatch");
  // Nothing corrupted is visible.
  const Sha256Digest digest = *Sha256Digest::from_hex(*sha);
  CHECK(!cache.store->open_read(digest).ok());

  Status second = cache.ingest(*origin, "targets/fw.bin", *sha, kSize);
  INFO(std::string(second.ok() ? "" : second.error().to_string()));
  REQUIRE(second.ok());
  auto reader = cache.store->open_read(digest);
  REQUIRE(reader.ok());
  CHECK((*reader)->info().length == kSize);
}

TEST_CASE("refused connections fail after the retry budget with a network error",
          "[https_origin][fault]") {
  OriginSite site;
  site.put("timestamp.json", "{}");
  auto proxy = proxy_to(*site.nginx);
  FaultPlan plan;
  plan.refuse = true;
  proxy->set_plan(plan);
  auto o = quick_options();
  o.max_attempts = 3;
  auto origin = open(via(*proxy), o);
  Status s;
  fetch_string(*origin, "timestamp.json", 0, 100, &s);
  REQUIRE(!s.ok());
  CHECK(s.error().code == Errc::network);
  CHECK(proxy->connections() == 3);
  // The link comes back: the same origin object works again.
  proxy->set_plan({});
  CHECK(fetch_string(*origin, "timestamp.json", 0, 100, &s) == "{}");
  CHECK(s.ok());
}
