#include <xxhash.h>

#include <catch2/catch.hpp>

#include "cache/chunk_checksum.h"
#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

TEST_CASE("checksum: every build of XXH3 gives the stored values", "[cache][integrity]") {
  auto bytes = testing::random_bytes(kChunkSize + 3, 200);
  for (size_t n : {size_t{0}, size_t{1}, size_t{16}, size_t{240}, size_t{241}, size_t{4096},
                   size_t{kChunkSize}, size_t{kChunkSize + 3}}) {
    INFO("size " << n);
    CHECK(chunk_checksum(bytes.data(), n) == XXH3_64bits(bytes.data(), n));
    if (__builtin_cpu_supports("avx2")) {
      CHECK(chunk_checksum_avx2(bytes.data(), n) == XXH3_64bits(bytes.data(), n));
    }
  }
}

}  // namespace
}  // namespace fleetgate::cache
