// The example file documents every key at its default; values with units parse.
#include <catch2/catch.hpp>

#include "config/config.h"

namespace fleetgate::config {
namespace {

using namespace std::chrono_literals;

TEST_CASE("the example file parses to exactly the built-in defaults") {
  auto c = load_config(FG_SOURCE_DIR "/config/fleetgate.example.toml");
  INFO((c.ok() ? "" : c.error().to_string()));
  REQUIRE(c.ok());
  CHECK(*c == Config{});
}

TEST_CASE("an empty file gives the defaults") {
  auto c = parse_config("", "empty.toml");
  REQUIRE(c.ok());
  CHECK(*c == Config{});
  CHECK(c->cache.quota == 20ull << 30);
  CHECK(c->cache.commit_bytes == 32ull << 20);
  CHECK(c->cache.commit_interval == 2s);
  CHECK(c->http.listen == std::vector<std::string>{"127.0.0.1:8080"});
}

TEST_CASE("the design's sample configuration parses with its units") {
  auto c = parse_config(R"(
site = "plant-7"
state_dir = "/tmp/fg"
shutdown_grace = "2s"

[northbound]
origin = "https://updates.example.com/repo/"
trust_root = "/etc/fleetgate/root.json"
ca_file = ""
poll_interval = "5m"
wan_rate = "2MiB/s"
status_url = "https://status.example.com/fleetgate/"
status_outbox_max = 5000

[cache]
quota = "1.5GiB"
commit_bytes = "4MiB"
commit_interval = "750ms"

[http]
listen = ["127.0.0.1:0", "[::1]:8080"]
tls_listen = ["127.0.0.1:8443"]
tls_cert = "/etc/fleetgate/cert.pem"
tls_key = "/etc/fleetgate/key.pem"
max_body_bytes = 4096
idle_timeout = "1m30s"

[coap]
listen = []
max_sessions = 200
max_handshakes = 8
idle_timeout = "30s"
max_payload = "512B"
transfer_idle = "2s"

[log]
level = "debug"
format = "json"
)",
                        "sample.toml");
  INFO((c.ok() ? "" : c.error().to_string()));
  REQUIRE(c.ok());
  CHECK(c->site == "plant-7");
  CHECK(c->shutdown_grace == 2s);
  CHECK(c->northbound.poll_interval == 300s);
  CHECK(c->northbound.wan_rate == 2ull << 20);
  CHECK(c->northbound.status_outbox_max == 5000);
  CHECK(c->cache.quota == 3ull << 29);
  CHECK(c->cache.commit_bytes == 4ull << 20);
  CHECK(c->cache.commit_interval == 750ms);
  CHECK(c->http.listen.size() == 2);
  CHECK(c->http.max_body_bytes == 4096);
  CHECK(c->http.idle_timeout == 90s);
  CHECK(c->coap.listen.empty());
  CHECK(c->coap.dtls_listen == std::vector<std::string>{"127.0.0.1:5684"});
  CHECK(c->coap.max_sessions == 200);
  CHECK(c->coap.max_handshakes == 8);
  CHECK(c->coap.idle_timeout == 30s);
  CHECK(c->coap.max_payload == 512);
  CHECK(c->coap.transfer_idle == 2s);
  CHECK(c->log.level == LogLevel::debug);
  CHECK(c->log.format == LogFormat::json);
}

}  // namespace
}  // namespace fleetgate::config
