// The [northbound] keys of the daemon's sync loop (windows, nudge, mTLS and pins) and of
// the status uploader (status_interval, status_batch, status_ca_file, status_pins).
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

void check_contains(const std::string& message, std::initializer_list<std::string_view> parts) {
  for (std::string_view part : parts) {
    INFO(message);
    CHECK(message.find(part) != std::string::npos);
  }
}

TEST_CASE("status upload keys parse with their defaults") {
  auto defaults = parse_config("", "fg.toml");
  REQUIRE(defaults.ok());
  CHECK(defaults->northbound.status_interval == 10s);
  CHECK(defaults->northbound.status_batch == 500);

  auto c = parse_config(R"(site = "plant-7"
[northbound]
status_url = "https://status.example.com/fleetgate/"
status_interval = "2m"
status_batch = 10000
)",
                        "fg.toml");
  INFO((c.ok() ? "" : c.error().to_string()));
  REQUIRE(c.ok());
  CHECK(c->northbound.status_url == "https://status.example.com/fleetgate/");
  CHECK(c->northbound.status_interval == 120s);
  CHECK(c->northbound.status_batch == 10000);
}

TEST_CASE("status upload keys name their range") {
  check_contains(
      message_of("[northbound]\nstatus_interval = \"2h\"\n"),
      {"key 'northbound.status_interval'", "got string \"2h\"", "a duration from 1s to 1h"});
  check_contains(message_of("[northbound]\nstatus_interval = \"500ms\"\n"),
                 {"key 'northbound.status_interval'", "a duration from 1s to 1h"});
  check_contains(message_of("[northbound]\nstatus_interval = 10\n"),
                 {"key 'northbound.status_interval'", "got integer 10"});
  check_contains(message_of("[northbound]\nstatus_batch = 0\n"),
                 {"key 'northbound.status_batch'", "got integer 0", "an integer from 1 to 10000"});
  check_contains(message_of("[northbound]\nstatus_batch = 10001\n"),
                 {"key 'northbound.status_batch'", "an integer from 1 to 10000"});
  check_contains(message_of("[northbound]\nstatus_url = \"ftp://x/\"\n"),
                 {"key 'northbound.status_url'", "an https:// or http:// URL"});
  check_contains(message_of("[northbound]\nstatus_url = \"https://status.example.com/\"\n"),
                 {"fg.toml:2:14", "key 'northbound.status_url'", "site to be set too"});
}

TEST_CASE("status TLS keys are unset unless given, and an empty value still overrides") {
  auto defaults = parse_config("", "fg.toml");
  REQUIRE(defaults.ok());
  CHECK_FALSE(defaults->northbound.status_ca_file.has_value());
  CHECK_FALSE(defaults->northbound.status_pins.has_value());

  auto empty = parse_config("[northbound]\nstatus_ca_file = \"\"\nstatus_pins = []\n", "fg.toml");
  INFO((empty.ok() ? "" : empty.error().to_string()));
  REQUIRE(empty.ok());
  CHECK(empty->northbound.status_ca_file == std::optional<std::string>(""));
  REQUIRE(empty->northbound.status_pins.has_value());
  CHECK(empty->northbound.status_pins->empty());

  auto set = parse_config(R"([northbound]
status_ca_file = "/etc/fleetgate/status-ca.pem"
status_pins = ["sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]
)",
                          "fg.toml");
  REQUIRE(set.ok());
  CHECK(set->northbound.status_ca_file ==
        std::optional<std::string>("/etc/fleetgate/status-ca.pem"));
  REQUIRE(set->northbound.status_pins.has_value());
  CHECK(set->northbound.status_pins->size() == 1);

  check_contains(message_of("[northbound]\nstatus_pins = [\"md5//abc\"]\n"),
                 {"key 'northbound.status_pins[0]'", "sha256//"});
  check_contains(message_of("[northbound]\nstatus_ca_file = 7\n"),
                 {"key 'northbound.status_ca_file'", "got integer 7"});
}

}  // namespace
}  // namespace fleetgate::config
