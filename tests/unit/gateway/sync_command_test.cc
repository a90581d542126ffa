// `fleetgate sync -c FILE --once` as a user runs it: the real binary, a config file, a
// repository made by the publisher behind a file:// origin. Checks the exit statuses.
#include <stdio.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "sync_fixture.h"
#include "tests/support/cli_run.h"

using namespace fleetgate;
using fleetgate::testing::slurp;
using fleetgate::testing::TempDir;
using fleetgate::testing::CliRun;
using fleetgate::testing::run_fleetgate;

namespace {


struct CommandFixture {
  TempDir tmp;
  RealClock clock;  // the binary reads the real clock; the repository must match it
  std::string config = tmp.path() + "/fleetgate.toml";
  std::unique_ptr<gateway::Repository> repo;

  CommandFixture() {
    auto r = gateway::Repository::init(tmp.path() + "/repo", {}, clock);
    REQUIRE(r.ok());
    repo = std::make_unique<gateway::Repository>(std::move(r).value());
    REQUIRE(repo->add_target("fw/a.bin", std::string(1000, 'a')).ok());
    REQUIRE(repo->add_plan(R"({"site": "plant-7", "version": 2, "prefetch": ["fw/a.bin"]})").ok());
    write_config(repo->url());
  }
  void write_config(const std::string& origin) {
    std::ofstream(config) << "site = \"plant-7\"\nstate_dir = \"" << tmp.path()
                          << "/state\"\n\n[northbound]\norigin = \"" << origin
                          << "\"\ntrust_root = \"" << repo->root_path() << "\"\n";
  }
};

}  // namespace

TEST_CASE("sync --once exits 0 when synced and when already up to date") {
  CommandFixture f;
  CliRun first = run_fleetgate("sync -c " + f.config + " --once");
  INFO(first.output);
  CHECK(first.status == 0);
  CHECK_THAT(first.output, Catch::Contains("plan plant-7 version 2 (new), 1 fetched, 1 pinned"));
  CliRun second = run_fleetgate("sync -c " + f.config + " --once");
  INFO(second.output);
  CHECK(second.status == 0);
  CHECK_THAT(second.output, Catch::Contains("0 fetched"));
}

TEST_CASE("sync --once exits 1 naming the check when verification refuses") {
  CommandFixture f;
  REQUIRE(run_fleetgate("sync -c " + f.config + " --once").status == 0);
  const std::string ts_path = f.repo->metadata_dir() + "/timestamp.json";
  std::string ts = slurp(ts_path);
  auto doc = nlohmann::json::parse(ts);
  doc["signed"]["version"] = doc["signed"]["version"].get<int>() + 1;
  std::ofstream(ts_path) << doc.dump();
  CliRun r = run_fleetgate("sync -c " + f.config + " --once");
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("refused: bad signature"));
}

TEST_CASE("sync --once exits 75 when the origin is unreachable") {
  CommandFixture f;
  f.write_config("file://" + f.tmp.path() + "/unmounted/");
  CliRun r = run_fleetgate("sync -c " + f.config + " --once");
  INFO(r.output);
  CHECK(r.status == 75);
  CHECK_THAT(r.output, Catch::Contains("origin unreachable"));
}

TEST_CASE("sync exits 2 on usage and configuration errors") {
  CommandFixture f;
  CHECK(run_fleetgate("sync --once").status == 2);
  CHECK(run_fleetgate("sync -c " + f.config).status == 2);
  CHECK(run_fleetgate("sync -c " + f.tmp.path() + "/missing.toml --once").status == 2);
  std::ofstream(f.config, std::ios::app) << "bogus_key = 1\n";
  CHECK(run_fleetgate("sync -c " + f.config + " --once").status == 2);
  f.write_config("ftp://example/");
  CHECK(run_fleetgate("sync -c " + f.config + " --once").status == 2);
}
