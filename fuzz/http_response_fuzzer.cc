// Feeds arbitrary bytes to the strict response parser the origin client uses, split at a
// fuzzer-chosen stride so that every state can be interrupted, and runs the header-value
// parsers the client applies to every head it accepts (Content-Range, Content-Length,
// strong ETag). The origin is on the WAN: nothing it sends may crash the gateway.
//
// Input: byte 0 = stride - 1 (mod 64); byte 1 = mode bits (1: the request was a HEAD,
// 2: accumulate the body with a small cap instead of streaming it like HttpClient does).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "common/http_parser.h"
#include "common/http_range.h"
#include "northbound/response_headers.h"

namespace {

using fleetgate::northbound::ContentRange;
using fleetgate::northbound::parse_content_range;

// A range that parses must be well formed and survive a round trip through the
// formatters the server side uses; anything else is a parser bug.
void check_content_range(std::string_view value) {
  std::optional<ContentRange> cr = parse_content_range(value);
  if (!cr) return;
  if (!cr->first) {
    auto again = parse_content_range(fleetgate::http::unsatisfied_content_range(cr->complete));
    if (!again || again->first || again->complete != cr->complete) std::abort();
    return;
  }
  if (*cr->first > cr->last || cr->last >= cr->complete) std::abort();
  auto again =
      parse_content_range(fleetgate::http::content_range({*cr->first, cr->last}, cr->complete));
  if (!again || again->first != cr->first || again->last != cr->last ||
      again->complete != cr->complete) {
    std::abort();
  }
}

// What HttpsOrigin::on_head reads from a head.
void check_head(const fleetgate::http::Message& m) {
  if (const std::string* etag = m.header("etag")) {
    (void)fleetgate::northbound::is_strong_etag(*etag);
  }
  if (const std::string* cl = m.header("content-length")) {
    (void)fleetgate::northbound::parse_content_length(*cl);
  }
  if (const std::string* cr = m.header("content-range")) check_content_range(*cr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t stride = 1 + data[0] % 64;
  const bool head_request = (data[1] & 1) != 0;
  const bool accumulate = (data[1] & 2) != 0;
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);

  fleetgate::http::ParserLimits limits;
  limits.max_head_bytes = 4096;
  limits.max_body_bytes = accumulate ? 4096 : UINT64_MAX;
  fleetgate::http::Parser parser(fleetgate::http::Parser::Kind::response, limits);
  bool head_checked = false;
  // Like HttpClient: the head is handed over at the latest with the first body bytes.
  auto arm = [&] {
    head_checked = false;
    if (head_request) parser.expect_no_body();
    if (!accumulate) {
      parser.set_body_sink([&](std::string_view) {
        if (!head_checked) {
          head_checked = true;
          check_head(parser.message());
        }
        return true;
      });
    }
  };
  arm();

  std::string_view pending;
  while (!in.empty() || !pending.empty()) {
    if (pending.empty()) {
      pending = in.substr(0, stride);
      in.remove_prefix(pending.size());
    }
    auto n = parser.feed(pending);
    if (!n.ok()) return 0;
    pending.remove_prefix(*n);
    if (parser.head_complete() && !head_checked) {
      head_checked = true;
      check_head(parser.message());
    }
    if (parser.message_complete()) {
      (void)parser.message().keep_alive;
      parser.next();
      arm();
    } else if (*n == 0 && !pending.empty()) {
      std::abort();  // the parser consumes everything unless a message ended
    }
  }
  // The origin closed the connection: a response delimited by EOF completes here.
  if (parser.finish().ok() && parser.message_complete() && !head_checked) {
    check_head(parser.message());
  }
  return 0;
}
