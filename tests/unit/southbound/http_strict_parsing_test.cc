// Malformed or oversized requests get the right 4xx and the connection is closed.
#include <catch2/catch.hpp>

#include "served_gateway.h"

using namespace fleetgate::testing;

namespace {
int status_then_closed(ServedGateway& gw, const std::string& wire, bool* closed) {
  Client c(gw.port());
  c.send(wire);
  auto r = c.response();
  *closed = c.closed_by_server();
  return r.status;
}
}  // namespace

TEST_CASE("server answers /healthz", "[http_server]") {
  ServedGateway gw;
  Client c(gw.port());
  c.send(get("/healthz"));
  auto r = c.response();
  CHECK(r.status == 200);
  CHECK(r.body == "ok\n");
  REQUIRE(r.header("date") != nullptr);
  CHECK(gw.stop());
}

TEST_CASE("server rejects smuggling-shaped requests with 400 and closes", "[http_server]") {
  ServedGateway gw;
  bool closed = false;
  CHECK(status_then_closed(gw, "GET /healthz HTTP/1.1\r\nHost: gw\r\nX-A: a\rb\r\n\r\n",
                           &closed) == 400);
  CHECK(closed);
  CHECK(status_then_closed(gw,
                           "POST /v1/devices/sensor-1/status HTTP/1.1\r\nHost: gw\r\n"
                           "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                           &closed) == 400);
  CHECK(closed);
  CHECK(status_then_closed(gw, "GET /healthz HTTP/1.1\r\nHost: gw\nX: y\r\n\r\n", &closed) ==
        400);
  CHECK(closed);
  CHECK(gw.stop());
}

TEST_CASE("server answers oversize target, head and body with 414, 431, 413", "[http_server]") {
  fleetgate::southbound::HttpServerOptions o;
  o.limits.max_target_bytes = 256;
  o.limits.max_head_bytes = 1024;
  o.limits.max_body_bytes = 128;
  ServedGateway gw(o);
  bool closed = false;
  CHECK(status_then_closed(gw, get("/" + std::string(300, 'a')), &closed) == 414);
  CHECK(closed);
  CHECK(status_then_closed(gw, get("/healthz", "X-Big: " + std::string(2000, 'b') + "\r\n"),
                           &closed) == 431);
  CHECK(closed);
  CHECK(status_then_closed(gw,
                           "POST /v1/devices/sensor-1/status HTTP/1.1\r\nHost: gw\r\n"
                           "Content-Length: 129\r\n\r\n",
                           &closed) == 413);
  CHECK(closed);
  CHECK(gw.stop());
}
