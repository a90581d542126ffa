// An HTTP/1.1 message head as parsed from the wire or built for sending. Shared by the
// device-facing server (southbound/) and the origin client (northbound/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fleetgate::http {

struct Header {
  std::string name;  // lower case when parsed
  std::string value;
};

// ASCII case-insensitive comparison, as header names and tokens require (RFC 9110 5.1).
bool iequals(std::string_view a, std::string_view b);

struct Message {
  // Request line (requests only).
  std::string method;  // "GET", "HEAD", ...
  std::string target;  // origin-form, e.g. "/v1/blobs/sha256/ab..?x=1"
  // Status line (responses only).
  int status = 0;
  int version_major = 1;
  int version_minor = 1;
  std::vector<Header> headers;
  std::string body;       // accumulated body, unless the parser streams it to a sink
  bool keep_alive = true;  // after the message: may the connection carry another one?

  // The first header with this name, or nullptr.
  const std::string* header(std::string_view name) const;
  // How many headers carry this name.
  size_t header_count(std::string_view name) const;
  // The target without its query string.
  std::string_view path() const;
};

}  // namespace fleetgate::http
