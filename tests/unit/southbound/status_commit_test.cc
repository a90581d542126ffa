// Status reports over HTTP are committed off the loop thread, grouped: while a commit is
// held (a fault in the store) other devices are served; reports that arrive meanwhile
// share the next commit; the 204 still comes only once the report is durable.
#include <catch2/catch.hpp>

#include <memory>
#include <thread>
#include <vector>

#include "served_gateway.h"
#include "tests/support/poll.h"

using namespace fleetgate;
using namespace fleetgate::testing;
using namespace std::chrono_literals;

namespace {
std::string status_post(std::string_view device, std::string_view state) {
  const std::string body = R"({"deployment":"sensor-2.1","state":")" + std::string(state) + R"("})";
  return "POST /v1/devices/" + std::string(device) +
         "/status HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer token-of-" + std::string(device) +
         "-abcdef\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

size_t outbox(ServedGateway& gw) { return gw.store->kv_scan(cache::Table::outbox, "")->size(); }

size_t pending(ServedGateway& gw) {
  size_t n = 0;
  gw.on_loop([&] { n = gw.committer->pending(); });
  return n;
}
}  // namespace

TEST_CASE("the loop serves other devices while a status commit is held") {
  ServedGateway gw;
  gw.gate.hold();
  Client reporter(gw.port());
  reporter.send(status_post("sensor-1", "installed"));
  REQUIRE(gw.gate.wait_for_waiting(1));  // the append is on the worker, blocked

  Client other(gw.port());
  other.send(
      get("/v1/devices/sensor-2/next", "Authorization: Bearer token-of-sensor-2-abcdef\r\n"));
  CHECK(other.response(false, 2s).status == 204);
  other.send(get("/healthz"));
  CHECK(other.response(false, 2s).status == 200);
  CHECK(outbox(gw) == 0);  // not durable: not acknowledged either

  gw.gate.release();
  auto r = reporter.response();
  CHECK(r.status == 204);
  CHECK(outbox(gw) == 1);
  CHECK(gw.stop());
}

TEST_CASE("reports that arrive during a commit share the next one") {
  ServedGateway gw;
  gw.gate.hold();
  constexpr int kReports = 8;
  std::vector<std::unique_ptr<Client>> clients;
  clients.push_back(std::make_unique<Client>(gw.port()));
  clients[0]->send(status_post("sensor-1", "downloading"));
  REQUIRE(gw.gate.wait_for_waiting(1));
  for (int i = 1; i < kReports; ++i) {
    clients.push_back(std::make_unique<Client>(gw.port()));
    clients.back()->send(status_post(i % 2 ? "sensor-2" : "sensor-1", "installed"));
  }
  REQUIRE(poll_until([&] { return pending(gw) == kReports; }, 5s));
  gw.gate.release();
  for (auto& c : clients) CHECK(c->response().status == 204);
  CHECK(outbox(gw) == kReports);
  // The first alone, then the seven that waited, in one transaction.
  CHECK(gw.gate.commits() == 2);
  uint64_t commits = 0;
  gw.on_loop([&] { commits = gw.committer->stats().commits; });
  CHECK(commits == 2);
  CHECK(gw.stop());
}

TEST_CASE("a report the store fails to commit is answered 503 with Retry-After") {
  ServedGateway gw;
  gw.gate.fail_writes(true);
  Client c(gw.port());
  c.send(status_post("sensor-1", "failed"));
  auto r = c.response();
  CHECK(r.status == 503);
  REQUIRE(r.header("retry-after") != nullptr);
  CHECK(r.body.find("status report not recorded") != std::string::npos);
  CHECK(outbox(gw) == 0);
  // The connection is kept, and the next report goes through once the store works.
  gw.gate.fail_writes(false);
  c.send(status_post("sensor-1", "failed"));
  CHECK(c.response().status == 204);
  CHECK(outbox(gw) == 1);
  CHECK(gw.stop());
}

TEST_CASE("a full status queue answers 503 at once") {
  southbound::StatusCommitterOptions commits;
  commits.max_queued = 1;
  ServedGateway gw({}, commits);
  gw.gate.hold();
  Client first(gw.port());
  first.send(status_post("sensor-1", "installing"));
  REQUIRE(gw.gate.wait_for_waiting(1));
  Client second(gw.port());
  second.send(status_post("sensor-2", "installing"));
  REQUIRE(poll_until([&] { return pending(gw) == 2; }, 5s));
  Client third(gw.port());
  third.send(status_post("sensor-2", "installed"));
  auto refused = third.response(false, 2s);  // while the commit is still held
  CHECK(refused.status == 503);
  CHECK(refused.header("retry-after") != nullptr);
  gw.gate.release();
  CHECK(first.response().status == 204);
  CHECK(second.response().status == 204);
  CHECK(outbox(gw) == 2);
  CHECK(gw.stop());
}

TEST_CASE("a device that hangs up before its answer still has its report recorded") {
  ServedGateway gw;
  gw.gate.hold();
  {
    Client gone(gw.port());
    gone.send(status_post("sensor-1", "installed"));
    REQUIRE(gw.gate.wait_for_waiting(1));
  }
  // Reading is stopped while the answer is awaited: the hang-up is seen when the late
  // answer is written, and the connection then closes.
  gw.gate.release();
  REQUIRE(poll_until(
      [&] {
        uint64_t open = 1;
        gw.on_loop([&] { open = gw.server->stats().open_connections + gw.committer->pending(); });
        return open == 0;
      },
      5s));
  CHECK(outbox(gw) == 1);
  CHECK(gw.stop());
}

TEST_CASE("requests pipelined behind a report wait for its answer, in order") {
  ServedGateway gw;
  gw.gate.hold();
  Client c(gw.port());
  c.send(status_post("sensor-1", "downloaded") + get("/healthz") +
         status_post("sensor-1", "installed") + get("/healthz"));
  REQUIRE(gw.gate.wait_for_waiting(1));
  gw.gate.release();
  CHECK(c.response().status == 204);
  CHECK(c.response().status == 200);
  CHECK(c.response().status == 204);
  CHECK(c.response().status == 200);
  CHECK(outbox(gw) == 2);
  c.send(get("/healthz"));  // keep-alive
  CHECK(c.response().status == 200);
  CHECK(gw.stop());
}

TEST_CASE("a deferred answer not given in reply_timeout is a 503 and the connection closes") {
  southbound::HttpServerOptions o;
  o.reply_timeout = 200ms;
  ServedGateway gw(o);
  gw.gate.hold();
  Client c(gw.port());
  c.send(status_post("sensor-1", "installed"));
  auto r = c.response();
  CHECK(r.status == 503);
  CHECK(c.closed_by_server());
  gw.gate.release();
  REQUIRE(poll_until([&] { return pending(gw) == 0; }, 5s));
  CHECK(outbox(gw) == 1);  // committed all the same: the device's retry is a duplicate
  CHECK(gw.stop());
}

TEST_CASE("stopping commits the reports still queued") {
  ServedGateway gw;
  gw.gate.hold();
  Client c(gw.port());
  c.send(status_post("sensor-1", "installed"));
  REQUIRE(gw.gate.wait_for_waiting(1));
  bool clean = false;
  std::thread stopper([&] { clean = gw.stop(); });
  CHECK(c.closed_by_server());  // the server closed its connections; the commit waits
  gw.gate.release();
  stopper.join();
  CHECK(clean);
  CHECK(outbox(gw) == 1);
}
