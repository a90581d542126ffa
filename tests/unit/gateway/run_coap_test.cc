// `fleetgate run` applies the [coap] keys to its CoAP server: a status report over the
// configured max_payload is refused with 4.13, one under it is recorded (2.04).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <regex>

#include "tests/unit/gateway/child_process.h"

namespace fleetgate::testing {
namespace {

using namespace std::chrono_literals;

TEST_CASE("run applies coap.max_payload to status reports over DTLS") {
  TempDir dir;
  const std::string psk = "psk-of-dev-1-0123456789";
  const std::string devices = dir.file(
      "devices.toml",
      "[[device]]\nid = \"dev-1\"\ngroup = \"g\"\nhardware = \"hw\"\npsk = \"" + psk + "\"\n");
  ::chmod(devices.c_str(), 0600);
  const std::string config = dir.file(
      "fleetgate.toml", "state_dir = \"" + dir.path() + "/state\"\nshutdown_grace = \"1s\"\n" +
                            "[http]\nlisten = [\"127.0.0.1:0\"]\n"
                            "[coap]\nlisten = []\ndtls_listen = [\"127.0.0.1:0\"]\n"
                            "max_payload = \"64B\"\n"
                            "[devices]\nfile = \"" + devices + "\"\n");
  ChildProcess p({FG_BINARY, "run", "-c", config});
  REQUIRE(p.wait_for("gateway started", 10s));
  std::smatch m;
  const std::string err = p.err();
  REQUIRE(std::regex_search(err, m, std::regex("coaps=(127\\.0\\.0\\.1:[0-9]+)")));
  const std::string uri = "coaps://" + std::string(m[1]) + "/s/dev-1";
  auto post = [&](const std::string& body) {
    auto r = run_to_end({"/usr/bin/coap-client-gnutls", "-B", "5", "-u", "dev-1", "-k", psk,
                         "-v", "6", "-m", "post", "-t", "50", "-e", body, uri},
                        15s);
    return r.out + r.err;
  };
  const std::string small = R"({"deployment":"d","state":"installed"})";  // 38 bytes
  const std::string large =
      R"({"deployment":"d","state":"failed","reason":")" + std::string(40, 'x') + R"("})";
  REQUIRE(small.size() <= 64);
  REQUIRE(large.size() > 64);
  const std::string refused = post(large);
  INFO(refused);
  CHECK(refused.find("4.13") != std::string::npos);
  const std::string recorded = post(small);
  INFO(recorded);
  CHECK(recorded.find("2.04") != std::string::npos);
  p.signal(SIGTERM);
  auto code = p.wait_exit(5s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

}  // namespace
}  // namespace fleetgate::testing
