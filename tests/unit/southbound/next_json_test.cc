// The hand-written "next" body is the bytes nlohmann::json would produce.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "southbound/next_json.h"

using fleetgate::Sha256;
using fleetgate::southbound::NextAnswer;

namespace {
std::string reference(const NextAnswer& a) {
  std::string hex = a.sha256.hex();
  nlohmann::json body = {{"deployment", a.deployment},
                         {"target", a.target},
                         {"length", a.length},
                         {"sha256", hex},
                         {"http", "/v1/blobs/sha256/" + hex},
                         {"coap", "/b/" + hex},
                         {"action", a.action}};
  return body.dump();
}
}  // namespace

TEST_CASE("next body matches the JSON library byte for byte", "[next_json]") {
  NextAnswer a;
  a.kind = NextAnswer::Kind::update;
  a.sha256 = Sha256::of(std::string_view("firmware"));
  a.length = 18'446'744'073'709'551'615ull;
  SECTION("plain names") {
    a.deployment = "sensor-2.1";
    a.target = "fw/sensor-v2.1.bin";
    CHECK(fleetgate::southbound::next_json(a) == reference(a));
  }
  SECTION("names that need escaping, and UTF-8") {
    a.deployment = "q\"uote\\back\x01\x1f\b\f\n\r\t\x7f";
    a.target = "fw/caf\xc3\xa9/\xe2\x82\xac.bin";
    a.action = "download-only";
    a.length = 0;
    std::string got = fleetgate::southbound::next_json(a);
    CHECK(got == reference(a));
    auto parsed = nlohmann::json::parse(got);
    CHECK(parsed["deployment"] == a.deployment);
    CHECK(parsed["target"] == a.target);
  }
  SECTION("invalid UTF-8 is copied unchanged (the library would throw)") {
    a.target = "fw/\xff\xc3.bin";
    std::string got = fleetgate::southbound::next_json(a);
    CHECK(got.find("\"target\":\"fw/\xff\xc3.bin\"") != std::string::npos);
  }
}
