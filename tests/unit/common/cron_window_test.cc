#include "common/cron_window.h"

#include <date/date.h>

#include <catch2/catch.hpp>

using fleetgate::Errc;
using fleetgate::WindowSchedule;
using namespace std::chrono;
using namespace date::literals;

namespace {

system_clock::time_point utc(date::year_month_day d, int h, int m) {
  return date::sys_days(d) + hours(h) + minutes(m);
}

WindowSchedule schedule(std::string_view cron, seconds d, std::string_view tz) {
  auto w = WindowSchedule::parse(cron, d, tz);
  INFO(std::string(w.ok() ? "" : w.error().to_string()));
  REQUIRE(w.ok());
  return *w;
}

}  // namespace

TEST_CASE("window at 02:00 Berlin follows the local clock in summer and winter", "[cron_window]") {
  auto w = schedule("0 2 * * *", hours(3), "Europe/Berlin");
  // Summer (CEST, UTC+2): 02:00-05:00 local is 00:00-03:00 UTC.
  CHECK(w.is_open(utc(2026_y / 7 / 1, 0, 30)));
  CHECK(w.is_open(utc(2026_y / 7 / 1, 2, 59)));
  CHECK_FALSE(w.is_open(utc(2026_y / 7 / 1, 3, 0)));
  CHECK_FALSE(w.is_open(utc(2026_y / 6 / 30, 23, 59)));
  CHECK(*w.closes_at(utc(2026_y / 7 / 1, 0, 30)) == utc(2026_y / 7 / 1, 3, 0));
  CHECK(*w.next_open(utc(2026_y / 7 / 1, 3, 30)) == utc(2026_y / 7 / 2, 0, 0));
  // Winter (CET, UTC+1): 01:00-04:00 UTC.
  CHECK(w.is_open(utc(2026_y / 1 / 15, 1, 30)));
  CHECK_FALSE(w.is_open(utc(2026_y / 1 / 15, 0, 30)));
  CHECK(*w.next_open(utc(2026_y / 1 / 15, 5, 0)) == utc(2026_y / 1 / 16, 1, 0));
}

TEST_CASE("window on weekdays skips the weekend", "[cron_window]") {
  auto w = schedule("0 9 * * 1-5", hours(8), "UTC");
  // 2026-11-28 is a Saturday.
  CHECK_FALSE(w.is_open(utc(2026_y / 11 / 28, 10, 0)));
  CHECK(*w.next_open(utc(2026_y / 11 / 28, 10, 0)) == utc(2026_y / 11 / 30, 9, 0));
  CHECK(w.is_open(utc(2026_y / 11 / 30, 16, 59)));
  CHECK_FALSE(w.is_open(utc(2026_y / 11 / 30, 17, 0)));
}

TEST_CASE("window with both day fields matches either, steps and lists work", "[cron_window]") {
  auto w = schedule("0 0 1 * 0", minutes(30), "UTC");
  CHECK(w.is_open(utc(2026_y / 12 / 1, 0, 10)));   // the 1st (a Tuesday)
  CHECK(w.is_open(utc(2026_y / 11 / 29, 0, 10)));  // a Sunday
  CHECK_FALSE(w.is_open(utc(2026_y / 11 / 30, 0, 10)));
  auto steps = schedule("*/15 8,20 * * *", minutes(5), "UTC");
  CHECK(steps.is_open(utc(2026_y / 5 / 5, 20, 47)));
  CHECK_FALSE(steps.is_open(utc(2026_y / 5 / 5, 20, 50)));
  CHECK_FALSE(steps.is_open(utc(2026_y / 5 / 5, 9, 0)));
}

TEST_CASE("overlapping windows chain into one", "[cron_window]") {
  auto w = schedule("0 * * * *", minutes(90), "UTC");
  CHECK(w.is_open(utc(2026_y / 5 / 5, 13, 59)));
  CHECK(w.closes_at(utc(2026_y / 5 / 5, 13, 59)) > utc(2026_y / 5 / 6, 0, 0));
}

TEST_CASE("a start that does not exist locally opens at the DST transition", "[cron_window]") {
  // 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist.
  auto w = schedule("30 2 * * *", hours(1), "Europe/Berlin");
  CHECK(*w.next_open(utc(2026_y / 3 / 28, 12, 0)) == utc(2026_y / 3 / 29, 1, 0));
  CHECK(w.is_open(utc(2026_y / 3 / 29, 1, 30)));
}

TEST_CASE("a window that is always open", "[cron_window]") {
  auto w = WindowSchedule::always();
  CHECK(w.is_open(utc(2026_y / 1 / 1, 0, 0)));
  CHECK(*w.next_open(utc(2026_y / 1 / 1, 0, 0)) == utc(2026_y / 1 / 1, 0, 0));
}

TEST_CASE("bad windows are refused naming what is wrong", "[cron_window]") {
  auto err = [](std::string_view cron, seconds d, std::string_view tz) {
    auto w = WindowSchedule::parse(cron, d, tz);
    REQUIRE(!w.ok());
    CHECK(w.error().code == Errc::config);
    return w.error().message;
  };
  CHECK(err("0 2 * *", hours(1), "UTC").find("5 fields") != std::string::npos);
  CHECK(err("60 2 * * *", hours(1), "UTC").find("minute") != std::string::npos);
  CHECK(err("0 2 * JAN *", hours(1), "UTC").find("month") != std::string::npos);
  CHECK(err("0 2 * * 8", hours(1), "UTC").find("day-of-week") != std::string::npos);
  CHECK(err("0 2 * * *", hours(1), "Mars/Olympus").find("Mars/Olympus") != std::string::npos);
  CHECK(err("0 2 * * *", seconds(0), "UTC").find("duration") != std::string::npos);
}
