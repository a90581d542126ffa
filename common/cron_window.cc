#include "common/cron_window.h"

#include <date/tz.h>

#include <charconv>
#include <vector>

namespace fleetgate {
namespace {

using std::chrono::minutes;

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

bool number(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Sets bits [lo, hi] of one field; returns false on a malformed or out-of-range item.
template <size_t N>
bool parse_field(std::string_view text, int lo, int hi, std::bitset<N>& bits) {
  for (std::string_view item : split(text, ',')) {
    int step = 1;
    size_t slash = item.find('/');
    if (slash != std::string_view::npos) {
      if (!number(item.substr(slash + 1), step) || step <= 0) return false;
      item = item.substr(0, slash);
    }
    int a = lo, b = hi;
    if (item != "*") {
      size_t dash = item.find('-');
      if (dash == std::string_view::npos) {
        if (!number(item, a)) return false;
        b = slash != std::string_view::npos ? hi : a;  // "5/15" = from 5 to the end
      } else if (!number(item.substr(0, dash), a) || !number(item.substr(dash + 1), b)) {
        return false;
      }
    }
    if (a < lo || b > hi || a > b) return false;
    for (int v = a; v <= b; v += step) bits.set(static_cast<size_t>(v));
  }
  return true;
}

}  // namespace

WindowSchedule WindowSchedule::always() {
  WindowSchedule w;
  w.always_ = true;
  return w;
}

Result<WindowSchedule> WindowSchedule::parse(std::string_view cron, std::chrono::seconds duration,
                                             std::string_view tz) {
  WindowSchedule w;
  std::vector<std::string_view> fields;
  for (std::string_view f : split(cron, ' ')) {
    if (!f.empty()) fields.push_back(f);
  }
  auto bad = [&](std::string why) {
    return make_error(Errc::config, "window",
                      "window cron '" + std::string(cron) + "': " + std::move(why));
  };
  if (fields.size() != 5) return bad("expected 5 fields (minute hour day-of-month month day-of-week)");
  std::bitset<8> wdays;
  if (!parse_field(fields[0], 0, 59, w.minutes_)) return bad("bad minute field '" + std::string(fields[0]) + "' (0-59)");
  if (!parse_field(fields[1], 0, 23, w.hours_)) return bad("bad hour field '" + std::string(fields[1]) + "' (0-23)");
  if (!parse_field(fields[2], 1, 31, w.mdays_)) return bad("bad day-of-month field '" + std::string(fields[2]) + "' (1-31)");
  if (!parse_field(fields[3], 1, 12, w.months_)) return bad("bad month field '" + std::string(fields[3]) + "' (1-12)");
  if (!parse_field(fields[4], 0, 7, wdays)) return bad("bad day-of-week field '" + std::string(fields[4]) + "' (0-7)");
  for (size_t d = 0; d < 7; ++d) w.wdays_[d] = wdays[d];
  if (wdays[7]) w.wdays_.set(0);
  w.mday_star_ = fields[2] == "*";
  w.wday_star_ = fields[4] == "*";
  if (duration <= std::chrono::seconds(0)) {
    return make_error(Errc::config, "window", "window duration must be positive");
  }
  w.duration_ = duration;
  try {
    w.zone_ = date::locate_zone(std::string(tz));
  } catch (const std::exception&) {
    return make_error(Errc::config, "window",
                      "unknown time zone '" + std::string(tz) + "' (expected an IANA name such as Europe/Berlin)");
  }
  return w;
}

bool WindowSchedule::matches_day(int mday, unsigned month, unsigned wday) const {
  if (!months_[month]) return false;
  const bool by_mday = mdays_[static_cast<size_t>(mday)];
  const bool by_wday = wdays_[wday];
  if (mday_star_ && wday_star_) return true;
  if (mday_star_) return by_wday;
  if (wday_star_) return by_mday;
  return by_mday || by_wday;
}

// The latest window start (as a UTC instant) at or before `t`, looking back at most one
// duration: only such a start can still be open.
std::optional<WindowSchedule::TimePoint> WindowSchedule::latest_start_at_or_before(TimePoint t) const {
  const auto sys_min = date::floor<minutes>(t);
  auto local = date::floor<minutes>(zone_->to_local(sys_min));
  // A little slack for DST shifts between local and UTC.
  const auto horizon = local - date::floor<minutes>(duration_) - std::chrono::hours(2);
  for (auto m = local; m >= horizon; m -= minutes(1)) {
    const auto day = date::floor<date::days>(m);
    const date::year_month_day ymd(day);
    const date::hh_mm_ss<minutes> hms(std::chrono::duration_cast<minutes>(m - day));
    if (!matches_day(static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<unsigned>(ymd.month()),
                     date::weekday(day).c_encoding())) {
      m = date::local_time<minutes>(day) ;  // jump to the start of the day; loop steps back
      continue;
    }
    if (!hours_[static_cast<size_t>(hms.hours().count())]) {
      m -= minutes(hms.minutes().count());  // to the start of the hour; loop steps back
      continue;
    }
    if (!minutes_[static_cast<size_t>(hms.minutes().count())]) continue;
    const TimePoint start = zone_->to_sys(m, date::choose::earliest);
    if (start <= t) return start;
  }
  return std::nullopt;
}

bool WindowSchedule::is_open(TimePoint t) const { return closes_at(t).has_value() || always_; }

std::optional<WindowSchedule::TimePoint> WindowSchedule::closes_at(TimePoint t) const {
  if (always_) return std::nullopt;
  auto start = latest_start_at_or_before(t);
  if (!start) return std::nullopt;
  // Windows may overlap (e.g. hourly starts with a 3h duration): follow the chain.
  TimePoint end = *start + duration_;
  if (t >= end) return std::nullopt;
  for (int i = 0; i < 1000; ++i) {
    auto later = latest_start_at_or_before(end);
    if (!later || *later + duration_ <= end) break;
    end = *later + duration_;
  }
  return end;
}

std::optional<WindowSchedule::TimePoint> WindowSchedule::next_open(TimePoint t) const {
  if (always_ || is_open(t)) return t;
  auto local = date::floor<minutes>(zone_->to_local(date::ceil<minutes>(t)));
  const auto limit = local + date::days(367);
  for (auto m = local; m < limit; m += minutes(1)) {
    const auto day = date::floor<date::days>(m);
    const date::year_month_day ymd(day);
    const date::hh_mm_ss<minutes> hms(std::chrono::duration_cast<minutes>(m - day));
    if (!matches_day(static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<unsigned>(ymd.month()),
                     date::weekday(day).c_encoding())) {
      m = date::local_time<minutes>(day + date::days(1)) - minutes(1);
      continue;
    }
    if (!hours_[static_cast<size_t>(hms.hours().count())]) {
      m += minutes(59 - hms.minutes().count());
      continue;
    }
    if (!minutes_[static_cast<size_t>(hms.minutes().count())]) continue;
    const TimePoint start = zone_->to_sys(m, date::choose::earliest);
    if (start >= t) return start;
  }
  return std::nullopt;
}

}  // namespace fleetgate
