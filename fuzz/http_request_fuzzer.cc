// Feeds arbitrary bytes to the strict request parser, split at a fuzzer-chosen stride so
// that every state can be interrupted, and runs the header-value parsers (Range, If-Range,
// If-None-Match, HTTP date) on whatever heads it accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/http_date.h"
#include "common/http_parser.h"
#include "common/http_range.h"
#include "common/http_validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t stride = 1 + data[0] % 64;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  fleetgate::http::ParserLimits limits;
  limits.max_head_bytes = 4096;
  limits.max_body_bytes = 4096;
  fleetgate::http::Parser parser(fleetgate::http::Parser::Kind::request, limits);
  std::string_view pending;
  while (!in.empty() || !pending.empty()) {
    if (pending.empty()) {
      pending = in.substr(0, stride);
      in.remove_prefix(pending.size());
    }
    auto n = parser.feed(pending);
    if (!n.ok()) {
      (void)fleetgate::http::status_for(n.error());
      return 0;
    }
    pending.remove_prefix(*n);
    if (parser.message_complete()) {
      const auto& m = parser.message();
      uint64_t length = m.body.size() * 1000 + 7;
      if (const auto* r = m.header("range")) (void)fleetgate::http::select_range(*r, length);
      if (const auto* r = m.header("if-range")) {
        (void)fleetgate::http::if_range_holds(*r, "\"abc\"", 1700000000);
        (void)fleetgate::http::parse_http_date(*r);
      }
      if (const auto* r = m.header("if-none-match")) {
        (void)fleetgate::http::if_none_match_matches(*r, "\"abc\"");
      }
      (void)m.path();
      parser.next();
    } else if (*n == 0 && !pending.empty()) {
      return 0;  // cannot happen: the parser consumes everything unless a message ended
    }
  }
  (void)parser.finish();
  return 0;
}
