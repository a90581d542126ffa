// The [northbound] keys of the daemon's sync loop: windows, nudge, mTLS and pins.
#include <catch2/catch.hpp>

#include "config/config.h"

namespace fleetgate::config {
namespace {

using namespace std::chrono_literals;

std::string message_of(std::string_view text) {
  auto c = parse_config(text, "fg.toml");
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == Errc::config);
  return c.error().message;
}

TEST_CASE("sync window, nudge, mTLS and pin keys parse") {
  auto c = parse_config(R"([northbound]
sync_window = "0 2 * * 1-5"
sync_window_duration = "90m"
time_zone = "Europe/Berlin"
nudge_token_file = "/etc/fleetgate/nudge.token"
nudge_client_cn = "cloud"
client_cert = "/etc/fleetgate/origin-client.pem"
client_key = "/etc/fleetgate/origin-client.key"
pins = ["sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]
[http]
tls_client_ca = "/etc/fleetgate/clients-ca.pem"
)",
                        "fg.toml");
  INFO((c.ok() ? "" : c.error().to_string()));
  REQUIRE(c.ok());
  const NorthboundConfig& n = c->northbound;
  CHECK(n.sync_window == "0 2 * * 1-5");
  CHECK(n.sync_window_duration == 90min);
  CHECK(n.time_zone == "Europe/Berlin");
  CHECK(n.nudge_token_file == "/etc/fleetgate/nudge.token");
  CHECK(n.nudge_client_cn == "cloud");
  CHECK(n.client_cert == "/etc/fleetgate/origin-client.pem");
  CHECK(n.client_key == "/etc/fleetgate/origin-client.key");
  CHECK(n.pins.size() == 1);
  CHECK(c->http.tls_client_ca == "/etc/fleetgate/clients-ca.pem");
}

TEST_CASE("a bad cron expression names sync_window") {
  std::string m = message_of("[northbound]\nsync_window = \"0 25 * * *\"\n");
  INFO(m);
  CHECK(m.find("northbound.sync_window") != std::string::npos);
  CHECK(m.find("cron") != std::string::npos);
}

TEST_CASE("an unknown time zone names time_zone") {
  std::string m =
      message_of("[northbound]\nsync_window = \"0 2 * * *\"\ntime_zone = \"Mars/Olympus\"\n");
  INFO(m);
  CHECK(m.find("northbound.time_zone") != std::string::npos);
  CHECK(m.find("Mars/Olympus") != std::string::npos);
}

TEST_CASE("a malformed pin and a lone client key are refused") {
  std::string pin = message_of("[northbound]\npins = [\"md5//abc\"]\n");
  INFO(pin);
  CHECK(pin.find("northbound.pins[0]") != std::string::npos);
  std::string key = message_of("[northbound]\nclient_key = \"/k.pem\"\n");
  INFO(key);
  CHECK(key.find("northbound.client_key") != std::string::npos);
  CHECK(key.find("both") != std::string::npos);
}

}  // namespace
}  // namespace fleetgate::config
