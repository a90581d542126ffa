#include <catch2/catch.hpp>

#include "cache/store_testing.h"
#include "common/log.h"
#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

using testing::digest_of;
using testing::random_bytes;
using testing::StoreFixture;

TEST_CASE("quarantine: a flipped byte fails the read and the artifact is never served again",
          "[cache][integrity]") {
  StoreFixture f;
  auto bytes = random_bytes(3 * kChunkSize + 10, 40);
  Sha256Digest sha = digest_of(bytes);
  REQUIRE(f.put(bytes, "fw.bin").ok());
  REQUIRE(corrupt_chunk_for_test(*f.store, sha, 2, 12345).ok());

  LogCapture log;
  auto rd = f.store->open_read(sha);
  REQUIRE(rd.ok());
  // Chunks before the damaged one are served; the damaged one never is.
  uint64_t served = 0;
  Status s = (*rd)->read(0, bytes.size(), [&](std::span<const uint8_t> span) {
    served += span.size();
    return true;
  });
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errc::corrupt);
  CHECK(served == 2 * kChunkSize);
  rd.value().reset();
  CHECK(log.contains({"level=warn", "quarantined", sha.hex(), "chunk 2"}));

  CHECK(f.store->stat(sha)->state == ArtifactState::quarantined);
  auto again = f.store->open_read(sha);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errc::not_found);
  CHECK(again.error().detail == "quarantined");
  auto stats = f.store->stats();
  CHECK(stats->quarantined == 1);
  CHECK(stats->checksum_failures == 1);

  // Survives a restart.
  f.reopen();
  CHECK(f.store->open_read(sha).error().code == Errc::not_found);
}

TEST_CASE("quarantine: re-ingesting the artifact makes it servable again", "[cache][integrity]") {
  StoreFixture f;
  auto bytes = random_bytes(2 * kChunkSize, 41);
  Sha256Digest sha = digest_of(bytes);
  REQUIRE(f.put(bytes, "fw.bin").ok());
  REQUIRE(f.store->pin(sha, "plan-1").ok());
  REQUIRE(corrupt_chunk_for_test(*f.store, sha, 0, 0).ok());
  CHECK(f.get(sha).error().code == Errc::corrupt);

  auto ing = f.store->begin_ingest(sha, bytes.size(), "");
  REQUIRE(ing.ok());
  CHECK((*ing)->offset() == 0);  // nothing of the damaged copy is reused
  REQUIRE((*ing)->append(bytes).ok());
  auto info = (*ing)->finish();
  REQUIRE(info.ok());
  CHECK(info->state == ArtifactState::ready);
  CHECK(info->pins == std::vector<std::string>{"plan-1"});
  CHECK(info->names == std::vector<std::string>{"fw.bin"});
  CHECK(*f.get(sha) == bytes);
}

TEST_CASE("verify: finds damage that no read touched yet, names it", "[cache][integrity]") {
  StoreFixture f;
  auto good = random_bytes(2 * kChunkSize + 1, 42);
  auto bad = random_bytes(2 * kChunkSize + 2, 43);
  REQUIRE(f.put(good).ok());
  REQUIRE(f.put(bad).ok());
  REQUIRE(corrupt_chunk_for_test(*f.store, digest_of(bad), 2, 1).ok());

  uint64_t last_done = 0, last_total = 0;
  auto failed = f.store->verify(std::nullopt, [&](uint64_t done, uint64_t total) {
    last_done = done;
    last_total = total;
  });
  REQUIRE(failed.ok());
  REQUIRE(failed->size() == 1);
  CHECK((*failed)[0] == digest_of(bad));
  CHECK(last_total == good.size() + bad.size());
  CHECK(f.store->stat(digest_of(bad))->state == ArtifactState::quarantined);
  CHECK(f.store->stat(digest_of(good))->state == ArtifactState::ready);

  auto only_good = f.store->verify(digest_of(good));
  REQUIRE(only_good.ok());
  CHECK(only_good->empty());
  // A quarantined artifact stays reported as failed.
  CHECK(f.store->verify(digest_of(bad))->size() == 1);
  CHECK(f.store->verify(digest_of(random_bytes(1, 44))).error().code == Errc::not_found);
}

}  // namespace
}  // namespace fleetgate::cache
