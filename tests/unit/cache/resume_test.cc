#include <catch2/catch.hpp>

#include "cache/store_testing.h"
#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

using testing::digest_of;
using testing::random_bytes;
using testing::StoreFixture;

TEST_CASE("resume: an interrupted ingest continues from its last committed chunk",
          "[cache][resume]") {
  StoreFixture f;
  auto bytes = random_bytes(5 * kChunkSize + 999, 20);
  Sha256Digest sha = digest_of(bytes);
  {
    auto ing = f.store->begin_ingest(sha, bytes.size(), "fw.bin");
    REQUIRE(ing.ok());
    // 2.5 chunks: two are committed, the half chunk is lost with the process.
    REQUIRE((*ing)
                ->append(std::span<const uint8_t>(bytes).first(2 * kChunkSize + kChunkSize / 2))
                .ok());
  }
  f.reopen();
  auto st = f.store->stat(sha);
  REQUIRE(st.ok());
  CHECK(st->state == ArtifactState::ingesting);
  CHECK(st->committed == 2 * kChunkSize);
  CHECK(f.store->open_read(sha).error().code == Errc::not_found);

  auto ing = f.store->begin_ingest(sha, bytes.size(), "fw.bin");
  REQUIRE(ing.ok());
  CHECK((*ing)->offset() == 2 * kChunkSize);
  CHECK((*ing)->durable() == 2 * kChunkSize);
  REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).subspan((*ing)->offset())).ok());
  auto info = (*ing)->finish();
  REQUIRE(info.ok());
  CHECK(info->names == std::vector<std::string>{"fw.bin"});
  CHECK(*f.get(sha) == bytes);
}

TEST_CASE("resume: a damaged committed chunk is fetched again, not trusted",
          "[cache][resume][integrity]") {
  StoreFixture f;
  auto bytes = random_bytes(4 * kChunkSize + 1, 21);
  Sha256Digest sha = digest_of(bytes);
  {
    auto ing = f.store->begin_ingest(sha, bytes.size(), "");
    REQUIRE(ing.ok());
    REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).first(3 * kChunkSize)).ok());
  }
  REQUIRE(corrupt_chunk_for_test(*f.store, sha, 1, 77).ok());
  auto ing = f.store->begin_ingest(sha, bytes.size(), "");
  REQUIRE(ing.ok());
  CHECK((*ing)->offset() == kChunkSize);
  REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).subspan(kChunkSize)).ok());
  REQUIRE((*ing)->finish().ok());
  CHECK(*f.get(sha) == bytes);
}

TEST_CASE("resume: a different declared length starts over", "[cache][resume]") {
  StoreFixture f;
  auto bytes = random_bytes(3 * kChunkSize, 22);
  Sha256Digest sha = digest_of(bytes);
  {
    auto ing = f.store->begin_ingest(sha, bytes.size() + 5, "");
    REQUIRE(ing.ok());
    REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).first(2 * kChunkSize)).ok());
  }
  auto ing = f.store->begin_ingest(sha, bytes.size(), "");
  REQUIRE(ing.ok());
  CHECK((*ing)->offset() == 0);
}

}  // namespace
}  // namespace fleetgate::cache
