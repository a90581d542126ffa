// Retry delays: capped exponential backoff with full jitter (delay = uniform random in
// [0, min(cap, base * 2^attempt)]). Full jitter spreads a fleet of gateways that lost the
// same origin at the same moment, so they do not return in lock-step. The generator is
// seeded by the caller: tests pass a fixed seed and get a repeatable sequence.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace fleetgate {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, uint64_t seed);

  // The delay before the next attempt; each call counts one more failed attempt.
  std::chrono::milliseconds next();
  // The upper bound next() draws from now (before jitter).
  std::chrono::milliseconds ceiling() const;
  // A success: the next failure starts again from `base`.
  void reset() { attempts_ = 0; }
  uint32_t attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds cap_;
  std::mt19937_64 rng_;
  uint32_t attempts_ = 0;
};

}  // namespace fleetgate
