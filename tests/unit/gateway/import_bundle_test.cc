// `fleetgate cache import-bundle DIR|TAR` as an operator of an air-gapped site runs it: a
// repository made with `fleetgate repo`, packed with `tar -cf`, imported by the real
// binary. A good bundle is verified and pinned; a tampered, re-signed, truncated or
// compressed one is refused with a clear error and leaves nothing new visible.
#include <stdio.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cache/store.h"
#include "child_process.h"
#include "common/clock.h"
#include "config/config.h"
#include "gateway/repo_publisher.h"
#include "northbound/tar_index.h"
#include "sync_fixture.h"
#include "tests/support/cli_run.h"

using namespace fleetgate;
using fleetgate::northbound::Role;
using fleetgate::testing::slurp;
using fleetgate::testing::TempDir;
using fleetgate::testing::CliRun;
using fleetgate::testing::run_fleetgate;
using json = nlohmann::json;

namespace {


int sh(const std::string& cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

json meta_of(const std::string& bytes, uint64_t version) {
  return {{"version", version},
          {"length", bytes.size()},
          {"hashes", {{"sha256", Sha256::of(bytes).hex()}}}};
}

struct BundleSite {
  TempDir tmp;
  std::string dir = tmp.path();
  std::string repo_dir = dir + "/repo";
  std::string config = dir + "/fleetgate.toml";
  std::string firmware;
  std::string firmware_sha;

  BundleSite() {
    firmware.resize(700'000);
    for (size_t i = 0; i < firmware.size(); ++i) {
      firmware[i] = static_cast<char>((i * 2654435761u) >> 13);
    }
    firmware_sha = Sha256::of(firmware).hex();
    std::ofstream(dir + "/a.bin", std::ios::binary) << firmware;
    std::ofstream(dir + "/plan.json")
        << R"({"site": "plant-7", "version": 2, "prefetch": ["fw/a.bin"]})";
    for (const std::string& cmd :
         {"repo init " + repo_dir, "repo add " + repo_dir + " " + dir + "/a.bin --name fw/a.bin",
          "repo plan " + repo_dir + " " + dir + "/plan.json"}) {
      CliRun r = run_fleetgate(cmd);
      INFO(cmd << ": " << r.output);
      REQUIRE(r.status == 0);
    }
    // The origin is never contacted by an import: an unresolvable name proves it.
    std::ofstream(config) << "site = \"plant-7\"\nstate_dir = \"" << dir
                          << "/state\"\n\n[northbound]\norigin = "
                             "\"https://updates.example.invalid/repo/\"\ntrust_root = \""
                          << repo_dir << "/repository/1.root.json\"\n";
  }

  std::string pack(const std::string& name) const {
    const std::string tar = dir + "/" + name;
    REQUIRE(sh("tar -cf " + tar + " -C " + repo_dir + "/repository .") == 0);
    return tar;
  }

  CliRun import(const std::string& bundle) const {
    return run_fleetgate("cache -c " + config + " import-bundle " + bundle);
  }

  // What devices could be served: ready artifacts and the plan in force.
  struct Visible {
    std::vector<std::string> ready;
    std::optional<std::string> plan;
  };
  Visible visible() const {
    auto cfg = config::load_config(config);
    REQUIRE(cfg.ok());
    RealClock clock;
    auto store = cache::open_lmdb_store(cache::store_options_for(*cfg, clock));
    REQUIRE(store.ok());
    Visible v;
    auto listed = (*store)->list();
    REQUIRE(listed.ok());
    const std::vector<cache::ArtifactInfo> all = std::move(listed).value();
    for (const auto& a : all) {
      if (a.state == cache::ArtifactState::ready) v.ready.push_back(a.sha256.hex());
    }
    v.plan = (*store)->kv_get(cache::Table::plans, "plant-7").value();
    return v;
  }

  void expect_nothing_visible() const {
    const Visible v = visible();
    CHECK(v.ready.empty());
    CHECK_FALSE(v.plan.has_value());
  }
};

}  // namespace

TEST_CASE("import-bundle of a tar made by fleetgate repo and tar -cf verifies and pins") {
  BundleSite s;
  const std::string tar = s.pack("bundle.tar");
  CliRun r = s.import(tar);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK_THAT(r.output, Catch::Contains("imported bundle: plan plant-7 version 2 (new), 1 fetched, "
                                       "1 pinned"));
  const auto v = s.visible();
  CHECK(v.ready == std::vector<std::string>{s.firmware_sha});
  CHECK(v.plan.has_value());

  CliRun ls = run_fleetgate("cache -c " + s.config + " ls");
  INFO(ls.output);
  CHECK(ls.status == 0);
  CHECK_THAT(ls.output, Catch::Contains(s.firmware_sha));
  CHECK_THAT(ls.output, Catch::Contains("plan:plant-7"));
  CHECK_THAT(ls.output, Catch::Contains("fw/a.bin"));
  CliRun verify = run_fleetgate("cache -c " + s.config + " verify");
  CHECK(verify.status == 0);

  CliRun again = s.import(tar);
  INFO(again.output);
  CHECK(again.status == 0);
  CHECK_THAT(again.output, Catch::Contains("0 fetched, 1 pinned"));
}

TEST_CASE("import-bundle takes the repository directory, or the fleetgate repo directory") {
  BundleSite s;
  CliRun r = s.import(s.repo_dir + "/repository");
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK_THAT(r.output, Catch::Contains("1 fetched, 1 pinned"));
  CliRun again = s.import(s.repo_dir);
  INFO(again.output);
  CHECK(again.status == 0);
  CHECK_THAT(again.output, Catch::Contains("0 fetched, 1 pinned"));
  CHECK(s.visible().ready == std::vector<std::string>{s.firmware_sha});
}

TEST_CASE("import-bundle refuses a bundle with a flipped byte in a target") {
  BundleSite s;
  const std::string tar = s.pack("bundle.tar");
  std::string bytes = slurp(tar);
  auto index = northbound::index_tar(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  REQUIRE(index.ok());
  const std::string target = "targets/fw/" + s.firmware_sha + ".a.bin";
  REQUIRE(index->files.count(target) == 1);
  const northbound::TarEntry& e = index->files.at(target);
  bytes[e.data_offset + e.size / 2] ^= 0x20;
  std::ofstream(tar, std::ios::binary | std::ios::trunc) << bytes;

  CliRun r = s.import(tar);
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("refused: "));
  CHECK_THAT(r.output, Catch::Contains("fw/a.bin"));
  s.expect_nothing_visible();
}

TEST_CASE("import-bundle refuses a targets.json re-signed by a key the root does not name") {
  BundleSite s;
  {
    const RealClock clock;
    auto repo = gateway::Repository::open(s.repo_dir, clock);
    REQUIRE(repo.ok());
    auto other = gateway::Repository::init(s.dir + "/impostor", {}, clock);
    REQUIRE(other.ok());
    json targets = repo->body(Role::targets);
    const uint64_t tv = targets["version"].get<uint64_t>() + 1;
    targets["version"] = tv;
    const std::string targets_bytes = other->sign(Role::targets, targets).value();
    REQUIRE(repo->write_file(std::to_string(tv) + ".targets.json", targets_bytes).ok());
    json snap = repo->body(Role::snapshot);
    const uint64_t sv = snap["version"].get<uint64_t>() + 1;
    snap["version"] = sv;
    snap["meta"]["targets.json"] = meta_of(targets_bytes, tv);
    const std::string snap_bytes = repo->sign(Role::snapshot, snap).value();
    REQUIRE(repo->write_file(std::to_string(sv) + ".snapshot.json", snap_bytes).ok());
    json ts = repo->body(Role::timestamp);
    ts["version"] = ts["version"].get<uint64_t>() + 1;
    ts["meta"]["snapshot.json"] = meta_of(snap_bytes, sv);
    REQUIRE(repo->write_file("timestamp.json", repo->sign(Role::timestamp, ts).value()).ok());
  }
  CliRun r = s.import(s.pack("resigned.tar"));
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("refused: "));
  CHECK_THAT(r.output, Catch::Contains("targets"));
  CHECK_THAT(r.output, Catch::Contains("signature"));
  s.expect_nothing_visible();
}

TEST_CASE("import-bundle refuses a truncated tar naming the entry, then takes the whole one") {
  BundleSite s;
  const std::string tar = s.pack("bundle.tar");
  const std::string bytes = slurp(tar);
  const std::string cut = s.dir + "/cut.tar";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  CliRun r = s.import(cut);
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("refused: " + cut + ": tar entry '"));
  CHECK_THAT(r.output, Catch::Contains("truncated"));
  s.expect_nothing_visible();

