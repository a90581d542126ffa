// Each kind of configuration error names the file, the key, the value and what was expected.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "config/config.h"

namespace fleetgate::config {
namespace {

Error parse_error(std::string_view text) {
  auto c = parse_config(text, "/etc/fleetgate/fleetgate.toml");
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == Errc::config);
  return c.error();
}

void check_contains(const std::string& message, std::initializer_list<std::string_view> parts) {
  INFO(message);
  for (auto p : parts) CHECK(message.find(p) != std::string::npos);
}

TEST_CASE("an unknown key is named with its position and the keys that exist") {
  Error e = parse_error("[http]\nlisen = [\"127.0.0.1:80\"]\n");
  CHECK(e.detail == "unknown_key");
  check_contains(e.message, {"/etc/fleetgate/fleetgate.toml:2:1", "unknown key 'http.lisen'",
                             "listen, tls_listen", "expected one of"});
}

TEST_CASE("an unknown top-level table is an unknown key") {
  Error e = parse_error("[northbund]\norigin = \"\"\n");
  CHECK(e.detail == "unknown_key");
  check_contains(e.message, {"unknown key 'northbund'", "northbound"});
}

TEST_CASE("a value of the wrong type names the type it got and the one expected") {
  Error e = parse_error("[cache]\nquota = true\n");
  CHECK(e.detail == "wrong_type");
  check_contains(e.message, {"fleetgate.toml:2:9", "key 'cache.quota'", "got boolean true",
                             "expected a size", "\"20GiB\""});
}

TEST_CASE("a duration given as a bare number is the wrong type") {
  Error e = parse_error("[northbound]\npoll_interval = 60\n");
  CHECK(e.detail == "wrong_type");
  check_contains(e.message,
                 {"key 'northbound.poll_interval'", "got integer 60", "a duration string such as"});
}

TEST_CASE("a section that is not a table is the wrong type") {
  Error e = parse_error("http = \"127.0.0.1:80\"\n");
  CHECK(e.detail == "wrong_type");
  check_contains(e.message, {"key 'http'", "got string \"127.0.0.1:80\"", "a table [http]"});
}

TEST_CASE("an out-of-range value names the range") {
  Error e = parse_error("[northbound]\npoll_interval = \"2d\"\n");
  CHECK(e.detail == "out_of_range");
  check_contains(e.message, {"fleetgate.toml:2:17", "key 'northbound.poll_interval'",
                             "got string \"2d\"", "expected a duration from 1s to 1d"});
  Error neg = parse_error("[northbound]\nwan_rate = -5\n");
  CHECK(neg.detail == "out_of_range");
  check_contains(neg.message, {"key 'northbound.wan_rate'", "got integer -5", "per second"});
  Error conns = parse_error("[http]\nmax_connections = 0\n");
  check_contains(conns.message, {"got integer 0", "an integer from 1 to 1000000"});
}

TEST_CASE("the status outbox bound names its range") {
  Error e = parse_error("[northbound]\nstatus_outbox_max = 10\n");
  CHECK(e.detail == "out_of_range");
  check_contains(e.message, {"key 'northbound.status_outbox_max'", "got integer 10",
                             "an integer from 1000 to 100000000"});
}

TEST_CASE("CoAP limits name their range and unit") {
  Error payload = parse_error("[coap]\nmax_payload = \"1MiB\"\n");
  CHECK(payload.detail == "out_of_range");
  check_contains(payload.message, {"fleetgate.toml:2:15", "key 'coap.max_payload'",
                                   "got string \"1MiB\"", "a size from 64 to 64KiB"});
  Error idle = parse_error("[coap]\nidle_timeout = \"1500ms\"\n");
  CHECK(idle.detail == "invalid_value");
  check_contains(idle.message, {"key 'coap.idle_timeout'", "a whole number of seconds"});
  Error sessions = parse_error("[coap]\nmax_sessions = 0\n");
  check_contains(sessions.message, {"key 'coap.max_sessions'", "an integer from 1 to 1000000"});
  Error unknown = parse_error("[coap]\nblock_size = 512\n");
  check_contains(unknown.message, {"coap.block_size"});
}

TEST_CASE("a commit batch must be whole 256KiB chunks, from one chunk to 256MiB") {
  Error small = parse_error("[cache]\ncommit_bytes = \"64KiB\"\n");
  CHECK(small.detail == "out_of_range");
  check_contains(small.message, {"fleetgate.toml:2:16", "key 'cache.commit_bytes'",
                                 "got string \"64KiB\"", "a size from 256KiB to 256MiB"});
  Error big = parse_error("[cache]\ncommit_bytes = \"1GiB\"\n");
  CHECK(big.detail == "out_of_range");
  Error odd = parse_error("[cache]\ncommit_bytes = 1000000\n");
  CHECK(odd.detail == "invalid_value");
  check_contains(odd.message, {"key 'cache.commit_bytes'", "got integer 1000000",
                               "a whole number of 256KiB chunks"});
  Error often = parse_error("[cache]\ncommit_interval = \"10ms\"\n");
  CHECK(often.detail == "out_of_range");
  check_contains(often.message, {"key 'cache.commit_interval'", "got string \"10ms\"",
                                 "a duration from 100ms to 10m"});
}

TEST_CASE("an invalid value says what was expected instead") {
  Error level = parse_error("[log]\nlevel = \"verbose\"\n");
  CHECK(level.detail == "invalid_value");
  check_contains(level.message, {"key 'log.level'", "got string \"verbose\"",
                                 "one of \"debug\", \"info\", \"warn\", \"error\""});
  Error size = parse_error("[cache]\nquota = \"20 gigs\"\n");
  check_contains(size.message, {"key 'cache.quota'", "got string \"20 gigs\"", "unknown unit"});
  Error addr = parse_error("[http]\nlisten = [\"127.0.0.1:80\", \"localhost:80\"]\n");
  check_contains(addr.message,
                 {"key 'http.listen[1]'", "got string \"localhost:80\"", "numeric address"});
  Error origin = parse_error("[northbound]\norigin = \"ftp://x/\"\n");
  check_contains(origin.message, {"key 'northbound.origin'", "https://"});
  Error site = parse_error("site = \"../etc\"\n");
  check_contains(site.message, {"key 'site'", "\"../etc\""});
  Error tls = parse_error("[http]\ntls_listen = [\"127.0.0.1:8443\"]\n");
  check_contains(tls.message, {"key 'http.tls_cert' is missing", "tls_listen"});
}

TEST_CASE("malformed TOML is reported with its position") {
  Error e = parse_error("[http]\nlisten = [\"127.0.0.1:80\"\n");
  CHECK(e.detail == "malformed");
  check_contains(e.message, {"/etc/fleetgate/fleetgate.toml:", "malformed TOML"});
  Error dup = parse_error("site = \"a\"\nsite = \"b\"\n");
  check_contains(dup.message, {"fleetgate.toml:2:", "malformed TOML", "site"});
}

TEST_CASE("an unreadable file names the path and the reason") {
  auto missing = load_config("/nonexistent/fleetgate.toml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().detail == "unreadable");
  check_contains(missing.error().message,
                 {"cannot read configuration file '/nonexistent/fleetgate.toml'",
                  "No such file or directory"});
  auto dir = load_config("/");
  REQUIRE_FALSE(dir.ok());
  check_contains(dir.error().message, {"'/'", "Is a directory"});
}

TEST_CASE("a file with an error reports that file's name") {
  auto path = std::filesystem::temp_directory_path() /
              ("fg-config-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << "[cache]\nquota = \"-1\"\n";
  auto c = load_config(path.string());
  std::filesystem::remove(path);
  REQUIRE_FALSE(c.ok());
  check_contains(c.error().message, {path.string() + ":2:9", "key 'cache.quota'"});
}

}  // namespace
}  // namespace fleetgate::config
