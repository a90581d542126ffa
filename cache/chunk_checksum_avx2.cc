// Compiled with -mavx2 (cache/CMakeLists.txt): xxHash inlined with its AVX2 kernel.
#include "cache/chunk_checksum.h"

#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>

namespace fleetgate::cache {

uint64_t chunk_checksum_avx2(const uint8_t* data, size_t size) { return XXH3_64bits(data, size); }

}  // namespace fleetgate::cache
