// Sync and rollout windows: a 5-field cron expression saying when a window opens, a
// duration saying how long it stays open, and the IANA time zone the expression is read
// in (the site's wall clock, so "0 2 * * *" is 02:00 in Berlin in summer and in winter).
//
// Cron fields: minute 0-59, hour 0-23, day of month 1-31, month 1-12, day of week 0-7
// (0 and 7 are Sunday); each a '*', a number, a range a-b, a list, with an optional
// /step. As in Vixie cron, when both day fields are restricted a day matches either.
// Names (JAN, MON) and the @-shortcuts are refused with a clear error.
// DST: a start time that does not exist locally (spring forward) opens at the transition;
// one that exists twice (fall back) opens at the first.
// Time zones come from the system tzdb (date/tz.h with USE_OS_TZDB).
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace date {
class time_zone;
}

namespace fleetgate {

class WindowSchedule {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // Errc::config naming the field or the zone when something is wrong.
  static Result<WindowSchedule> parse(std::string_view cron, std::chrono::seconds duration,
                                      std::string_view tz);
  // Always open (a plan without a window).
  static WindowSchedule always();

  bool always_open() const { return always_; }
  bool is_open(TimePoint t) const;
  // The next moment at or after `t` when a window is open (`t` itself if open now), or
  // nullopt if none within a year.
  std::optional<TimePoint> next_open(TimePoint t) const;
  // When the window open at `t` closes (nullopt if none is open, or always open).
  std::optional<TimePoint> closes_at(TimePoint t) const;

 private:
  WindowSchedule() = default;
  bool matches_day(int mday, unsigned month, unsigned wday) const;
  std::optional<TimePoint> latest_start_at_or_before(TimePoint t) const;

  bool always_ = false;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> mdays_;
  std::bitset<13> months_;
  std::bitset<7> wdays_;
  bool mday_star_ = true;
  bool wday_star_ = true;
  std::chrono::seconds duration_{0};
  const date::time_zone* zone_ = nullptr;
};

}  // namespace fleetgate
