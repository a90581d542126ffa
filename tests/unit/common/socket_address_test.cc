#include <catch2/catch.hpp>

#include "common/socket_address.h"

namespace fleetgate {
namespace {

TEST_CASE("IPv4 and bracketed IPv6 addresses parse and print back") {
  auto v4 = SocketAddress::parse("127.0.0.1:8080");
  REQUIRE(v4.ok());
  CHECK(v4->port() == 8080);
  CHECK(v4->to_string() == "127.0.0.1:8080");
  auto v6 = SocketAddress::parse("[::1]:5683");
  REQUIRE(v6.ok());
  CHECK(v6->is_v6());
  CHECK(v6->to_string() == "[::1]:5683");
}

TEST_CASE("malformed addresses are refused with the reason") {
  for (auto [text, why] :
       std::vector<std::pair<std::string, std::string>>{{"127.0.0.1", "missing ':port'"},
                                                        {"::1:80", "brackets"},
                                                        {"localhost:80", "numeric IPv4"},
                                                        {"127.0.0.1:70000", "0 to 65535"},
                                                        {"127.0.0.1:", "0 to 65535"},
                                                        {"[::1]80", "missing ':port'"}}) {
    auto r = SocketAddress::parse(text);
    INFO(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find(why) != std::string::npos);
    CHECK(r.error().message.find(text) != std::string::npos);
  }
}

}  // namespace
}  // namespace fleetgate
