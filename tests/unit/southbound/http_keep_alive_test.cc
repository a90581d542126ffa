// Keep-alive, pipelining, HEAD and Connection: close.
#include <catch2/catch.hpp>

#include "served_gateway.h"

using namespace fleetgate::testing;

TEST_CASE("pipelined requests are answered in order on one connection", "[http_server]") {
  ServedGateway gw;
  std::string blob(300'000, 'x');
  auto d = gw.store.add(blob);
  gw.oracle.public_blobs.insert(d);
  Client c(gw.port());
  c.send(get("/healthz") + get("/v1/blobs/sha256/" + d.hex()) + get("/nope") + get("/healthz"));
  CHECK(c.response().status == 200);
  auto b = c.response();
  CHECK(b.status == 200);
  CHECK(b.body == blob);
  CHECK(c.response().status == 404);
  CHECK(c.response().status == 200);
  // The connection stays open for more.
  c.send(get("/healthz"));
  CHECK(c.response().status == 200);
  CHECK(gw.stop());
}

TEST_CASE("HEAD gets the GET headers and no body", "[http_server]") {
  ServedGateway gw;
  auto d = gw.store.add(std::string(1000, 'h'));
  gw.oracle.public_blobs.insert(d);
  Client c(gw.port());
  c.send("HEAD /v1/blobs/sha256/" + d.hex() + " HTTP/1.1\r\nHost: gw\r\n\r\n");
  auto r = c.response(/*head=*/true);
  CHECK(r.status == 200);
  REQUIRE(r.header("content-length") != nullptr);
  CHECK(*r.header("content-length") == "1000");
  CHECK(gw.store.open_transfers() == 0);
  c.send(get("/healthz"));  // no stray body bytes were sent after the HEAD answer
  auto h = c.response();
  CHECK(h.status == 200);
  CHECK(h.body == "ok\n");
  CHECK(gw.stop());
}

TEST_CASE("Connection: close and HTTP/1.0 end the connection after the answer", "[http_server]") {
  ServedGateway gw;
  {
    Client c(gw.port());
    c.send(get("/healthz", "Connection: close\r\n"));
    auto r = c.response();
    CHECK(r.status == 200);
    REQUIRE(r.header("connection") != nullptr);
    CHECK(*r.header("connection") == "close");
    CHECK(c.closed_by_server());
  }
  {
    Client c(gw.port());
    c.send("GET /healthz HTTP/1.0\r\n\r\n");
    CHECK(c.response().status == 200);
    CHECK(c.closed_by_server());
  }
  CHECK(gw.stop());
}

TEST_CASE("stop_accepting closes idle connections and refuses new ones", "[http_server]") {
  ServedGateway gw;
  Client idle(gw.port());
  idle.send(get("/healthz"));
  CHECK(idle.response().status == 200);
  Client half(gw.port());
  half.send("GET /healthz HTTP/1.1\r\n");  // a request in progress
  size_t busy = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (busy == 0 && std::chrono::steady_clock::now() < deadline) {
    gw.on_loop([&] { busy = gw.server->in_flight(); });
  }
  CHECK(busy == 1);
  gw.on_loop([&] { gw.server->stop_accepting(); });
  CHECK(idle.closed_by_server());
  half.send("Host: gw\r\n\r\n");
  auto r = half.response();
  CHECK(r.status == 200);
  REQUIRE(r.header("connection") != nullptr);
  CHECK(*r.header("connection") == "close");
  CHECK(half.closed_by_server());
  CHECK_THROWS(Client(gw.port()));  // nothing listens any more
  CHECK(gw.stop());
}
