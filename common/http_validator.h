// Validators and conditional requests (RFC 9110 8.8, 13): entity tags, If-None-Match
// and If-Range. Blobs use a strong ETag equal to their content hash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fleetgate::http {

// "\"<opaque>\""
std::string strong_etag(std::string_view opaque);
// If-None-Match uses the weak comparison: true if any listed tag (or "*") matches `etag`.
bool if_none_match_matches(std::string_view header, std::string_view etag);
// If-Range: true when the partial answer may be sent. A strong entity tag must equal
// `etag` exactly (a weak one never matches); an HTTP date must equal the
// representation's Last-Modified second exactly.
bool if_range_holds(std::string_view header, std::string_view etag, int64_t last_modified);

}  // namespace fleetgate::http
