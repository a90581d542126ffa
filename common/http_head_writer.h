// Serialises HTTP/1.1 message heads (status or request line plus header lines).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fleetgate::http {

std::string_view reason_phrase(int status);

// Appends header lines to one contiguous buffer, so a head goes out in one write.
class HeadWriter {
 public:
  // "HTTP/1.1 200 OK"
  static HeadWriter response(int status);
  // "GET /path HTTP/1.1"
  static HeadWriter request(std::string_view method, std::string_view target);

  HeadWriter& add(std::string_view name, std::string_view value);
  HeadWriter& add(std::string_view name, uint64_t value);
  // Ends the head with the empty line and returns it.
  std::string finish() &&;

 private:
  std::string buf_;
};

}  // namespace fleetgate::http
