// Test seam: damage stored bytes the way bit rot would, bypassing the write path.
// Only tests and `fleetgate cache` fault drills call this.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cache/store.h"

namespace fleetgate::cache {

// Flips one bit of byte `offset_in_chunk` of chunk `chunk_index` of an artifact,
// keeping the stored XXH3, so the next read or verify of that chunk must fail.
Status corrupt_chunk_for_test(Store& store, const Sha256Digest& sha256, uint64_t chunk_index,
                              size_t offset_in_chunk);

// How many chunks are stored under an artifact's digest, whatever its record says:
// lets crash tests prove that nothing is left behind.
Result<uint64_t> stored_chunks_for_test(Store& store, const Sha256Digest& sha256);

}  // namespace fleetgate::cache
