// GET /n/{id} over DTLS-PSK with the real coap-client-gnutls: the same JSON as HTTP for an
// update, an empty 2.05 for nothing to do, 5.03 + Max-Age to come back later; a wrong PSK
// or an unknown identity fails the handshake; another device's id is 4.03; plain CoAP has
// no identity and gets 4.01.
#include <catch2/catch.hpp>


#include "coap_fixture.h"
#include "southbound/next_json.h"

using namespace fleetgate;
using namespace fleetgate::testing;
using namespace std::chrono_literals;

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
}  // namespace

TEST_CASE("coap next over DTLS answers the same JSON bytes as HTTP") {
  ServedCoap gw;
  auto a = update_for(Sha256::of(std::string_view("firmware")));
  gw.oracle.next_by_device["sensor-1"] = a;
  TempDir dir;
  const std::string file = dir.path() + "/next.json";
  auto r =
      coap_client(with(as_device("sensor-1", kPsk1), {"-o", file, gw.coaps_uri("/n/sensor-1")}));
  INFO(r.out << r.err);
  CHECK(slurp(file) == southbound::next_json(a));
  CHECK(gw.metrics.render().find("fleetgate_coap_requests_total{class=\"2xx\"} 1") !=
        std::string::npos);
}

TEST_CASE("coap next with nothing to do is 2.05 with an empty payload") {
  ServedCoap gw;
  auto r =
      coap_client(with(as_device("sensor-1", kPsk1), {"-v", "6", gw.coaps_uri("/n/sensor-1")}));
  INFO(r.out << r.err);
  CHECK(r.out.find("2.05") != std::string::npos);
  CHECK(r.out.find("sha256") == std::string::npos);
}

TEST_CASE("coap next says come back later with 5.03 and Max-Age") {
  ServedCoap gw;
  southbound::NextAnswer later;
  later.kind = southbound::NextAnswer::Kind::come_back_later;
  later.retry_after = 1234s;
  gw.oracle.next_by_device["sensor-1"] = later;
  auto r =
      coap_client(with(as_device("sensor-1", kPsk1), {"-v", "6", gw.coaps_uri("/n/sensor-1")}));
  INFO(r.out << r.err);
  const std::string all = r.out + r.err;
  CHECK(all.find("5.03") != std::string::npos);
  CHECK(all.find("Max-Age:1234") != std::string::npos);
}

TEST_CASE("coap next refuses a wrong PSK and an unknown identity at the handshake") {
  ServedCoap gw;
  gw.oracle.next_by_device["sensor-1"] = update_for(Sha256::of(std::string_view("fw")));
  auto wrong = coap_client(
      with(as_device("sensor-1", "not-the-psk-of-sensor-1"), {gw.coaps_uri("/n/sensor-1")}),
      /*give_up_s=*/1);
  INFO(wrong.out << wrong.err);
  CHECK(wrong.out.find("cannot send CoAP pdu") != std::string::npos);  // no session
  CHECK(wrong.out.find("sha256") == std::string::npos);
  CHECK(wrong.err.find("sha256") == std::string::npos);
  auto unknown = coap_client(with(as_device("sensor-9", kPsk1), {gw.coaps_uri("/n/sensor-9")}),
                             /*give_up_s=*/1);
  INFO(unknown.out << unknown.err);
  CHECK(unknown.out.find("2.05") == std::string::npos);
  CHECK(gw.metrics.render().find("fleetgate_coap_psk_unknown_identity_total 1") !=
        std::string::npos);
  // Nothing was answered at all.
  CHECK(gw.metrics.render().find("fleetgate_coap_requests_total{class=\"2xx\"} 0") !=
        std::string::npos);
}

TEST_CASE("coap next for another device's id is 4.03") {
  ServedCoap gw;
  auto r =
      coap_client(with(as_device("sensor-1", kPsk1), {"-v", "6", gw.coaps_uri("/n/sensor-2")}));
  INFO(r.out << r.err);
  CHECK((r.out + r.err).find("4.03") != std::string::npos);
}

TEST_CASE("plain coap has no device identity: next and status are 4.01") {
  ServedCoap gw;
  gw.oracle.next_by_device["sensor-1"] = update_for(Sha256::of(std::string_view("fw")));
  auto next = coap_client({"-v", "6", gw.coap_uri("/n/sensor-1")});
  INFO(next.out << next.err);
  CHECK((next.out + next.err).find("4.01") != std::string::npos);
  CHECK(next.out.find("sha256") == std::string::npos);
  auto status =
      coap_client({"-v", "6", "-m", "post", "-t", "50", "-e",
                   R"({"deployment":"d","state":"installed"})", gw.coap_uri("/s/sensor-1")});
  INFO(status.out << status.err);
  CHECK((status.out + status.err).find("4.01") != std::string::npos);
}

TEST_CASE("coap next in a format other than JSON is 4.06") {
  ServedCoap gw;
  gw.oracle.next_by_device["sensor-1"] = update_for(Sha256::of(std::string_view("fw")));
  auto r = coap_client(
      with(as_device("sensor-1", kPsk1), {"-v", "6", "-A", "60", gw.coaps_uri("/n/sensor-1")}));
  INFO(r.out << r.err);
  CHECK((r.out + r.err).find("4.06") != std::string::npos);
  CHECK(r.out.find("sha256") == std::string::npos);
}
