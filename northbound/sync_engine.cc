#include "northbound/sync_engine.h"

#include <algorithm>

namespace fleetgate::northbound {

SyncSchedule::SyncSchedule(const Clock& clock, SyncPolicy policy, WindowSchedule window)
    : clock_(clock),
      policy_(policy),
      window_(std::move(window)),
      backoff_(policy.retry_base, policy.retry_cap, policy.seed),
      next_run_(clock.monotonic()) {}

std::chrono::milliseconds SyncSchedule::until_next() const {
  const auto now = clock_.monotonic();
  if (now >= next_run_) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(next_run_ - now);
}

SyncSchedule::TimePoint SyncSchedule::cycle_finished(const Status& outcome) {
  const auto now = clock_.monotonic();
  if (outcome.ok()) {
    backoff_.reset();
    next_run_ = now + policy_.poll_interval;
  } else {
    // Never poll more often than the interval would after a success.
    next_run_ = now + std::max(backoff_.next(), std::chrono::milliseconds(policy_.retry_base));
  }
  return next_run_;
}

void SyncSchedule::nudge() {
  backoff_.reset();
  next_run_ = clock_.monotonic();
}

bool SyncSchedule::may_fetch(bool critical) const {
  return critical || window_.is_open(clock_.now());
}

std::chrono::system_clock::time_point SyncSchedule::fetch_allowed_from() const {
  const auto now = clock_.now();
  auto next = window_.next_open(now);
  return next ? *next : now + std::chrono::hours(24 * 366);
}

}  // namespace fleetgate::northbound
