#include <catch2/catch.hpp>

#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

using testing::digest_of;
using testing::random_bytes;
using testing::StoreFixture;

TEST_CASE("read: a range across chunk boundaries comes back exactly", "[cache][read]") {
  StoreFixture f;
  auto bytes = random_bytes(4 * kChunkSize + 333, 30);
  REQUIRE(f.put(bytes).ok());
  auto rd = f.store->open_read(digest_of(bytes));
  REQUIRE(rd.ok());
  const uint64_t off = kChunkSize - 10;
  const uint64_t len = 2 * kChunkSize + 20;
  std::vector<uint8_t> got;
  int pieces = 0;
  REQUIRE((*rd)
              ->read(off, len,
                     [&](std::span<const uint8_t> s) {
                       got.insert(got.end(), s.begin(), s.end());
                       ++pieces;
                       return true;
                     })
              .ok());
  CHECK(pieces == 4);  // 10 bytes, a whole chunk, a chunk, then 10 bytes
  CHECK(std::equal(got.begin(), got.end(), bytes.begin() + off));
  CHECK(got.size() == len);

  // The tail of the last chunk.
  std::vector<uint8_t> tail;
  REQUIRE((*rd)
              ->read(bytes.size() - 5, 5,
                     [&](std::span<const uint8_t> s) {
                       tail.insert(tail.end(), s.begin(), s.end());
                       return true;
                     })
              .ok());
  CHECK(std::equal(tail.begin(), tail.end(), bytes.end() - 5));
}

TEST_CASE("read: spans point into the map, not into copies", "[cache][read]") {
  StoreFixture f;
  auto bytes = random_bytes(2 * kChunkSize, 31);
  REQUIRE(f.put(bytes).ok());
  auto rd = f.store->open_read(digest_of(bytes));
  REQUIRE(rd.ok());
  const uint8_t* first = nullptr;
  const uint8_t* second = nullptr;
  REQUIRE((*rd)
              ->read(100, 10,
                     [&](std::span<const uint8_t> s) {
                       first = s.data();
                       return true;
                     })
              .ok());
  REQUIRE((*rd)
              ->read(100, 10,
                     [&](std::span<const uint8_t> s) {
                       second = s.data();
                       return true;
                     })
              .ok());
  // Two reads of one range yield the very same address: the bytes are not copied.
  CHECK(first == second);
  CHECK(first != nullptr);
  CHECK(std::memcmp(first, bytes.data() + 100, 10) == 0);
}

TEST_CASE("read: the sink can stop early and out-of-range reads are refused", "[cache][read]") {
  StoreFixture f;
  auto bytes = random_bytes(3 * kChunkSize, 32);
  REQUIRE(f.put(bytes).ok());
  auto rd = f.store->open_read(digest_of(bytes));
  REQUIRE(rd.ok());
  int calls = 0;
  REQUIRE((*rd)
              ->read(0, bytes.size(),
                     [&](std::span<const uint8_t>) {
                       ++calls;
                       return false;
                     })
              .ok());
  CHECK(calls == 1);
  Status s = (*rd)->read(bytes.size() - 1, 2, [](std::span<const uint8_t>) { return true; });
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errc::invalid_argument);
}

TEST_CASE("read: a reader keeps its snapshot while the artifact is evicted", "[cache][read]") {
  StoreFixture f;
  auto bytes = random_bytes(kChunkSize + 1, 33);
  REQUIRE(f.put(bytes).ok());
  auto rd = f.store->open_read(digest_of(bytes));
  REQUIRE(rd.ok());
  REQUIRE(f.store->evict(digest_of(bytes)).ok());
  CHECK(f.store->open_read(digest_of(bytes)).error().code == Errc::not_found);
  std::vector<uint8_t> got;
  REQUIRE((*rd)
              ->read(0, bytes.size(),
                     [&](std::span<const uint8_t> s) {
                       got.insert(got.end(), s.begin(), s.end());
                       return true;
                     })
              .ok());
  CHECK(got == bytes);
}

TEST_CASE("read: transfers are capped at max_transfers", "[cache][read][concurrency]") {
  StoreFixture f(64ull << 20, 0, 2);
  auto bytes = random_bytes(100, 34);
  REQUIRE(f.put(bytes).ok());
  auto t1 = f.store->open_transfer(digest_of(bytes));
  auto t2 = f.store->open_transfer(digest_of(bytes));
  REQUIRE(t1.ok());
  REQUIRE(t2.ok());
  auto t3 = f.store->open_transfer(digest_of(bytes));
  REQUIRE_FALSE(t3.ok());
  CHECK(t3.error().code == Errc::busy);
  CHECK(f.store->stats()->open_transfers == 2);
  // Plain reads are not transfers and are not capped by it.
  CHECK(f.store->open_read(digest_of(bytes)).ok());
  t1.value().reset();
  CHECK(f.store->open_transfer(digest_of(bytes)).ok());
}

}  // namespace
}  // namespace fleetgate::cache
