// Time is injected: only gateway/ constructs a RealClock; tests drive a ManualClock.
#pragma once

#include <chrono>
#include <cstdint>

namespace fleetgate {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC), for expiry checks, windows and HTTP dates.
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time, for timeouts, rates and backoff.
  virtual std::chrono::steady_clock::time_point monotonic() const = 0;
};

class RealClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};

// A clock that moves only when told to. Both readings advance together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start =
                           std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)))
      : wall_(start) {}

  std::chrono::system_clock::time_point now() const override { return wall_; }
  std::chrono::steady_clock::time_point monotonic() const override { return mono_; }

  void advance(std::chrono::nanoseconds d) {
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    mono_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
  }
  void set_wall(std::chrono::system_clock::time_point t) { wall_ = t; }

 private:
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point mono_{};
};

inline int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace fleetgate
