#include <catch2/catch.hpp>

#include "northbound/canonical_json.h"

using fleetgate::Errc;
using fleetgate::northbound::canonical_json;
using fleetgate::northbound::parse_json;

TEST_CASE("canonical JSON sorts keys by bytes and drops whitespace") {
  auto doc = parse_json(R"( { "b" : [1, 2, {"z": null, "a": true}], "a": "x", "B": false } )", "t");
  REQUIRE(doc.ok());
  auto out = canonical_json(*doc);
  REQUIRE(out.ok());
  CHECK(*out == R"({"B":false,"a":"x","b":[1,2,{"a":true,"z":null}]})");
}

TEST_CASE("canonical JSON escapes only quote and backslash") {
  nlohmann::json doc = {{"s", std::string("q\"b\\n\nt\t\x01u\xc3\xa9")}};
  auto out = canonical_json(doc);
  REQUIRE(out.ok());
  CHECK(*out == std::string("{\"s\":\"q\\\"b\\\\n\nt\t\x01u\xc3\xa9\"}"));
}

TEST_CASE("canonical JSON writes integers and refuses floats") {
  nlohmann::json ints = {{"neg", -5}, {"big", 18446744073709551615ull}, {"zero", 0}};
  CHECK(*canonical_json(ints) == R"({"big":18446744073709551615,"neg":-5,"zero":0})");
  auto f = canonical_json(nlohmann::json{{"f", 1.5}});
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().code == Errc::invalid_argument);
}

TEST_CASE("parse_json names what is not JSON instead of throwing") {
  auto bad = parse_json("{\"a\":", "timestamp metadata");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "timestamp metadata is not valid JSON");
}
