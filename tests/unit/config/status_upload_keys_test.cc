// The [northbound] keys of the status uploader: status_interval and status_batch parse,
// and bad values name the key, the value and the range.
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

}  // namespace
}  // namespace fleetgate::config
