#include "common/http_validator.h"

#include <catch2/catch.hpp>

#include "common/http_date.h"

using namespace fleetgate::http;

TEST_CASE("If-None-Match matches listed tags, weakly, and the star", "[http_validator]") {
  std::string etag = strong_etag("abc");
  CHECK(etag == "\"abc\"");
  CHECK(if_none_match_matches("\"abc\"", etag));
  CHECK(if_none_match_matches("\"x\", W/\"abc\"", etag));
  CHECK(if_none_match_matches("*", etag));
  CHECK_FALSE(if_none_match_matches("\"abd\"", etag));
}

TEST_CASE("If-Range holds for the exact strong tag or the exact date", "[http_validator]") {
  std::string etag = strong_etag("abc");
  int64_t lm = 1700000000;
  CHECK(if_range_holds("\"abc\"", etag, lm));
  CHECK_FALSE(if_range_holds("W/\"abc\"", etag, lm));
  CHECK_FALSE(if_range_holds("\"old\"", etag, lm));
  CHECK(if_range_holds(format_http_date(lm), etag, lm));
  CHECK_FALSE(if_range_holds(format_http_date(lm - 60), etag, lm));
  CHECK_FALSE(if_range_holds("garbage", etag, lm));
}
