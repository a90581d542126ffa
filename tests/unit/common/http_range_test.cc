#include "common/http_range.h"

#include <catch2/catch.hpp>

using namespace fleetgate::http;
using Kind = RangeSelection::Kind;

TEST_CASE("single byte ranges resolve against the length", "[http_range]") {
  auto r = select_range("bytes=0-99", 1000);
  REQUIRE(r.kind == Kind::single);
  CHECK(r.range.first == 0);
  CHECK(r.range.last == 99);
  auto open = select_range("bytes=900-", 1000);
  REQUIRE(open.kind == Kind::single);
  CHECK(open.range.last == 999);
  auto clamp = select_range("bytes=990-5000", 1000);
  CHECK(clamp.range.size() == 10);
  auto suffix = select_range("bytes=-10", 1000);
  CHECK(suffix.range.first == 990);
  auto big_suffix = select_range("bytes=-5000", 1000);
  CHECK(big_suffix.range.first == 0);
  CHECK(content_range(r.range, 1000) == "bytes 0-99/1000");
}

TEST_CASE("unsatisfiable ranges give 416 material", "[http_range]") {
  CHECK(select_range("bytes=1000-", 1000).kind == Kind::unsatisfiable);
  CHECK(select_range("bytes=-0", 1000).kind == Kind::unsatisfiable);
  CHECK(select_range("bytes=0-", 0).kind == Kind::unsatisfiable);
  CHECK(select_range("bytes=2000-3000, 5000-", 1000).kind == Kind::unsatisfiable);
  CHECK(unsatisfied_content_range(1000) == "bytes */1000");
}

TEST_CASE("invalid or foreign ranges are ignored, multiple go whole", "[http_range]") {
  CHECK(select_range("", 10).kind == Kind::whole);
  CHECK(select_range("items=0-1", 10).kind == Kind::whole);
  CHECK(select_range("bytes=5-1", 10).kind == Kind::whole);
  CHECK(select_range("bytes=a-b", 10).kind == Kind::whole);
  CHECK(select_range("bytes=99999999999999999999-", 10).kind == Kind::whole);
  CHECK(select_range("bytes=0-1,4-5", 10).kind == Kind::multiple);
  CHECK(select_range("BYTES = 0-1", 10).kind == Kind::single);
}
