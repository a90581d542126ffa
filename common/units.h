// Sizes, rates and durations as people write them in configuration and plans:
// sizes "20GiB", "2MiB", "512KiB", "1.5GB" or a plain number of bytes; rates the same with an
// optional "/s"; durations "500ms", "60s", "15m", "3h", "1d", or combined "1h30m".
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace fleetgate {

// Binary units (KiB = 1024) and decimal ones (KB = 1000); "B" or no unit = bytes. Case
// matters only for the 'i' ("kib" is accepted, "mb" means megabytes, never millibits).
Result<uint64_t> parse_size(std::string_view text);
// A size per second: "2MiB", "2MiB/s", "0" (the caller decides what 0 means).
Result<uint64_t> parse_rate(std::string_view text);
// One or more <integer><unit> groups with units d, h, m, s, ms; "0" alone is zero.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// The largest exact binary unit: 21474836480 -> "20GiB"; sizes that are not a whole number
// of KiB print as plain bytes ("1500").
std::string format_size(uint64_t bytes);
// The largest exact combination: 5400000ms -> "1h30m", 500ms -> "500ms", 0 -> "0s".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace fleetgate
