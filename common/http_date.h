// HTTP dates (RFC 9110 5.6.7): IMF-fixdate out; IMF-fixdate, RFC 850 and asctime in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fleetgate::http {

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::string format_http_date(int64_t unix_seconds);
// Unix seconds, or nullopt if `text` is none of the three forms a recipient must accept.
std::optional<int64_t> parse_http_date(std::string_view text);

}  // namespace fleetgate::http
