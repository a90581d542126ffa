// Status reports over CoAP get a separate response: the real coap-client-gnutls gets the
// empty ACK at once and the 2.04 as a message of its own once the report is durable;
// meanwhile the loop serves other devices. A store failure is 5.03 + Max-Age.
#include <catch2/catch.hpp>

#include <thread>

#include "coap_fixture.h"
#include "tests/support/poll.h"

using namespace fleetgate;
using namespace fleetgate::testing;
using namespace std::chrono_literals;

namespace {
const std::string kPsk2 = "psk-of-sensor-2-0123456789";

Completed post_report(ServedCoap& gw, int give_up_s = 5) {
  auto args =
      with(as_device("sensor-1", kPsk1),
           {"-v", "6", "-m", "post", "-t", "50", "-e",
            R"({"deployment":"sensor-2.1","state":"installed"})", gw.coaps_uri("/s/sensor-1")});
  return coap_client(args, give_up_s);
}

size_t outbox(ServedCoap& gw) {
  size_t n = 0;
  gw.on_loop([&] { n = gw.store->kv_scan(cache::Table::outbox, "")->size(); });
  return n;
}
}  // namespace

TEST_CASE("coap: the loop serves other devices while a status commit is held") {
  ServedCoap gw;
  gw.gate.hold();
  Completed report;
  std::thread reporter([&] { report = post_report(gw, 10); });
  REQUIRE(gw.gate.wait_for_waiting(1, 10s));

  auto next =
      coap_client(with(as_device("sensor-2", kPsk2), {"-v", "6", gw.coaps_uri("/n/sensor-2")}));
  INFO(next.out << next.err);
  CHECK(next.out.find("2.05") != std::string::npos);
  size_t waiting = 0;
  gw.on_loop([&] { waiting = gw.server->in_flight(); });
  CHECK(waiting == 1);  // the report waits for its separate response

  gw.gate.release();
  reporter.join();
  INFO(report.out << report.err);
  CHECK(report.out.find("2.04") != std::string::npos);
  CHECK(outbox(gw) == 1);
  gw.on_loop([&] { waiting = gw.server->in_flight(); });
  CHECK(waiting == 0);
  CHECK(gw.stop());
}

TEST_CASE("coap: a report the store fails to commit is 5.03 with Max-Age") {
  ServedCoap gw;
  gw.gate.fail_writes(true);
  auto r = post_report(gw);
  INFO(r.out << r.err);
  const std::string all = r.out + r.err;
  CHECK(all.find("5.03") != std::string::npos);
  CHECK(all.find("2.04") == std::string::npos);
  CHECK(outbox(gw) == 0);
  CHECK(gw.stop());
}

TEST_CASE("coap: stopping with a report waiting drops its answer, not the report") {
  ServedCoap gw;
  gw.gate.hold();
  Completed report;
  std::thread reporter([&] { report = post_report(gw, 3); });
  REQUIRE(gw.gate.wait_for_waiting(1, 10s));
  bool clean = false;
  std::thread stopper([&] { clean = gw.stop(); });
  // The server closes (its waiting async goes with it) while the commit still runs, or
  // just after it: either way the loop ends clean and the report is stored.
  gw.gate.release();
  stopper.join();
  reporter.join();
  CHECK(clean);
  size_t n = gw.store->kv_scan(cache::Table::outbox, "")->size();
  CHECK(n == 1);
}

TEST_CASE("coap: draining answers the report waiting and refuses new ones with 5.03") {
  ServedCoap gw;
  gw.gate.hold();
  Completed report;
  std::thread reporter([&] { report = post_report(gw, 10); });
  REQUIRE(gw.gate.wait_for_waiting(1, 10s));
  // As the daemon stops: no new work, but the endpoints stay until the answer is out.
  gw.on_loop([&] { gw.server->stop_accepting(); });
  auto late = post_report(gw);
  INFO(late.out << late.err);
  CHECK((late.out + late.err).find("5.03") != std::string::npos);
  gw.gate.release();
  reporter.join();
  INFO(report.out << report.err);
  CHECK(report.out.find("2.04") != std::string::npos);
  size_t waiting = 1;
  gw.on_loop([&] { waiting = gw.server->in_flight(); });
  CHECK(waiting == 0);
  CHECK(outbox(gw) == 1);
  CHECK(gw.stop());
}
