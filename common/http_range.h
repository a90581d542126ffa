// Byte ranges (RFC 9110 14): the Range request header and the Content-Range answer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fleetgate::http {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t size() const { return last - first + 1; }
};

struct RangeSelection {
  enum class Kind {
    whole,          // no Range, a unit other than bytes, or unparsable: send everything
    single,         // one satisfiable range: 206
    multiple,       // several ranges, at least one satisfiable: we send 200 whole
    unsatisfiable,  // no range overlaps the representation: 416
  };
  Kind kind = Kind::whole;
  ByteRange range;  // for single
};

// Evaluates a Range header value against a representation of `length` bytes.
RangeSelection select_range(std::string_view range_header, uint64_t length);

// "bytes 0-99/1000"
std::string content_range(const ByteRange& r, uint64_t length);
// "bytes */1000", for 416
std::string unsatisfied_content_range(uint64_t length);

}  // namespace fleetgate::http
