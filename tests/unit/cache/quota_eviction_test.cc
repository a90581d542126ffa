#include <catch2/catch.hpp>

#include "cache/store_testing.h"
#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

using std::chrono::minutes;
using testing::digest_of;
using testing::random_bytes;
using testing::StoreFixture;

constexpr uint64_t kQuota = 4 * kChunkSize;  // 1 MiB

TEST_CASE("quota: an ingest that does not fit evicts the least recently served first",
          "[cache][quota]") {
  StoreFixture f(kQuota);
  auto a = random_bytes(kChunkSize + 100, 50);
  auto b = random_bytes(kChunkSize + 100, 51);
  auto c = random_bytes(kChunkSize + 100, 52);
  auto d = random_bytes(kChunkSize + 100, 53);
  REQUIRE(f.put(a).ok());
  REQUIRE(f.put(b).ok());
  REQUIRE(f.put(c).ok());
  f.clock.advance(minutes(5));
  REQUIRE(f.store->mark_served(digest_of(b)).ok());
  f.clock.advance(minutes(5));
  REQUIRE(f.store->mark_served(digest_of(a)).ok());
  // c was never served, b longer ago than a: c goes first, then b.
  REQUIRE(f.put(d).ok());
  CHECK(f.store->stat(digest_of(c)).error().code == Errc::not_found);
  CHECK(f.store->stat(digest_of(a)).ok());
  CHECK(f.store->stat(digest_of(b)).ok());
  CHECK(f.store->stats()->evicted == 1);

  // Only as much as needed goes: b makes room, a (served later) and d stay.
  auto e = random_bytes(2 * kChunkSize - 1000, 54);
  REQUIRE(f.put(e).ok());
  CHECK(f.store->stat(digest_of(b)).error().code == Errc::not_found);
  CHECK(*f.get(digest_of(a)) == a);
  CHECK(*f.get(digest_of(d)) == d);
  CHECK(*f.get(digest_of(e)) == e);
  CHECK(stored_chunks_for_test(*f.store, digest_of(b)).value() == 0);
  CHECK(f.store->stats()->reserved_bytes <= kQuota);
}

TEST_CASE("quota: pinned artifacts are kept and a full cache says so", "[cache][quota]") {
  StoreFixture f(kQuota);
  auto a = random_bytes(2 * kChunkSize, 55);
  auto b = random_bytes(kChunkSize + kChunkSize / 2, 56);
  REQUIRE(f.put(a).ok());
  REQUIRE(f.put(b).ok());
  REQUIRE(f.store->pin(digest_of(a), "plan-7").ok());
  REQUIRE(f.store->pin(digest_of(b), "plan-7").ok());
  REQUIRE(f.store->pin(digest_of(b), "plan-8").ok());

  auto c = random_bytes(kChunkSize, 57);
  auto r = f.put(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::space);
  CHECK(r.error().detail == "cache_full");
  CHECK_THAT(r.error().message, Catch::Contains("cache full"));
  // Nothing else broke: the pinned ones still serve, nothing of c is stored.
  CHECK(*f.get(digest_of(a)) == a);
  CHECK(*f.get(digest_of(b)) == b);
  CHECK(f.store->stat(digest_of(c)).error().code == Errc::not_found);
  CHECK(f.store->evict(digest_of(a)).error().code == Errc::busy);

  // Pins are per owner: b stays pinned by plan-8 after plan-7 lets go of everything.
  REQUIRE(f.store->unpin_all("plan-7").ok());
  CHECK(f.store->stat(digest_of(a))->pins.empty());
  CHECK(f.store->stat(digest_of(b))->pins == std::vector<std::string>{"plan-8"});
  REQUIRE(f.put(c).ok());
  CHECK(f.store->stat(digest_of(a)).error().code == Errc::not_found);
  CHECK(f.store->stat(digest_of(b)).ok());
  REQUIRE(f.store->unpin(digest_of(b), "plan-8").ok());
  CHECK(f.store->evict(digest_of(b)).ok());
}

TEST_CASE("quota: an artifact larger than the whole quota is refused up front", "[cache][quota]") {
  StoreFixture f(kQuota);
  auto r = f.store->begin_ingest(digest_of(random_bytes(1, 58)), kQuota + 1, "");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::space);
  CHECK(r.error().detail == "cache_full");
}

TEST_CASE("gc: drops quarantined artifacts and frees what is asked", "[cache][quota]") {
  StoreFixture f(kQuota);
  auto a = random_bytes(kChunkSize, 59);
  auto b = random_bytes(kChunkSize, 60);
  REQUIRE(f.put(a).ok());
  REQUIRE(f.put(b).ok());
  REQUIRE(corrupt_chunk_for_test(*f.store, digest_of(a), 0, 3).ok());
  REQUIRE(f.store->verify(std::nullopt)->size() == 1);
  auto freed = f.store->gc(0);
  REQUIRE(freed.ok());
  CHECK(*freed == kChunkSize);
  CHECK(f.store->stat(digest_of(a)).error().code == Errc::not_found);
  CHECK(f.store->stat(digest_of(b)).ok());
  // Asking for the whole quota evicts every unpinned artifact.
  CHECK(f.store->gc(kQuota).value() == kChunkSize);
  CHECK(f.store->list()->empty());
}

TEST_CASE("map full: a tiny LMDB map gives a space error, never a crash", "[cache][quota]") {
  // A quota far above what the 1 MiB map holds, so the map fills first.
  StoreFixture f(1ull << 30, 1ull << 20);
  // A batch committing in the background reports its failure at the next append or at
  // finish(); one committed inside append() reports it there.
  f.options.overlap_commits = GENERATE(false, true);
  f.reopen();
  auto big = random_bytes(8 * kChunkSize, 61);
  Sha256Digest sha = digest_of(big);
  auto ing = f.store->begin_ingest(sha, big.size(), "big");
  REQUIRE(ing.ok());
  Status s;
  for (size_t off = 0; off < big.size() && s.ok(); off += kChunkSize) {
    s = (*ing)->append(std::span<const uint8_t>(big).subspan(off, kChunkSize));
  }
  if (s.ok()) {
    auto finished = (*ing)->finish();
    REQUIRE_FALSE(finished.ok());
    s = finished.take_error();
  }
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errc::space);
  CHECK(s.error().detail == "MDB_MAP_FULL");
  CHECK((*ing)->finish().error().code == Errc::space);  // the ingest stays failed

  // What was committed is intact and resumable; the store keeps working.
  uint64_t committed = f.store->stat(sha)->committed;
  CHECK(committed < big.size());
  ing.value().reset();
  std::string huge(2u << 20, 'x');
  std::vector<KvWrite> w = {{Table::settings, "small", "1"}, {Table::settings, "huge", huge}};
  Status kv = f.store->kv_write(w);
  REQUIRE_FALSE(kv.ok());
  CHECK(kv.error().code == Errc::space);
  CHECK_FALSE(f.store->kv_get(Table::settings, "small")->has_value());

  // Freeing space makes room again.
  REQUIRE(f.store->evict(sha).ok());
  std::vector<KvWrite> small = {{Table::settings, "small", "1"}};
  REQUIRE(f.store->kv_write(small).ok());
  auto fits = random_bytes(kChunkSize, 62);
  REQUIRE(f.put(fits).ok());
  CHECK(*f.get(digest_of(fits)) == fits);
}

}  // namespace
}  // namespace fleetgate::cache
