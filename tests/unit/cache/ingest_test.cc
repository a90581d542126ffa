#include <catch2/catch.hpp>

#include "tests/support/poll.h"
#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

using testing::digest_of;
using fleetgate::testing::poll_until;
using testing::random_bytes;
using testing::StoreFixture;

TEST_CASE("ingest: a batch commits in the background while the next one fills",
          "[cache][ingest]") {
  StoreFixture f;
  f.options.overlap_commits = true;
  f.reopen();
  auto bytes = random_bytes(5 * kChunkSize, 7);
  Sha256Digest sha = digest_of(bytes);
  auto ing = f.store->begin_ingest(sha, bytes.size(), "fw/bg.bin");
  REQUIRE(ing.ok());
  // Four one-chunk batches leave; the fifth ends the artifact and waits for finish().
  REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).first(4 * kChunkSize + 7)).ok());
  CHECK((*ing)->offset() == 4 * kChunkSize + 7);
  // Each batch waits for the one before it, so at most the last is still on its way.
  CHECK((*ing)->durable() >= 3 * kChunkSize);
  CHECK(poll_until([&] { return (*ing)->durable() == 4 * kChunkSize; },
                   std::chrono::seconds(10)));
  CHECK(f.store->stat(sha)->committed == 4 * kChunkSize);
  REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).subspan(4 * kChunkSize + 7)).ok());
  REQUIRE((*ing)->finish().ok());
  CHECK((*ing)->durable() == bytes.size());
  CHECK(*f.get(sha) == bytes);

  // Dropping an ingest with a batch on its way waits for it: what it committed resumes.
  auto other = random_bytes(4 * kChunkSize, 8);
  Sha256Digest other_sha = digest_of(other);
  auto dropped = f.store->begin_ingest(other_sha, other.size(), "fw/dropped.bin");
  REQUIRE(dropped.ok());
  REQUIRE((*dropped)->append(std::span<const uint8_t>(other).first(2 * kChunkSize)).ok());
  dropped.value().reset();
  auto resumed = f.store->begin_ingest(other_sha, other.size(), "fw/dropped.bin");
  REQUIRE(resumed.ok());
  CHECK((*resumed)->offset() == 2 * kChunkSize);

  // Aborting with a batch on its way leaves nothing.
  REQUIRE((*resumed)->append(std::span<const uint8_t>(other).subspan(2 * kChunkSize, kChunkSize))
              .ok());
  (*resumed)->abort();
  CHECK(f.store->stat(other_sha).error().code == Errc::not_found);
}

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
