// Who may read and report: 401 without a valid token, 403 for another device's id,
// 404 for a blob not assigned, identical whether or not the cache holds it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "served_gateway.h"

using namespace fleetgate::testing;

namespace {
const std::string kAuth1 = "Authorization: Bearer token-of-sensor-1-abcdef\r\n";
const std::string kAuth2 = "Authorization: Bearer token-of-sensor-2-abcdef\r\n";

fleetgate::http::Message ask(ServedGateway& gw, const std::string& wire) {
  Client c(gw.port());
  c.send(wire);
  return c.response();
}
}  // namespace

TEST_CASE("device endpoints need a valid bearer token", "[auth]") {
  ServedGateway gw;
  auto none = ask(gw, get("/v1/devices/sensor-1/next"));
  CHECK(none.status == 401);
  CHECK(none.header("www-authenticate") != nullptr);
  CHECK(ask(gw, get("/v1/devices/sensor-1/next", "Authorization: Bearer wrong-token-xxxxxxx\r\n"))
            .status == 401);
  CHECK(ask(gw, get("/v1/devices/sensor-1/next", "Authorization: Basic abc\r\n")).status == 401);
  CHECK(ask(gw, get("/v1/devices/sensor-1/next", kAuth1)).status == 204);
}

TEST_CASE("a device acts only as itself", "[auth]") {
  ServedGateway gw;
  CHECK(ask(gw, get("/v1/devices/sensor-2/next", kAuth1)).status == 403);
  CHECK(ask(gw, get("/v1/devices/no-such-device/next", kAuth1)).status == 403);
  std::string body = R"({"deployment":"d","state":"installed"})";
  std::string post = "POST /v1/devices/sensor-2/status HTTP/1.1\r\nHost: gw\r\n" + kAuth1 +
                     "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  CHECK(ask(gw, post).status == 403);
  CHECK(gw.store->kv_scan(fleetgate::cache::Table::outbox, "")->empty());
}

TEST_CASE("an unassigned blob is 404 whether cached or not; assigned is 200", "[auth]") {
  ServedGateway gw;
  auto d = gw.store.add("firmware for sensor-1");
  gw.oracle.assigned.insert({"sensor-1", d});
  std::string cached = "/v1/blobs/sha256/" + d.hex();
  std::string absent = "/v1/blobs/sha256/" + std::string(64, 'a');
  auto other_cached = ask(gw, get(cached, kAuth2));
  auto other_absent = ask(gw, get(absent, kAuth2));
  CHECK(other_cached.status == 404);
  CHECK(other_absent.status == 404);
  CHECK(other_cached.body == other_absent.body);
  CHECK(ask(gw, get(cached)).status == 401);
  CHECK(ask(gw, get(absent)).status == 401);
  auto mine = ask(gw, get(cached, kAuth1));
  CHECK(mine.status == 200);
  CHECK(mine.body == "firmware for sensor-1");
  CHECK(ask(gw, get(cached, "Authorization: Bearer forged-token-123456\r\n")).status == 401);
}

TEST_CASE("next answers update, nothing, or come back later", "[auth]") {
  ServedGateway gw;
  fleetgate::southbound::NextAnswer a;
  a.kind = fleetgate::southbound::NextAnswer::Kind::update;
  a.deployment = "sensor-2.1";
  a.target = "fw/sensor-v2.1.bin";
  a.length = 1048576;
  a.sha256 = fleetgate::Sha256::of("x");
  gw.oracle.next_by_device["sensor-1"] = a;
  fleetgate::southbound::NextAnswer later;
  later.kind = fleetgate::southbound::NextAnswer::Kind::come_back_later;
  later.retry_after = std::chrono::seconds(120);
  gw.oracle.next_by_device["sensor-2"] = later;
  auto r = ask(gw, get("/v1/devices/sensor-1/next", kAuth1));
  CHECK(r.status == 200);
  auto j = nlohmann::json::parse(r.body);
  CHECK(j["deployment"] == "sensor-2.1");
  CHECK(j["length"] == 1048576);
  CHECK(j["http"] == "/v1/blobs/sha256/" + a.sha256.hex());
  CHECK(j["coap"] == "/b/" + a.sha256.hex());
  CHECK(j["action"] == "install");
  auto l = ask(gw, get("/v1/devices/sensor-2/next", kAuth2));
  CHECK(l.status == 503);
  CHECK(*l.header("retry-after") == "120");
}
