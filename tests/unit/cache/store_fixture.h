// Shared set-up for cache tests: a store in a fresh temporary directory, a manual
// clock, deterministic pseudo-random artifact bytes.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cache/store.h"
#include "common/clock.h"
#include "common/digest.h"
#include "tests/support/temp_dir.h"

namespace fleetgate::cache::testing {

using fleetgate::testing::TempDir;

inline std::vector<uint8_t> random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> out(n);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<uint8_t>(rng());
  return out;
}

inline Sha256Digest digest_of(const std::vector<uint8_t>& bytes) {
  return Sha256::of(std::span<const uint8_t>(bytes));
}

struct StoreFixture {
  TempDir dir;
  ManualClock clock;
  std::unique_ptr<Store> store;

  explicit StoreFixture(uint64_t quota = 64ull << 20, uint64_t map_size = 0,
                        unsigned max_transfers = 8) {
    options.dir = dir.path() + "/cache";
    options.quota_bytes = quota;
    options.map_size = map_size;
    options.max_transfers = max_transfers;
    options.commit_bytes = kChunkSize;  // chunk-granular progress, which the tests observe
    options.overlap_commits = false;    // ... as soon as append() returns
    options.clock = &clock;
    reopen();
  }
  void reopen() {
    store.reset();
    auto r = open_lmdb_store(options);
    REQUIRE(r.ok());
    store = std::move(r).value();
  }
  // Ingests `bytes` in pieces of `piece` bytes and finishes.
  Result<ArtifactInfo> put(const std::vector<uint8_t>& bytes, std::string_view name = "",
                           size_t piece = 100'000) {
    auto ing = store->begin_ingest(digest_of(bytes), bytes.size(), name);
    if (!ing.ok()) return ing.take_error();
    for (size_t off = (*ing)->offset(); off < bytes.size(); off += piece) {
      size_t n = std::min(piece, bytes.size() - off);
      Status s = (*ing)->append(std::span<const uint8_t>(bytes.data() + off, n));
      if (!s.ok()) return s.take_error();
    }
    return (*ing)->finish();
  }
  // Reads a whole artifact through open_read, or the error.
  Result<std::vector<uint8_t>> get(const Sha256Digest& sha) {
    auto rd = store->open_read(sha);
    if (!rd.ok()) return rd.take_error();
    std::vector<uint8_t> out;
    Status st = (*rd)->read(0, (*rd)->info().length, [&](std::span<const uint8_t> s) {
      out.insert(out.end(), s.begin(), s.end());
      return true;
    });
    if (!st.ok()) return st.take_error();
    return out;
  }

  StoreOptions options;
};

}  // namespace fleetgate::cache::testing
