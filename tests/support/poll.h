// Waiting for a condition in a test: check it every few milliseconds until it holds or
// the deadline passes. The one polling loop of the test suite (never a fixed sleep).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace fleetgate::testing {

// True as soon as `done()` is; false if it is still false at the deadline.
inline bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds interval = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(interval);
  }
  return true;
}

}  // namespace fleetgate::testing
