// POST /s/{id} with the real coap-client-gnutls over DTLS: a valid report is in the outbox
// before the 2.04; bad JSON is 4.00 with the same diagnostic as HTTP; another device's
// id is 4.03; a non-JSON Content-Format is 4.15.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "coap_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;

namespace {
Completed post(ServedCoap& gw, const std::string& path, const std::string& body,
               const std::string& format = "50") {
  auto args = as_device("sensor-1", kPsk1);
  args.insert(args.end(), {"-v", "6", "-m", "post", "-t", format, "-e", body, gw.coaps_uri(path)});
  return coap_client(args);
}

std::vector<std::pair<std::string, std::string>> outbox(ServedCoap& gw) {
  std::vector<std::pair<std::string, std::string>> rows;
  gw.on_loop([&] { rows = gw.store->kv_scan(cache::Table::outbox, "").value(); });
  return rows;
}
}  // namespace

TEST_CASE("coap status report is recorded in the outbox and acknowledged with 2.04") {
  ServedCoap gw;
  auto r =
      post(gw, "/s/sensor-1", R"({"deployment":"sensor-2.1","state":"installed","version":"2.1"})");
  INFO(r.out << r.err);
  CHECK(r.out.find("2.04") != std::string::npos);
  auto rows = outbox(gw);
  REQUIRE(rows.size() == 1);
  auto rec = nlohmann::json::parse(rows[0].second);
  CHECK(rec["device"] == "sensor-1");
  CHECK(rec["deployment"] == "sensor-2.1");
  CHECK(rec["state"] == "installed");
  CHECK(rec["version"] == "2.1");
}

TEST_CASE("coap status report with bad JSON is 4.00 with a diagnostic") {
  ServedCoap gw;
  auto bad = post(gw, "/s/sensor-1", R"({"deployment": "d", "state": )");
  INFO(bad.out << bad.err);
  CHECK((bad.out + bad.err).find("4.00") != std::string::npos);
  CHECK((bad.out + bad.err).find("status report rejected: body is not valid JSON") !=
        std::string::npos);
  auto state = post(gw, "/s/sensor-1", R"({"deployment":"d","state":"exploded"})");
  CHECK((state.out + state.err).find("state 'exploded' is not one of") != std::string::npos);
  CHECK(outbox(gw).empty());
}

TEST_CASE("coap status report for another device or in another format is refused") {
  ServedCoap gw;
  auto other = post(gw, "/s/sensor-2", R"({"deployment":"d","state":"installed"})");
  CHECK((other.out + other.err).find("4.03") != std::string::npos);
  auto text = post(gw, "/s/sensor-1", R"({"deployment":"d","state":"installed"})", "0");
  CHECK((text.out + text.err).find("4.15") != std::string::npos);
  CHECK(outbox(gw).empty());
}

TEST_CASE("coap status report larger than the payload cap is 4.13") {
  ServedCoap gw;
  // coap-client sends a body this large in Block1 pieces; either way it is refused.
  const std::string big =
      R"({"deployment":"d","state":"failed","reason":")" + std::string(3000, 'x') + R"("})";
  auto r = post(gw, "/s/sensor-1", big);
  INFO(r.out << r.err);
  CHECK((r.out + r.err).find("4.13") != std::string::npos);
  CHECK(outbox(gw).empty());
}
