// Slowloris safety: head and idle timeouts close connections; caps refuse extras.
#include <catch2/catch.hpp>

#include "served_gateway.h"

using namespace fleetgate::testing;
using namespace std::chrono_literals;

TEST_CASE("a request head trickling in is cut at the head timeout with 408", "[http_server]") {
  fleetgate::southbound::HttpServerOptions o;
  o.head_timeout = 150ms;
  ServedGateway gw(o);
  Client c(gw.port());
  c.send("GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Slow: ");
  auto r = c.response(false, 3s);
  CHECK(r.status == 408);
  CHECK(c.closed_by_server(3s));
  CHECK(gw.stop());
}

TEST_CASE("an idle keep-alive connection is closed at the idle timeout", "[http_server]") {
  fleetgate::southbound::HttpServerOptions o;
  o.idle_timeout = 150ms;
  ServedGateway gw(o);
  Client c(gw.port());
  c.send(get("/healthz"));
  CHECK(c.response().status == 200);
  CHECK(c.closed_by_server(3s));
  CHECK(gw.stop());
}

TEST_CASE("connections past the per-client cap get 503 with Retry-After and are closed",
          "[http_server]") {
  fleetgate::southbound::HttpServerOptions o;
  o.max_connections_per_client = 2;
  ServedGateway gw(o);
  Client a(gw.port()), b(gw.port());
  a.send(get("/healthz"));
  b.send(get("/healthz"));
  CHECK(a.response().status == 200);
  CHECK(b.response().status == 200);
  Client c(gw.port());
  c.send(get("/healthz"));
  auto refused = c.response();
  CHECK(refused.status == 503);
  REQUIRE(refused.header("retry-after") != nullptr);
  CHECK(*refused.header("retry-after") == "5");
  CHECK(refused.body == "too many connections; retry\n");
  CHECK(c.closed_by_server());
  // The admitted connections are unaffected.
  a.send(get("/healthz"));
  CHECK(a.response().status == 200);
  CHECK(gw.stop());
}

TEST_CASE("connections past the global cap get 503 and are closed", "[http_server]") {
  fleetgate::southbound::HttpServerOptions o;
  o.max_connections = 1;
  ServedGateway gw(o);
  Client a(gw.port());
  a.send(get("/healthz"));
  CHECK(a.response().status == 200);
  Client c(gw.port());
  c.send(get("/healthz"));
  CHECK(c.response().status == 503);
  CHECK(c.closed_by_server());
  uint64_t refused = 0;
  gw.on_loop([&] { refused = gw.server->stats().refused_global_cap; });
  CHECK(refused == 1);
  CHECK(gw.stop());
}
