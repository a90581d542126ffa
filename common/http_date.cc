#include "common/http_date.h"

#include <array>
#include <chrono>
#include <cstdio>

namespace fleetgate::http {

namespace {
constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// A tiny cursor over the text; every reader fails the whole parse on a mismatch.
struct Cursor {
  std::string_view s;
  bool ok = true;

  void lit(std::string_view want) {
    if (ok && s.substr(0, want.size()) == want) {
      s.remove_prefix(want.size());
    } else {
      ok = false;
    }
  }
  int digits(size_t n) {
    int v = 0;
    if (!ok || s.size() < n) {
      ok = false;
      return 0;
    }
    for (size_t i = 0; i < n; ++i) {
      if (s[i] < '0' || s[i] > '9') {
        ok = false;
        return 0;
      }
      v = v * 10 + (s[i] - '0');
    }
    s.remove_prefix(n);
    return v;
  }
  int month() {
    for (size_t i = 0; i < kMonths.size(); ++i) {
      if (ok && s.substr(0, 3) == kMonths[i]) {
        s.remove_prefix(3);
        return static_cast<int>(i) + 1;
      }
    }
    ok = false;
    return 0;
  }
  // "hh:mm:ss"
  int64_t clock() {
    int h = digits(2);
    lit(":");
    int m = digits(2);
    lit(":");
    int sec = digits(2);
    if (h > 23 || m > 59 || sec > 60) ok = false;
    return h * 3600 + m * 60 + sec;
  }
};

std::optional<int64_t> to_unix(int year, int month, int day, int64_t secs) {
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                     std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return std::nullopt;
  return sys_days(ymd).time_since_epoch().count() * int64_t{86400} + secs;
}

bool starts_with_any(std::string_view s, const auto& names, char after) {
  for (std::string_view n : names) {
    if (s.size() > n.size() && s.substr(0, n.size()) == n && s[n.size()] == after) return true;
  }
  return false;
}
}  // namespace

std::string format_http_date(int64_t unix_seconds) {
  using namespace std::chrono;
  sys_seconds t{seconds(unix_seconds)};
  sys_days d = floor<days>(t);
  year_month_day ymd{d};
  hh_mm_ss<seconds> hms{t - d};
  weekday wd{d};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT",
                kDays[wd.c_encoding()].data(), static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1].data(), static_cast<int>(ymd.year()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::optional<int64_t> parse_http_date(std::string_view text) {
  Cursor c{text};
  if (starts_with_any(text, kDays, ',')) {
    // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    c.s.remove_prefix(3);
    c.lit(", ");
    int day = c.digits(2);
    c.lit(" ");
    int month = c.month();
    c.lit(" ");
    int year = c.digits(4);
    c.lit(" ");
    int64_t secs = c.clock();
    c.lit(" GMT");
    if (!c.ok || !c.s.empty()) return std::nullopt;
    return to_unix(year, month, day, secs);
  }
  if (starts_with_any(text, kLongDays, ',')) {
    // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (two-digit year: RFC 9110 rule of 50 years;
    // we read 70-99 as 19xx, else 20xx)
    c.s.remove_prefix(c.s.find(','));
    c.lit(", ");
    int day = c.digits(2);
    c.lit("-");
    int month = c.month();
    c.lit("-");
    int yy = c.digits(2);
    c.lit(" ");
    int64_t secs = c.clock();
    c.lit(" GMT");
    if (!c.ok || !c.s.empty()) return std::nullopt;
    return to_unix(yy >= 70 ? 1900 + yy : 2000 + yy, month, day, secs);
  }
  if (starts_with_any(text, kDays, ' ')) {
    // asctime: Sun Nov  6 08:49:37 1994
    c.s.remove_prefix(3);
    c.lit(" ");
    int month = c.month();
    c.lit(" ");
    if (c.ok && !c.s.empty() && c.s[0] == ' ') c.s.remove_prefix(1);
    int day = (c.ok && c.s.size() > 1 && c.s[1] == ' ') ? c.digits(1) : c.digits(2);
    c.lit(" ");
    int64_t secs = c.clock();
    c.lit(" ");
    int year = c.digits(4);
    if (!c.ok || !c.s.empty()) return std::nullopt;
    return to_unix(year, month, day, secs);
  }
  return std::nullopt;
}

}  // namespace fleetgate::http