  CliRun whole = s.import(tar);
  INFO(whole.output);
  CHECK(whole.status == 0);
  CHECK(s.visible().ready.size() == 1);
}

TEST_CASE("import-bundle refuses compressed tars and exits 2 on usage errors") {
  BundleSite s;
  REQUIRE(sh("tar -czf " + s.dir + "/bundle.tgz -C " + s.repo_dir + "/repository .") == 0);
  CliRun gz = s.import(s.dir + "/bundle.tgz");
  INFO(gz.output);
  CHECK(gz.status == 1);
  CHECK_THAT(gz.output, Catch::Contains("gzip file, not a tar archive"));

  CliRun no_config = run_fleetgate("cache --state-dir " + s.dir + "/state import-bundle " + s.repo_dir);
  CHECK(no_config.status == 2);
  CHECK_THAT(no_config.output, Catch::Contains("needs -c FILE"));
  CliRun missing = s.import(s.dir + "/no-such-bundle");
  CHECK(missing.status == 2);
  CHECK_THAT(missing.output, Catch::Contains("neither a directory nor a tar file"));
  CliRun empty_dir = s.import(s.dir + "/state");
  CHECK(empty_dir.status == 2);
  CHECK(run_fleetgate("cache -c " + s.config + " import-bundle").status == 2);
  s.expect_nothing_visible();
}

TEST_CASE("import-bundle refuses a bundle missing a target its plan names, and pins nothing") {
  BundleSite s;
  const std::string tar = s.dir + "/partial.tar";
  REQUIRE(sh("tar -cf " + tar + " -C " + s.repo_dir + "/repository --exclude='./targets/fw' .") ==
          0);
  CliRun r = s.import(tar);
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("refused: "));
  CHECK_THAT(r.output, Catch::Contains("bundle has no targets/fw/" + s.firmware_sha + ".a.bin"));
  s.expect_nothing_visible();
}
