// Every subcommand answers --help on stdout with exit 0; misuse exits 2.
#include <catch2/catch.hpp>

#include "tests/unit/gateway/child_process.h"

namespace fleetgate::cli_testing {
namespace {

TEST_CASE("fleetgate --help lists every subcommand") {
  auto r = run_to_end({FG_BINARY, "--help"});
  CHECK(r.code == 0);
  for (auto cmd : {"run", "sync", "repo", "cache", "status", "sim", "config"}) {
    CHECK(r.out.find(std::string("  ") + cmd + " ") != std::string::npos);
  }
}

TEST_CASE("run, config, status and sim explain themselves with --help") {
  for (std::string cmd : {"run", "config", "status", "sim"}) {
    auto r = run_to_end({FG_BINARY, cmd, "--help"});
    INFO(cmd << ": " << r.err);
    CHECK(r.code == 0);
    CHECK(r.out.rfind("usage: fleetgate " + cmd, 0) == 0);
  }
}

TEST_CASE("an unknown command or option exits 2 with the usage") {
  auto unknown = run_to_end({FG_BINARY, "frobnicate"});
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("unknown command 'frobnicate'") != std::string::npos);
  auto bad_opt = run_to_end({FG_BINARY, "run", "--frob"});
  CHECK(bad_opt.code == 2);
  CHECK(bad_opt.err.find("unexpected argument '--frob'") != std::string::npos);
  auto neither = run_to_end({FG_BINARY, "run"});
  CHECK(neither.code == 2);
}

TEST_CASE("subcommands of later issues say so and exit 2") {
  for (std::string cmd : {"status", "sim"}) {
    auto r = run_to_end({FG_BINARY, cmd});
    INFO(cmd);
    CHECK(r.code == 2);
    CHECK(r.err.find("not implemented yet") != std::string::npos);
  }
}

}  // namespace
}  // namespace fleetgate::cli_testing
