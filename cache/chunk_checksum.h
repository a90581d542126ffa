// The at-rest checksum of one chunk: XXH3-64. Fast enough to check on every read; the
// AVX2 build of it is picked at run time where the CPU has it (same values either way).
#pragma once

#include <cstddef>
#include <cstdint>

namespace fleetgate::cache {

uint64_t chunk_checksum(const uint8_t* data, size_t size);

// Built with -mavx2 (chunk_checksum_avx2.cc); call only where the CPU supports AVX2.
uint64_t chunk_checksum_avx2(const uint8_t* data, size_t size);

}  // namespace fleetgate::cache
