// Header values the origin client reads from a response head: Content-Range on 206 and
// 416 (RFC 9110 14.4), Content-Length on 200, and whether an ETag is strong enough to
// send back in If-Range (RFC 9110 8.8.3). Split out of https_origin.cc so that a fuzz
// target can reach them; the origin is untrusted input.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace fleetgate::northbound {

struct ContentRange {
  std::optional<uint64_t> first;  // absent for "*/L"
  uint64_t last = 0;
  uint64_t complete = 0;
};

// "bytes 10-99/100" or "bytes */100"; a "*" complete length is refused (we need it), and
// so is a range that is reversed or reaches past the complete length.
std::optional<ContentRange> parse_content_range(std::string_view value);

// A plain decimal number with no sign, space or trailing bytes.
std::optional<uint64_t> parse_content_length(std::string_view value);

// A quoted entity tag; weak ones (W/"...") never satisfy If-Range.
bool is_strong_etag(std::string_view etag);

}  // namespace fleetgate::northbound
