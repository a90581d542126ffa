#include <catch2/catch.hpp>

#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

using testing::digest_of;
using testing::random_bytes;
using testing::StoreFixture;

TEST_CASE("ingest: bytes become visible only after finish", "[cache][ingest]") {
  StoreFixture f;
  auto bytes = random_bytes(3 * kChunkSize + 12345, 1);
  Sha256Digest sha = digest_of(bytes);
  auto ing = f.store->begin_ingest(sha, bytes.size(), "fw/a.bin");
  REQUIRE(ing.ok());
  CHECK((*ing)->offset() == 0);
  REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).first(kChunkSize + 10)).ok());
  CHECK((*ing)->offset() == kChunkSize + 10);
  CHECK((*ing)->durable() == kChunkSize);
  REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).subspan(kChunkSize + 10)).ok());

  auto before = f.store->open_read(sha);
  REQUIRE_FALSE(before.ok());
  CHECK(before.error().code == Errc::not_found);
  auto st = f.store->stat(sha);
  REQUIRE(st.ok());
  CHECK(st->state == ArtifactState::ingesting);
  CHECK(st->committed == 3 * kChunkSize);

  auto info = (*ing)->finish();
  REQUIRE(info.ok());
  CHECK(info->state == ArtifactState::ready);
  CHECK(info->length == bytes.size());
  CHECK(info->visible_since == unix_seconds(f.clock.now()));
  CHECK(info->names == std::vector<std::string>{"fw/a.bin"});
  auto back = f.get(sha);
  REQUIRE(back.ok());
  CHECK(*back == bytes);
}

TEST_CASE("ingest: an artifact of exactly whole chunks and an empty one", "[cache][ingest]") {
  StoreFixture f;
  auto whole = random_bytes(2 * kChunkSize, 2);
  REQUIRE(f.put(whole).ok());
  CHECK(*f.get(digest_of(whole)) == whole);
  std::vector<uint8_t> empty;
  REQUIRE(f.put(empty).ok());
  CHECK(f.get(digest_of(empty))->empty());
}

TEST_CASE("ingest: the same artifact twice is already_exists", "[cache][ingest]") {
  StoreFixture f;
  auto bytes = random_bytes(1000, 3);
  REQUIRE(f.put(bytes).ok());
  auto again = f.store->begin_ingest(digest_of(bytes), bytes.size(), "");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errc::already_exists);
}

TEST_CASE("ingest: a second concurrent ingest of one artifact is busy", "[cache][ingest]") {
  StoreFixture f;
  auto bytes = random_bytes(1000, 4);
  auto first = f.store->begin_ingest(digest_of(bytes), bytes.size(), "");
  REQUIRE(first.ok());
  auto second = f.store->begin_ingest(digest_of(bytes), bytes.size(), "");
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == Errc::busy);
}

TEST_CASE("ingest: abort leaves nothing behind", "[cache][ingest]") {
  StoreFixture f;
  auto bytes = random_bytes(2 * kChunkSize + 5, 5);
  auto ing = f.store->begin_ingest(digest_of(bytes), bytes.size(), "");
  REQUIRE(ing.ok());
  REQUIRE((*ing)->append(bytes).ok());
  (*ing)->abort();
  CHECK(f.store->stat(digest_of(bytes)).error().code == Errc::not_found);
  CHECK(f.store->list()->empty());
  CHECK(f.store->stats()->reserved_bytes == 0);
}

TEST_CASE("ingest: one byte past the declared length fails and leaves nothing",
          "[cache][ingest][integrity]") {
  StoreFixture f;
  auto bytes = random_bytes(kChunkSize + 100, 6);
  Sha256Digest sha = digest_of(bytes);
  auto ing = f.store->begin_ingest(sha, bytes.size() - 1, "");
  REQUIRE(ing.ok());
  REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).first(bytes.size() - 1)).ok());
  Status s = (*ing)->append(std::span<const uint8_t>(bytes).last(1));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errc::verification);
  CHECK(s.error().detail == "length_exceeded");
  CHECK((*ing)->finish().error().detail == "length_exceeded");
  CHECK(f.store->stat(sha).error().code == Errc::not_found);
  CHECK(f.store->list()->empty());
}

TEST_CASE("ingest: a SHA-256 mismatch at finish discards everything",
          "[cache][ingest][integrity]") {
  StoreFixture f;
  auto bytes = random_bytes(2 * kChunkSize + 7, 7);
  Sha256Digest wrong = digest_of(random_bytes(10, 8));
  auto ing = f.store->begin_ingest(wrong, bytes.size(), "");
  REQUIRE(ing.ok());
  REQUIRE((*ing)->append(bytes).ok());
  auto r = (*ing)->finish();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::verification);
  CHECK(r.error().detail == "hash_mismatch");
  CHECK(f.store->stat(wrong).error().code == Errc::not_found);
  CHECK(f.store->open_read(wrong).error().code == Errc::not_found);
  CHECK(f.store->list()->empty());
}

TEST_CASE("ingest: finish before all bytes arrived is refused and resumable", "[cache][ingest]") {
  StoreFixture f;
  auto bytes = random_bytes(1000, 9);
  auto ing = f.store->begin_ingest(digest_of(bytes), bytes.size(), "");
  REQUIRE(ing.ok());
  REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).first(600)).ok());
  auto early = (*ing)->finish();
  REQUIRE_FALSE(early.ok());
  CHECK(early.error().detail == "length_short");
  REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).subspan(600)).ok());
  REQUIRE((*ing)->finish().ok());
  CHECK(*f.get(digest_of(bytes)) == bytes);
}

TEST_CASE("ingest: list and stat describe artifacts with names", "[cache][ingest]") {
  StoreFixture f;
  auto a = random_bytes(500, 10);
  auto b = random_bytes(kChunkSize + 1, 11);
  REQUIRE(f.put(a, "a.bin").ok());
  REQUIRE(f.put(b, "b.bin").ok());
  REQUIRE(f.store->add_name(digest_of(a), "alias/a.bin").ok());
  REQUIRE(f.store->add_name(digest_of(a), "a.bin").ok());  // no duplicate
  auto all = f.store->list();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  auto st = f.store->stat(digest_of(a));
  REQUIRE(st.ok());
  CHECK(st->names == std::vector<std::string>{"a.bin", "alias/a.bin"});
  auto stats = f.store->stats();
  REQUIRE(stats.ok());
  CHECK(stats->artifacts == 2);
  CHECK(stats->ready_bytes == a.size() + b.size());
}

}  // namespace
}  // namespace fleetgate::cache
