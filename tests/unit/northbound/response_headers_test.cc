// The header values the origin client trusts: Content-Range (206/416), Content-Length
// (200) and strong ETags (If-Range). Anything malformed is refused, not guessed at.
#include <catch2/catch.hpp>

#include "northbound/response_headers.h"

namespace fleetgate::northbound {
namespace {

TEST_CASE("Content-Range: a satisfied range and an unsatisfied one parse") {
  auto r = parse_content_range("bytes 10-99/100");
  REQUIRE(r.has_value());
  CHECK(r->first == 10u);
  CHECK(r->last == 99u);
  CHECK(r->complete == 100u);
  auto u = parse_content_range("bytes */4096");
  REQUIRE(u.has_value());
  CHECK_FALSE(u->first.has_value());
  CHECK(u->complete == 4096u);
}

TEST_CASE("Content-Range: malformed, reversed, unknown-length or overflowing values are refused") {
  for (const char* bad :
       {"bytes 10-99/*", "bytes 99-10/100", "bytes 0-100/100", "bytes=0-9/10", "items 0-9/10",
        "bytes 0-9", "bytes -9/10", "bytes 0-/10", "bytes  0-9/10", "bytes 0-9/10 ",
        "bytes 0-9/18446744073709551616", "bytes +0-9/10", "", "bytes */"}) {
    INFO(bad);
    CHECK_FALSE(parse_content_range(bad).has_value());
  }
}

TEST_CASE("Content-Length is a plain decimal number") {
  CHECK(parse_content_length("0") == 0u);
  CHECK(parse_content_length("1073741824") == 1073741824u);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "0x10", "1e3", "18446744073709551616"}) {
    INFO(bad);
    CHECK_FALSE(parse_content_length(bad).has_value());
  }
}

TEST_CASE("only a quoted entity tag is strong") {
  CHECK(is_strong_etag("\"abc\""));
  CHECK(is_strong_etag("\"\""));
  CHECK_FALSE(is_strong_etag("W/\"abc\""));
  CHECK_FALSE(is_strong_etag("abc"));
  CHECK_FALSE(is_strong_etag("\""));
  CHECK_FALSE(is_strong_etag(""));
}

}  // namespace
}  // namespace fleetgate::northbound
