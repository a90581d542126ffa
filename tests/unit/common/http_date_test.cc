#include "common/http_date.h"

#include <catch2/catch.hpp>

using namespace fleetgate::http;

TEST_CASE("HTTP dates format as IMF-fixdate and parse in all three forms", "[http_date]") {
  CHECK(format_http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777);
  CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == 784111777);
  CHECK(format_http_date(1700000000) == "Tue, 14 Nov 2023 22:13:20 GMT");
  CHECK(parse_http_date(format_http_date(1700000000)) == 1700000000);
}

TEST_CASE("malformed HTTP dates are refused", "[http_date]") {
  CHECK_FALSE(parse_http_date(""));
  CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"));
  CHECK_FALSE(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"));
  CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"));
  CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
  CHECK_FALSE(parse_http_date("\"abc\""));
}
