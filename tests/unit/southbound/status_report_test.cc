// Status reports: strict JSON; a refused report records nothing; an accepted one is in
// the outbox before the 2xx.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "served_gateway.h"

using namespace fleetgate::testing;

namespace {
int post_status(ServedGateway& gw, const std::string& body) {
  Client c(gw.port());
  c.send("POST /v1/devices/sensor-1/status HTTP/1.1\r\nHost: gw\r\n"
         "Authorization: Bearer token-of-sensor-1-abcdef\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body);
  auto r = c.response();
  if (r.status == 400) CHECK_FALSE(r.body.empty());  // says what was wrong
  return r.status;
}
size_t outbox(ServedGateway& gw) {
  return gw.store->kv_scan(fleetgate::cache::Table::outbox, "")->size();
}
}  // namespace

TEST_CASE("malformed or unknown-field reports get 400 and nothing is recorded", "[status]") {
  ServedGateway gw;
  CHECK(post_status(gw, "{\"deployment\": \"d\", \"state\": ") == 400);
  CHECK(post_status(gw, "[]") == 400);
  CHECK(post_status(gw, R"({"deployment":"d","state":"installed","extra":1})") == 400);
  CHECK(post_status(gw, R"({"deployment":"d","state":"exploded"})") == 400);
  CHECK(post_status(gw, R"({"state":"installed"})") == 400);
  CHECK(post_status(gw, R"({"deployment":"d","state":"installed","version":2})") == 400);
  CHECK(outbox(gw) == 0);
}

TEST_CASE("an accepted report is in the outbox when the 204 arrives", "[status]") {
  ServedGateway gw;
  CHECK(post_status(gw, R"({"deployment":"sensor-2.1","state":"installed","version":"2.1",)"
                        R"("reason":""})") == 204);
  auto rows = gw.store->kv_scan(fleetgate::cache::Table::outbox, "");
  REQUIRE(rows->size() == 1);
  auto j = nlohmann::json::parse((*rows)[0].second);
  CHECK(j["device"] == "sensor-1");
  CHECK(j["deployment"] == "sensor-2.1");
  CHECK(j["state"] == "installed");
  CHECK(post_status(gw, R"({"deployment":"sensor-2.1","state":"failed","reason":"disk"})") ==
        204);
  CHECK(outbox(gw) == 2);
}
