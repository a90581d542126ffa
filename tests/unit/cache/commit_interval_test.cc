// A slow download becomes durable every StoreOptions::commit_interval, not only when a
// batch of commit_bytes is full: whole chunks go, a partial last chunk waits.
#include <catch2/catch.hpp>

#include "tests/support/poll.h"
#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

using namespace std::chrono_literals;
using testing::digest_of;
using testing::random_bytes;
using testing::StoreFixture;

std::span<const uint8_t> slice(const std::vector<uint8_t>& v, size_t from, size_t n) {
  return std::span<const uint8_t>(v).subspan(from, n);
}

TEST_CASE("a batch filling for commit_interval commits its whole chunks", "[cache]") {
  const bool overlap = GENERATE(false, true);
  INFO("overlap_commits " << overlap);
  StoreFixture f;
  f.options.commit_bytes = 8 * kChunkSize;
  f.options.commit_interval = 2s;
  f.options.overlap_commits = overlap;
  f.reopen();
  auto bytes = random_bytes(5 * kChunkSize + 999, 31);
  const Sha256Digest sha = digest_of(bytes);
  auto durable_is = [](Ingest& ing, uint64_t want) {
    return fleetgate::testing::poll_until([&] { return ing.durable() == want; }, 10s);
  };
  {
    auto ing = f.store->begin_ingest(sha, bytes.size(), "slow.bin");
    REQUIRE(ing.ok());
    Ingest& in = **ing;
    const size_t first = kChunkSize + kChunkSize / 2;
    REQUIRE(in.append(slice(bytes, 0, first)).ok());
    f.clock.advance(1999ms);
    REQUIRE(in.append(slice(bytes, first, 1)).ok());
    CHECK(in.durable() == 0);  // neither full nor due

    f.clock.advance(1ms);
    REQUIRE(in.append(slice(bytes, first + 1, 1)).ok());
    CHECK(durable_is(in, kChunkSize));  // the whole chunk went, the half one stayed
    CHECK(in.offset() == first + 2);

    // The next interval counts from that commit.
    const size_t upto = 3 * kChunkSize + 100;
    REQUIRE(in.append(slice(bytes, first + 2, upto - first - 2)).ok());
    f.clock.advance(1s);
    REQUIRE(in.append(slice(bytes, upto, 1)).ok());
    CHECK(durable_is(in, kChunkSize));
    f.clock.advance(1s);
    REQUIRE(in.append(slice(bytes, upto + 1, 1)).ok());
    CHECK(durable_is(in, 3 * kChunkSize));
    CHECK(in.offset() == upto + 2);
  }
  // As after a crash: the store resumes from what was committed on time.
  f.reopen();
  auto ing = f.store->begin_ingest(sha, bytes.size(), "slow.bin");
  REQUIRE(ing.ok());
  CHECK((*ing)->offset() == 3 * kChunkSize);
  REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).subspan((*ing)->offset())).ok());
  REQUIRE((*ing)->finish().ok());
  auto got = f.get(sha);
  REQUIRE(got.ok());
  CHECK(*got == bytes);
}

TEST_CASE("a batch with no whole chunk waits past commit_interval", "[cache]") {
  StoreFixture f;
  f.options.commit_bytes = 8 * kChunkSize;
  f.options.commit_interval = 2s;
  f.reopen();
  auto bytes = random_bytes(2 * kChunkSize, 32);
  auto ing = f.store->begin_ingest(digest_of(bytes), bytes.size(), "");
  REQUIRE(ing.ok());
  REQUIRE((*ing)->append(slice(bytes, 0, kChunkSize - 2)).ok());
  f.clock.advance(5s);
  REQUIRE((*ing)->append(slice(bytes, kChunkSize - 2, 1)).ok());
  CHECK((*ing)->durable() == 0);
  // The byte that completes the chunk finds the batch overdue: it goes at once.
  REQUIRE((*ing)->append(slice(bytes, kChunkSize - 1, 1)).ok());
  CHECK((*ing)->durable() == kChunkSize);
  REQUIRE((*ing)->append(slice(bytes, kChunkSize, kChunkSize)).ok());
  REQUIRE((*ing)->finish().ok());
  auto got = f.get(digest_of(bytes));
  REQUIRE(got.ok());
  CHECK(*got == bytes);
}

}  // namespace
}  // namespace fleetgate::cache
