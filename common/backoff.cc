#include "common/backoff.h"

#include <algorithm>

namespace fleetgate {

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, uint64_t seed)
    : base_(std::max(base, std::chrono::milliseconds(1))),
      cap_(std::max(cap, base_)),
      rng_(seed) {}

std::chrono::milliseconds Backoff::ceiling() const {
  // Doubling stops once the cap is reached, so the shift never overflows.
  int64_t ceil = base_.count();
  for (uint32_t i = 0; i < attempts_ && ceil < cap_.count(); ++i) ceil *= 2;
  return std::chrono::milliseconds(std::min(ceil, cap_.count()));
}

std::chrono::milliseconds Backoff::next() {
  const uint64_t ceil = static_cast<uint64_t>(ceiling().count());
  ++attempts_;
  // Modulo bias is negligible for 64-bit draws over millisecond ranges; a portable
  // formula keeps seeded sequences identical across standard libraries.
  return std::chrono::milliseconds(static_cast<int64_t>(rng_() % (ceil + 1)));
}

}  // namespace fleetgate
