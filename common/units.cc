#include "common/units.h"

#include <cctype>
#include <cmath>
#include <limits>

namespace fleetgate {
namespace {

Error bad_size(std::string_view text, std::string_view why) {
  return make_error(Errc::invalid_argument, "size",
                    "'" + std::string(text) + "' is not a size: " + std::string(why) +
                        " (expected e.g. \"20GiB\", \"512KiB\", \"1.5GB\" or a number of bytes)");
}

Error bad_duration(std::string_view text, std::string_view why) {
  return make_error(
      Errc::invalid_argument, "duration",
      "'" + std::string(text) + "' is not a duration: " + std::string(why) +
          " (expected e.g. \"500ms\", \"60s\", \"15m\", \"3h\", \"1d\" or \"1h30m\")");
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

struct SizeUnit {
  std::string_view name;
  uint64_t factor;
};

constexpr SizeUnit kSizeUnits[] = {
    {"", 1},
    {"B", 1},
    {"KiB", 1ull << 10},
    {"MiB", 1ull << 20},
    {"GiB", 1ull << 30},
    {"TiB", 1ull << 40},
    {"KB", 1000ull},
    {"MB", 1000ull * 1000},
    {"GB", 1000ull * 1000 * 1000},
    {"TB", 1000ull * 1000 * 1000 * 1000},
    {"kB", 1000ull},
};

bool unit_equals(std::string_view given, std::string_view unit) {
  if (given.size() != unit.size()) return false;
  for (size_t i = 0; i < given.size(); ++i) {
    char g = given[i];
    char u = unit[i];
    // "kib", "KIB" and "KiB" are all kibibytes; the letters are case-insensitive.
    if (std::tolower(static_cast<unsigned char>(g)) != std::tolower(static_cast<unsigned char>(u)))
      return false;
  }
  return true;
}

}  // namespace

Result<uint64_t> parse_size(std::string_view text) {
  std::string_view s = trim(text);
  if (s.empty()) return bad_size(text, "it is empty");
  size_t i = 0;
  uint64_t whole = 0;
  bool digits = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (whole > (std::numeric_limits<uint64_t>::max() - d) / 10) {
      return bad_size(text, "it is too large");
    }
    whole = whole * 10 + d;
    digits = true;
    ++i;
  }
  if (!digits) return bad_size(text, "it does not start with a number");
  // Up to 9 fraction digits, kept as an exact numerator over 10^digits.
  uint64_t frac = 0;
  uint64_t frac_scale = 1;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (frac_scale >= 1'000'000'000) return bad_size(text, "too many decimal places");
      frac = frac * 10 + static_cast<uint64_t>(s[i] - '0');
      frac_scale *= 10;
      ++i;
    }
    if (i == start) return bad_size(text, "a '.' must be followed by digits");
  }
  std::string_view unit = trim(s.substr(i));
  for (const auto& u : kSizeUnits) {
    if (!unit_equals(unit, u.name)) continue;
    if (whole > std::numeric_limits<uint64_t>::max() / u.factor) {
      return bad_size(text, "it is too large");
    }
    uint64_t bytes = whole * u.factor;
    if (frac != 0) {
      // frac/frac_scale * factor must be a whole number of bytes.
      unsigned __int128 num = static_cast<unsigned __int128>(frac) * u.factor;
      if (num % frac_scale != 0) return bad_size(text, "it is not a whole number of bytes");
      uint64_t extra = static_cast<uint64_t>(num / frac_scale);
      if (bytes > std::numeric_limits<uint64_t>::max() - extra) {
        return bad_size(text, "it is too large");
      }
      bytes += extra;
    }
    return bytes;
  }
  return bad_size(text, "unknown unit '" + std::string(unit) + "'");
}

Result<uint64_t> parse_rate(std::string_view text) {
  std::string_view s = trim(text);
  if (s.size() >= 2 && s.substr(s.size() - 2) == "/s") s.remove_suffix(2);
  return parse_size(s);
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::string_view s = trim(text);
  if (s.empty()) return bad_duration(text, "it is empty");
  if (s == "0") return std::chrono::milliseconds(0);
  // Units must appear largest first, each at most once ("1h30m", not "30m1h").
  constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"d", 86'400'000}, {"h", 3'600'000}, {"ms", 1}, {"m", 60'000}, {"s", 1000}};
  auto rank = [](std::string_view u) {
    if (u == "d") return 0;
    if (u == "h") return 1;
    if (u == "m") return 2;
    if (u == "s") return 3;
    return 4;  // ms
  };
  int64_t total = 0;
  int last_rank = -1;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    int64_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (n > (std::numeric_limits<int64_t>::max() - 9) / 10) {
        return bad_duration(text, "it is too long");
      }
      n = n * 10 + (s[i] - '0');
      ++i;
    }
    if (i == start)
      return bad_duration(text, "expected a number at '" + std::string(s.substr(i)) + "'");
    size_t ustart = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    std::string_view unit = s.substr(ustart, i - ustart);
    if (unit.empty()) return bad_duration(text, "a number needs a unit (ms, s, m, h or d)");
    int64_t factor = 0;
    for (const auto& [name, f] : kUnits) {
      if (unit == name) factor = f;
    }
    if (factor == 0) return bad_duration(text, "unknown unit '" + std::string(unit) + "'");
    int r = rank(unit);
    if (r <= last_rank)
      return bad_duration(text, "units must go from largest to smallest, once each");
    last_rank = r;
    if (n > (std::numeric_limits<int64_t>::max() - total) / factor) {
      return bad_duration(text, "it is too long");
    }
    total += n * factor;
  }
  return std::chrono::milliseconds(total);
}

std::string format_size(uint64_t bytes) {
  constexpr std::pair<uint64_t, std::string_view> kUnits[] = {
      {1ull << 40, "TiB"}, {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"}};
  if (bytes == 0) return "0";
  for (const auto& [factor, name] : kUnits) {
    if (bytes % factor == 0) return std::to_string(bytes / factor) + std::string(name);
  }
  return std::to_string(bytes);
}

std::string format_duration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  constexpr std::pair<int64_t, std::string_view> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [factor, name] : kUnits) {
    if (ms >= factor) {
      out += std::to_string(ms / factor);
      out += name;
      ms %= factor;
    }
  }
  return out;
}

}  // namespace fleetgate
