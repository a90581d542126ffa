// When the daemon runs a sync cycle, and whether a cycle may download targets now.
//
// - After a successful cycle the next poll is `poll_interval` later: an idle poll is one
//   conditional GET of timestamp.json (northbound/https_origin.h), so this can be short.
// - After a failed cycle the next attempt follows capped exponential backoff with full
//   jitter (common/backoff.h), per origin; one success resets it.
// - A nudge (the cloud's push endpoint, or an operator) makes a cycle due at once and
//   resets the backoff: the origin was just heard from.
// - Targets are downloaded only inside the sync window (common/cron_window.h), except
//   for plans of priority `critical`; metadata polls run at any time, so a plan is known
//   before its window opens.
// The engine itself holds no sockets: the daemon (gateway/) asks due()/next_run(), runs
// run_sync_once on a uv_queue_work thread, and reports the outcome here. Time comes from
// the injected Clock, so tests drive it with a ManualClock.
#pragma once

#include <chrono>
#include <cstdint>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/cron_window.h"
#include "common/result.h"

namespace fleetgate::northbound {

struct SyncPolicy {
  std::chrono::milliseconds poll_interval{60'000};
  std::chrono::milliseconds retry_base{1'000};
  std::chrono::milliseconds retry_cap{300'000};
  uint64_t seed = 1;
};

class SyncSchedule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // The first cycle is due at once.
  SyncSchedule(const Clock& clock, SyncPolicy policy,
               WindowSchedule window = WindowSchedule::always());

  bool due() const { return clock_.monotonic() >= next_run_; }
  TimePoint next_run() const { return next_run_; }
  // Time until the next cycle (zero when due), for arming a loop timer.
  std::chrono::milliseconds until_next() const;

  // Reports a finished cycle; returns when the next one is due.
  TimePoint cycle_finished(const Status& outcome);
  // A push from the cloud: run now.
  void nudge();

  // Whether a cycle may download targets now (window open, or a critical plan).
  bool may_fetch(bool critical) const;
  // For "come back later" answers and logs: when downloads may start (wall clock).
  std::chrono::system_clock::time_point fetch_allowed_from() const;

  uint32_t failures_in_a_row() const { return backoff_.attempts(); }

 private:
  const Clock& clock_;
  SyncPolicy policy_;
  WindowSchedule window_;
  Backoff backoff_;
  TimePoint next_run_;
};

}  // namespace fleetgate::northbound
