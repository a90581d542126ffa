// parse_status_report, the pure half of a status report: what a body becomes (the outbox
// record) or the exact message a device is told when it is refused.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "southbound/status_report.h"

using fleetgate::southbound::Device;
using fleetgate::southbound::parse_status_report;

namespace {
Device sensor() {
  Device d;
  d.id = "sensor-1";
  return d;
}

std::string refusal(std::string_view body) {
  auto r = parse_status_report(sensor(), body, 42);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == fleetgate::Errc::invalid_argument);
  return r.error().message;
}
}  // namespace

TEST_CASE("a valid report becomes a record with the device and the arrival time", "[status]") {
  auto r = parse_status_report(
      sensor(), R"({"deployment":"sensor-2.1","state":"installed","version":"2.1","reason":""})",
      1700000000123);
  REQUIRE(r.ok());
  auto j = nlohmann::json::parse(*r);
  CHECK(j == nlohmann::json{{"deployment", "sensor-2.1"},
                            {"state", "installed"},
                            {"version", "2.1"},
                            {"reason", ""},
                            {"device", "sensor-1"},
                            {"received_ms", 1700000000123}});
}

TEST_CASE("each kind of bad report is refused with a message naming the problem", "[status]") {
  CHECK(refusal("{\"deployment\": \"d\", \"state\": ") ==
        "status report rejected: body is not valid JSON");
  CHECK(refusal("{\"deployment\":\"d\xff\",\"state\":\"installed\"}") ==
        "status report rejected: body is not valid JSON");
  CHECK(refusal("[]") == "status report rejected: body must be a JSON object");
  CHECK(refusal(R"({"deployment":"d","state":"installed","extra":1})") ==
        "status report rejected: unknown field 'extra' (expected deployment, state, version, "
        "reason)");
  CHECK(refusal(R"({"deployment":"d","state":"installed","version":2})") ==
        "status report rejected: field 'version' must be a string");
  CHECK(refusal(R"({"state":"installed"})") ==
        "status report rejected: field 'deployment' is required");
  CHECK(refusal(R"({"deployment":"","state":"installed"})") ==
        "status report rejected: field 'deployment' is required");
  CHECK(refusal(R"({"deployment":"d"})") == "status report rejected: field 'state' is required");
  CHECK(refusal(R"({"deployment":"d","state":"exploded"})") ==
        "status report rejected: state 'exploded' is not one of downloading, downloaded, "
        "installing, installed, failed, deferred");
}

TEST_CASE("deeply nested JSON is refused without exhausting the stack", "[status]") {
  std::string body = "{\"deployment\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK(refusal(body) == "status report rejected: field 'deployment' must be a string");
}
