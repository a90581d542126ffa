#include "cache/chunk_checksum.h"

#include <xxhash.h>

namespace fleetgate::cache {
namespace {

using ChecksumFn = uint64_t (*)(const uint8_t*, size_t);

uint64_t checksum_portable(const uint8_t* data, size_t size) { return XXH3_64bits(data, size); }

ChecksumFn pick() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? chunk_checksum_avx2 : checksum_portable;
}

}  // namespace

uint64_t chunk_checksum(const uint8_t* data, size_t size) {
  static const ChecksumFn fn = pick();
  return fn(data, size);
}

}  // namespace fleetgate::cache
