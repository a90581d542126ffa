// GET /n/{id} over DTLS-PSK with the real coap-client-gnutls: the same JSON as HTTP for an
// update, an empty 2.05 for nothing to do, 5.03 + Max-Age to come back later; a wrong PSK
// or an unknown identity fails the handshake; another device's id is 4.03.
#include <catch2/catch.hpp>

#include "coap_fixture.h"
#include "southbound/next_json.h"

using namespace fleetgate;
using namespace fleetgate::testing;

namespace {
southbound::NextAnswer update_for(const Sha256Digest& d) {
  southbound::NextAnswer a;
  a.kind = southbound::NextAnswer::Kind::update;
  a.deployment = "sensor-2.1";
  a.target = "fw/sensor-v2.1.bin";
  a.length = 1048576;
  a.sha256 = d;
  return a;
}
const auto kSensor1 = as_device("sensor-1", "psk-of-sensor-1-0123456789");
}  // namespace

TEST_CASE("coap next over DTLS answers the same JSON as HTTP") {
  ServedCoap gw;
  auto a = update_for(Sha256::of(std::string_view("firmware")));
  gw.oracle.next_by_device["sensor-1"] = a;
  auto args = kSensor1;
  args.push_back(gw.coaps_uri("/n/sensor-1"));
  auto r = coap_client(args);
  INFO(r.out << r.err);
  CHECK(r.out == southbound::next_json(a));
  CHECK(gw.metrics.render().find("fleetgate_coap_requests_total{class=\"2xx\"} 1") !=
        std::string::npos);
}

TEST_CASE("coap next with nothing to do is 2.05 with an empty payload") {
  ServedCoap gw;
  auto args = kSensor1;
  args.insert(args.end(), {"-v", "6", gw.coaps_uri("/n/sensor-1")});
  auto r = coap_client(args);
  INFO(r.out << r.err);
  CHECK(r.out.find("2.05") != std::string::npos);
  CHECK(r.out.find("fleetgate") == std::string::npos);
}
