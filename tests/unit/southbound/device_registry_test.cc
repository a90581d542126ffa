#include "southbound/device_registry.h"

#include <catch2/catch.hpp>

using fleetgate::southbound::DeviceRegistry;

TEST_CASE("registry keeps token hashes and authenticates by token", "[registry]") {
  auto reg = DeviceRegistry::parse(R"(
[[device]]
id = "a"
group = "g"
hardware = "h"
token = "0123456789abcdef-a"
[[device]]
id = "b"
psk = "secret"
)",
                                   "devices.toml");
  REQUIRE(reg.ok());
  CHECK(reg->size() == 2);
  REQUIRE(reg->authenticate("0123456789abcdef-a") != nullptr);
  CHECK(reg->authenticate("0123456789abcdef-a")->id == "a");
  CHECK(reg->authenticate("0123456789abcdef-b") == nullptr);
  CHECK(reg->find("b")->psk == "secret");
  CHECK_FALSE(reg->find("b")->has_token);
}

TEST_CASE("registry errors name the file and the problem", "[registry]") {
  auto unknown = DeviceRegistry::parse("[[device]]\nid = \"a\"\ntoken = \"0123456789abcdef\"\ncolor = 1\n", "d.toml");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find("d.toml") != std::string::npos);
  CHECK(unknown.error().message.find("color") != std::string::npos);
  CHECK_FALSE(DeviceRegistry::parse("[[device]]\ntoken = \"0123456789abcdef\"\n", "d").ok());
  CHECK_FALSE(DeviceRegistry::parse("[[device]]\nid = \"a\"\n", "d").ok());
  CHECK_FALSE(DeviceRegistry::parse("[[device]]\nid = \"a\"\ntoken = \"short\"\n", "d").ok());
  CHECK_FALSE(DeviceRegistry::parse(
                  "[[device]]\nid = \"a\"\npsk = \"k\"\n[[device]]\nid = \"a\"\npsk = \"k\"\n", "d")
                  .ok());
  CHECK_FALSE(DeviceRegistry::parse("[[device]]\nid = \"a/b\"\npsk = \"k\"\n", "d").ok());
  CHECK_FALSE(DeviceRegistry::parse("[[device]\n", "d").ok());
}
