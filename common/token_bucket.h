// A token bucket for byte rates (the WAN rate, device rates): tokens are bytes, refilled
// at `rate` per second up to `burst`. Time is passed in (from a Clock), never read here,
// so tests drive it with a ManualClock. A rate of 0 means unlimited.
#pragma once

#include <chrono>
#include <cstdint>

namespace fleetgate {

class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Starts full. `burst` 0 means one second's worth of `rate`.
  TokenBucket(uint64_t rate, uint64_t burst, TimePoint now);

  bool unlimited() const { return rate_ == 0; }
  uint64_t rate() const { return rate_; }
  // Takes up to `want` bytes; returns how many were granted (possibly 0).
  uint64_t take(uint64_t want, TimePoint now);
  // How long until `bytes` (capped at the burst) can be taken; zero if now.
  std::chrono::nanoseconds wait_for(uint64_t bytes, TimePoint now);
  // Changes the rate (e.g. a reloaded configuration), keeping the tokens held.
  void set_rate(uint64_t rate, uint64_t burst, TimePoint now);

 private:
  void refill(TimePoint now);

  uint64_t rate_;
  uint64_t burst_;
  double tokens_;
  TimePoint last_;
};

}  // namespace fleetgate
