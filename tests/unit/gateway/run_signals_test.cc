// `fleetgate run` as a process: bad configuration exits 2 before starting anything,
// SIGTERM/SIGINT exit 0 within a deadline, SIGHUP with a broken file keeps it running.
#include <catch2/catch.hpp>

#include <csignal>
#include <regex>

#include "tests/unit/gateway/child_process.h"

namespace fleetgate::testing {
namespace {

using namespace std::chrono_literals;

std::string good_config(const TempDir& dir, const std::string& extra = "") {
  return "state_dir = \"" + (dir.path() + "/state") +
         "\"\nshutdown_grace = \"1s\"\n[http]\nlisten = [\"127.0.0.1:0\"]\n"
         "[coap]\nlisten = [\"127.0.0.1:0\"]\ndtls_listen = [\"127.0.0.1:0\"]\n" +
         extra;
}

TEST_CASE("run with a bad configuration exits 2, names the problem and starts nothing") {
  TempDir dir;
  std::string path = dir.file("bad.toml", "state_dir = \"" + (dir.path() + "/state") +
                                              "\"\n[cache]\nquota = \"lots\"\n");
  auto r = run_to_end({FG_BINARY, "run", "-c", path});
  CHECK(r.code == 2);
  INFO(r.err);
  CHECK(r.err.find(path + ":3:9: key 'cache.quota'") != std::string::npos);
  CHECK(r.err.find("gateway started") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/state"));
}

TEST_CASE("SIGTERM and SIGINT stop the gateway with exit 0 within the grace period") {
  int sig = GENERATE(SIGTERM, SIGINT);
  TempDir dir;
  std::string path = dir.file("ok.toml", good_config(dir));
  ChildProcess p({FG_BINARY, "run", "-c", path});
  REQUIRE(p.started());
  REQUIRE(p.wait_for("gateway started", 10s));
  CHECK(std::filesystem::is_directory(dir.path() + "/state"));
  p.signal(sig);
  auto code = p.wait_exit(5s);
  INFO(p.err());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(p.err().find("stopping: no longer accepting") != std::string::npos);
  CHECK(p.err().find("msg=\"stopped\"") != std::string::npos);
}

TEST_CASE("SIGHUP with a broken file logs the error and keeps running on the old config") {
  TempDir dir;
  std::string path = dir.file("ok.toml", good_config(dir));
  ChildProcess p({FG_BINARY, "run", "-c", path});
  REQUIRE(p.wait_for("gateway started", 10s));
  dir.file("ok.toml", "[http\nlisten = 1\n");
  p.signal(SIGHUP);
  REQUIRE(p.wait_for("configuration reload failed", 5s));
  CHECK(p.err().find("malformed TOML") != std::string::npos);
  CHECK(p.running());

  // A good file afterwards is taken over; the new log level shows.
  dir.file("ok.toml", good_config(dir, "[log]\nlevel = \"debug\"\nformat = \"json\"\n"));
  p.signal(SIGHUP);
  REQUIRE(p.wait_for("configuration reloaded", 5s));
  CHECK(p.running());
  // The listeners stay: CoAP still answers (4.01: plain CoAP carries no device identity).
  std::smatch m;
  std::string err = p.err();
  REQUIRE(std::regex_search(err, m, std::regex("coap=(127\\.0\\.0\\.1:[0-9]+)")));
  auto coap = run_to_end({"/usr/bin/coap-client-gnutls", "-B", "5", "-v", "6",
                          "coap://" + std::string(m[1]) + "/n/any"});
  CHECK((coap.out + coap.err).find("4.01") != std::string::npos);
  p.signal(SIGTERM);
  auto code = p.wait_exit(5s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  // After the reload, lines are JSON.
  CHECK(p.err().find("{\"ts\":") != std::string::npos);
}

}  // namespace
}  // namespace fleetgate::testing
