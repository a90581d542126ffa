// `fleetgate config check FILE`: exit 0 for a valid file, 2 with the error for a bad one.
#include <catch2/catch.hpp>

#include "tests/unit/gateway/child_process.h"

namespace fleetgate::cli_testing {
namespace {

TEST_CASE("config check accepts the example file") {
  auto r =
      run_to_end({FG_BINARY, "config", "check", FG_SOURCE_DIR "/config/fleetgate.example.toml"});
  CHECK(r.code == 0);
  CHECK(r.out.find("fleetgate.example.toml: ok") != std::string::npos);
}

TEST_CASE("config check refuses a bad file naming file, key, value and expectation") {
  TempDir dir;
  std::string path = dir.file("bad.toml", "[http]\nmax_body_bytes = \"lots\"\n");
  auto r = run_to_end({FG_BINARY, "config", "check", path});
  CHECK(r.code == 2);
  INFO(r.err);
  CHECK(r.err.find(path + ":2:18") != std::string::npos);
  CHECK(r.err.find("key 'http.max_body_bytes'") != std::string::npos);
  CHECK(r.err.find("got string \"lots\"") != std::string::npos);
  CHECK(r.err.find("expected a size") != std::string::npos);
}

TEST_CASE("config check of a missing file exits 2") {
  auto r = run_to_end({FG_BINARY, "config", "check", "/nonexistent/x.toml"});
  CHECK(r.code == 2);
  CHECK(r.err.find("cannot read configuration file '/nonexistent/x.toml'") != std::string::npos);
}

}  // namespace
}  // namespace fleetgate::cli_testing
