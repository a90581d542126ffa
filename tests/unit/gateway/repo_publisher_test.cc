#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "northbound/metadata.h"
#include "northbound/trusted_state.h"
#include "sync_fixture.h"

using namespace fleetgate;
using fleetgate::northbound::Role;
using fleetgate::testing::slurp;
using fleetgate::testing::TempDir;

namespace {

int run(const std::string& args) {
  int status = std::system((std::string(FG_BINARY) + " " + args + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("repo init writes keys 0600 and a consistent-snapshot root") {
  TempDir tmp;
  ManualClock clock;
  gateway::RepoInitOptions o;
  o.root_keys = 3;
  o.root_threshold = 2;
  auto repo = gateway::Repository::init(tmp.path() + "/r", o, clock);
  REQUIRE(repo.ok());
  size_t keys = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path() + "/r/keys")) {
    struct stat st;
    REQUIRE(::stat(e.path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    ++keys;
  }
  CHECK(keys == 6);
  auto env = northbound::parse_envelope(slurp(repo->root_path()), Role::root);
  REQUIRE(env.ok());
  auto root = northbound::parse_root(*env);
  REQUIRE(root.ok());
  CHECK(root->consistent_snapshot);
  CHECK(root->roles.at(Role::root).threshold == 2);
  CHECK(env->signatures.size() == 3);
  CHECK(gateway::Repository::init(tmp.path() + "/r", o, clock).error().code ==
        Errc::already_exists);
}

TEST_CASE("repo add stores the target under its hash-prefixed base name") {
  TempDir tmp;
  ManualClock clock;
  auto repo = gateway::Repository::init(tmp.path() + "/r", {}, clock);
  REQUIRE(repo.ok());
  REQUIRE(repo->add_target("fw/sensor-v2.bin", "payload", {{"hw", "b"}}).ok());
  const std::string hex = Sha256::of("payload").hex();
  CHECK(slurp(repo->metadata_dir() + "/targets/fw/" + hex + ".sensor-v2.bin") == "payload");
  CHECK(repo->body(Role::targets)["targets"]["fw/sensor-v2.bin"]["custom"]["hw"] == "b");
  CHECK(repo->body(Role::targets)["version"] == 2);
  CHECK_FALSE(repo->add_target("../escape", "x").ok());
  // A reopened repository continues from the files.
  auto again = gateway::Repository::open(tmp.path() + "/r", clock);
  REQUIRE(again.ok());
  CHECK(again->body(Role::targets)["targets"].contains("fw/sensor-v2.bin"));
}

TEST_CASE("repo rotate signs the new root with the old and the new root keys") {
  TempDir tmp;
  ManualClock clock;
  auto repo = gateway::Repository::init(tmp.path() + "/r", {}, clock);
  REQUIRE(repo.ok());
  const std::string v1 = slurp(repo->metadata_dir() + "/1.root.json");
  REQUIRE(repo->rotate(Role::root).ok());
  const std::string v2 = slurp(repo->metadata_dir() + "/2.root.json");
  CHECK(northbound::parse_envelope(v2, Role::root)->signatures.size() == 2);
  auto st = northbound::TrustedState::load(northbound::TrustedBytes{v1, {}, {}, {}},
                                           unix_seconds(clock.now()));
  REQUIRE(st.ok());
  CHECK(st->update_root(v2).ok());
}

TEST_CASE("repo commands refuse group- or world-readable keys") {
  TempDir tmp;
  const std::string dir = tmp.path() + "/r";
  REQUIRE(run("repo init " + dir) == 0);
  REQUIRE(run("repo timestamp " + dir) == 0);
  auto first = std::filesystem::directory_iterator(dir + "/keys")->path();
  std::filesystem::permissions(first, std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  CHECK(run("repo timestamp " + dir) == 2);
  std::filesystem::permissions(first, std::filesystem::perms::group_read,
                               std::filesystem::perm_options::remove);
  CHECK(run("repo timestamp " + dir) == 0);
  CHECK(run("repo rotate " + dir + " --role nobody") == 2);
  CHECK(run("repo frobnicate " + dir) == 2);
  CHECK(run("repo init " + tmp.path() + "/t --root-keys 1 --root-threshold 2") == 2);
}
