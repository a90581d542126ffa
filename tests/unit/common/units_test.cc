// Sizes, rates and durations as written in configuration files and plans.
#include <catch2/catch.hpp>

#include "common/units.h"

namespace fleetgate {
namespace {

using std::chrono::milliseconds;

TEST_CASE("sizes parse with binary and decimal units") {
  CHECK(parse_size("0").value() == 0);
  CHECK(parse_size("1024").value() == 1024);
  CHECK(parse_size("20GiB").value() == 20ull << 30);
  CHECK(parse_size("2MiB").value() == 2ull << 20);
  CHECK(parse_size("512 KiB").value() == 512ull << 10);
  CHECK(parse_size("1.5GiB").value() == 3ull << 29);
  CHECK(parse_size("2MB").value() == 2'000'000);
  CHECK(parse_size("7B").value() == 7);
  CHECK(parse_size("1kib").value() == 1024);
}

TEST_CASE("bad sizes name the text and the reason") {
  struct Case {
    const char* text;
    const char* why;
  };
  for (auto c : {Case{"", "empty"}, Case{"GiB", "does not start with a number"},
                 Case{"12XB", "unknown unit 'XB'"}, Case{"99999999999999999999", "too large"},
                 Case{"20000000TiB", "too large"}, Case{"1.1B", "whole number of bytes"},
                 Case{"-1", "does not start with a number"}, Case{"1.", "followed by digits"}}) {
    auto r = parse_size(c.text);
    INFO(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find(c.why) != std::string::npos);
    CHECK(r.error().message.find("'" + std::string(c.text) + "'") != std::string::npos);
  }
}

TEST_CASE("rates accept an optional /s") {
  CHECK(parse_rate("2MiB/s").value() == 2ull << 20);
  CHECK(parse_rate("2MiB").value() == 2ull << 20);
  CHECK(parse_rate("0").value() == 0);
}

TEST_CASE("durations parse single and combined units") {
  CHECK(parse_duration("500ms").value() == milliseconds(500));
  CHECK(parse_duration("60s").value() == milliseconds(60'000));
  CHECK(parse_duration("15m").value() == milliseconds(900'000));
  CHECK(parse_duration("3h").value() == milliseconds(10'800'000));
  CHECK(parse_duration("1d").value() == milliseconds(86'400'000));
  CHECK(parse_duration("1h30m").value() == milliseconds(5'400'000));
  CHECK(parse_duration("0").value() == milliseconds(0));
}

TEST_CASE("bad durations name the text and the reason") {
  struct Case {
    const char* text;
    const char* why;
  };
  for (auto c :
       {Case{"60", "needs a unit"}, Case{"5 parsecs", "needs a unit"},
        Case{"5y", "unknown unit 'y'"}, Case{"30m1h", "largest to smallest"}, Case{"", "empty"},
        Case{"h", "expected a number"}, Case{"999999999999999999d", "too long"}}) {
    auto r = parse_duration(c.text);
    INFO(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find(c.why) != std::string::npos);
  }
}

TEST_CASE("sizes and durations format back to what parses to the same value") {
  CHECK(format_size(20ull << 30) == "20GiB");
  CHECK(format_size(1500) == "1500");
  CHECK(format_size(0) == "0");
  CHECK(format_duration(milliseconds(5'400'000)) == "1h30m");
  CHECK(format_duration(milliseconds(500)) == "500ms");
  CHECK(format_duration(milliseconds(0)) == "0s");
  for (uint64_t v : {1ull, 1024ull, 3ull << 29, 123456789ull}) {
    CHECK(parse_size(format_size(v)).value() == v);
  }
  for (int64_t v : {1, 999, 61'001, 90'061'001}) {
    CHECK(parse_duration(format_duration(milliseconds(v))).value() == milliseconds(v));
  }
}

}  // namespace
}  // namespace fleetgate
