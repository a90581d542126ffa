// One event is one line: logfmt text or a JSON object, with the module tag and fields.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/log.h"

namespace fleetgate {
namespace {

const Logger kLog("cache");

TEST_CASE("text lines carry level, module, message and key=value fields") {
  std::string line = format_log_line(LogFormat::text, LogLevel::info, "cache", "artifact stored",
                                     {{"bytes", 1048576u}, {"name", "fw/a.bin"}, {"ok", true}});
  CHECK(line ==
        R"(level=info module=cache msg="artifact stored" bytes=1048576 name=fw/a.bin ok=true)");
}

TEST_CASE("text values with spaces, quotes or newlines are quoted and escaped") {
  std::string line = format_log_line(LogFormat::text, LogLevel::warn, "sync", "x",
                                     {{"reason", "bad \"sig\"\nnext"}, {"empty", ""}});
  CHECK(line == R"(level=warn module=sync msg="x" reason="bad \"sig\"\nnext" empty="")");
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("control bytes and DEL are escaped so a line is safe on a terminal") {
  std::string text = format_log_line(LogFormat::text, LogLevel::info, "m", "x",
                                     {{"v", "\x1b[2J\b\f\x7f\xc3\xa9"}});
  CHECK(text == R"(level=info module=m msg="x" v="\u001b[2J\u0008\u000c\u007f)"
                "\xc3\xa9\"");
  std::string json = format_log_line(LogFormat::json, LogLevel::info, "m", "x\x7f", {});
  CHECK(json == R"({"level":"info","module":"m","msg":"x\u007f"})");
}

TEST_CASE("json lines parse as JSON with numbers kept as numbers") {
  std::string line = format_log_line(LogFormat::json, LogLevel::error, "http", "read \"failed\"",
                                     {{"fd", -3}, {"ratio", 0.5}, {"peer", "::1\x01"}},
                                     "2026-01-01T00:00:00.000Z");
  auto j = nlohmann::json::parse(line);
  CHECK(j["ts"] == "2026-01-01T00:00:00.000Z");
  CHECK(j["level"] == "error");
  CHECK(j["module"] == "http");
  CHECK(j["msg"] == "read \"failed\"");
  CHECK(j["fd"] == -3);
  CHECK(j["ratio"] == 0.5);
  CHECK(j["peer"] == "::1\x01");
}

TEST_CASE("errors log as their full description") {
  Error e = make_error(Errc::network, "ECONNRESET", "peer reset the connection");
  std::string line = format_log_line(LogFormat::text, LogLevel::warn, "m", "lost", {{"error", e}});
  CHECK(line.find(R"(error="network: peer reset the connection [ECONNRESET]")") !=
        std::string::npos);
}

TEST_CASE("events below the level are dropped; the capture sees the rest") {
  LogCapture capture;
  set_log_level(LogLevel::warn);
  kLog.info("quiet");
  kLog.warn("loud", {{"n", 1}});
  auto lines = capture.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == R"(level=warn module=cache msg="loud" n=1)");
}

TEST_CASE("the json format applies process-wide and timestamps come from the clock") {
  LogCapture capture;
  ManualClock clock(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123)));
  set_log_clock(&clock);
  set_log_format(LogFormat::json);
  kLog.info("hello");
  set_log_format(LogFormat::text);
  set_log_clock(nullptr);
  auto lines = capture.lines();
  REQUIRE(lines.size() == 1);
  auto j = nlohmann::json::parse(lines[0]);
  CHECK(j["ts"] == "2023-11-14T22:13:20.123Z");
  CHECK(j["msg"] == "hello");
}

TEST_CASE("level and format names parse, unknown ones are refused with the choices") {
  CHECK(parse_log_level("debug").value() == LogLevel::debug);
  CHECK(parse_log_format("json").value() == LogFormat::json);
  auto bad = parse_log_level("verbose");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("debug, info, warn, error") != std::string::npos);
}

}  // namespace
}  // namespace fleetgate
