// `fleetgate cache ...` run as the real binary against a store in a temporary directory.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include <catch2/catch.hpp>

#include "cache/store_testing.h"
#include "tests/support/cli_run.h"
#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

using testing::digest_of;
using testing::random_bytes;
using fleetgate::testing::TempDir;
using fleetgate::testing::CliRun;
using fleetgate::testing::run_fleetgate;


void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("cli: import, ls, export round trip", "[cache][cli]") {
  TempDir dir;
  const std::string sd = "--state-dir " + dir.path() + "/state";
  auto bytes = random_bytes(3 * kChunkSize + 17, 100);
  const std::string hex = digest_of(bytes).hex();
  write_file(dir.path() + "/a.bin", bytes);

  CliRun imp = run_fleetgate("cache " + sd + " import " + dir.path() + "/a.bin --sha256 " + hex + " --name fw/a.bin");
  INFO(imp.output);
  REQUIRE(imp.status == 0);

  CliRun ls = run_fleetgate("cache " + sd + " ls");
  INFO(ls.output);
  REQUIRE(ls.status == 0);
  CHECK_THAT(ls.output, Catch::Contains(hex) && Catch::Contains("ready") &&
                            Catch::Contains("fw/a.bin") &&
                            Catch::Contains(std::to_string(bytes.size())));

  CliRun exp = run_fleetgate("cache " + sd + " export " + hex + " " + dir.path() + "/out.bin");
  INFO(exp.output);
  REQUIRE(exp.status == 0);
  CHECK(read_file(dir.path() + "/out.bin") == bytes);

  // Importing it again is fine and adds the name.
  CliRun again = run_fleetgate("cache " + sd + " import " + dir.path() + "/a.bin --sha256 " + hex + " --name b.bin");
  CHECK(again.status == 0);
  CHECK_THAT(run_fleetgate("cache " + sd + " ls").output, Catch::Contains("fw/a.bin,b.bin"));
}

TEST_CASE("cli: import refuses a file whose SHA-256 differs", "[cache][cli]") {
  TempDir dir;
  const std::string sd = "--state-dir " + dir.path() + "/state";
  auto bytes = random_bytes(1000, 101);
  write_file(dir.path() + "/a.bin", bytes);
  const std::string other = digest_of(random_bytes(5, 102)).hex();
  CliRun imp = run_fleetgate("cache " + sd + " import " + dir.path() + "/a.bin --sha256 " + other);
  CHECK(imp.status == 1);
  CHECK_THAT(imp.output, Catch::Contains("expected " + other));
  CliRun ls = run_fleetgate("cache " + sd + " ls");
  CHECK_THAT(ls.output, !Catch::Contains(other) && Catch::Contains("0 artifacts"));
}

TEST_CASE("cli: verify exits 1 naming the corrupt artifact", "[cache][cli][integrity]") {
  TempDir dir;
  const std::string sd = "--state-dir " + dir.path() + "/state";
  auto good = random_bytes(kChunkSize + 1, 103);
  auto bad = random_bytes(2 * kChunkSize + 1, 104);
  write_file(dir.path() + "/good.bin", good);
  write_file(dir.path() + "/bad.bin", bad);
  REQUIRE(run_fleetgate("cache " + sd + " import " + dir.path() + "/good.bin --sha256 " + digest_of(good).hex())
              .status == 0);
  REQUIRE(run_fleetgate("cache " + sd + " import " + dir.path() + "/bad.bin --name fw/bad.bin --sha256 " +
                    digest_of(bad).hex())
              .status == 0);
  CliRun clean = run_fleetgate("cache " + sd + " verify");
  CHECK(clean.status == 0);
  {
    ManualClock clock;
    StoreOptions o;
    o.dir = dir.path() + "/state/cache";
    o.clock = &clock;
    auto store = open_lmdb_store(o);
    REQUIRE(store.ok());
    REQUIRE(corrupt_chunk_for_test(**store, digest_of(bad), 1, 99).ok());
  }
  CHECK(run_fleetgate("cache " + sd + " verify " + digest_of(good).hex()).status == 0);
  CliRun v = run_fleetgate("cache " + sd + " verify");
  INFO(v.output);
  CHECK(v.status == 1);
  CHECK_THAT(v.output, Catch::Contains("corrupt: " + digest_of(bad).hex()) &&
                           Catch::Contains("fw/bad.bin") &&
                           !Catch::Contains("corrupt: " + digest_of(good).hex()));
  CHECK_THAT(run_fleetgate("cache " + sd + " ls").output, Catch::Contains("quarantined"));
  CHECK(run_fleetgate("cache " + sd + " export " + digest_of(bad).hex() + " " + dir.path() + "/x").status == 1);
  CliRun gc = run_fleetgate("cache " + sd + " gc");
  CHECK(gc.status == 0);
  CHECK(run_fleetgate("cache " + sd + " verify").status == 0);
}

TEST_CASE("cli: -c FILE takes the store and quota from the configuration", "[cache][cli]") {
  TempDir dir;
  {
    std::ofstream toml(dir.path() + "/fleetgate.toml");
    toml << "state_dir = \"" << dir.path() << "/state\"\n[cache]\nquota = \"1MiB\"\n";
  }
  const std::string cfg = "-c " + dir.path() + "/fleetgate.toml";
  auto small = random_bytes(1000, 105);
  auto big = random_bytes(2 * kChunkSize, 106);
  write_file(dir.path() + "/small.bin", small);
  write_file(dir.path() + "/big.bin", big);
  CHECK(run_fleetgate("cache " + cfg + " import " + dir.path() + "/small.bin --sha256 " + digest_of(small).hex())
            .status == 0);
  CHECK_THAT(run_fleetgate("cache " + cfg + " ls").output,
             Catch::Contains(digest_of(small).hex()) && Catch::Contains("of 1MiB quota"));
  // The same store seen through --state-dir: it lives in <state_dir>/cache.
  CHECK_THAT(run_fleetgate("cache --state-dir " + dir.path() + "/state ls").output,
             Catch::Contains(digest_of(small).hex()));
  // 512 KiB more still fits under the 1 MiB quota; 1.25 MiB never can.
  CHECK(run_fleetgate("cache " + cfg + " import " + dir.path() + "/big.bin --sha256 " + digest_of(big).hex())
            .status == 0);
  auto huge = random_bytes(5 * kChunkSize, 107);
  write_file(dir.path() + "/huge.bin", huge);
  CliRun full =
      run_fleetgate("cache " + cfg + " import " + dir.path() + "/huge.bin --sha256 " + digest_of(huge).hex());
  CHECK(full.status == 1);
  CHECK_THAT(full.output, Catch::Contains("cache full"));
  CliRun bad = run_fleetgate("cache -c " + dir.path() + "/missing.toml ls");
  CHECK(bad.status != 0);
  CHECK_THAT(bad.output, Catch::Contains("missing.toml"));
}

TEST_CASE("cli: usage errors exit 2", "[cache][cli]") {
  TempDir dir;
  CHECK(run_fleetgate("cache ").status == 2);
  CHECK(run_fleetgate("cache ls").status == 2);  // no store given
  CHECK(run_fleetgate("cache --state-dir " + dir.path() + " frobnicate").status == 2);
  CHECK(run_fleetgate("cache --state-dir " + dir.path() + " export nothex " + dir.path() + "/x").status ==
        2);
  CHECK(run_fleetgate("cache --state-dir " + dir.path() + " import " + dir.path() + "/x").status == 2);
  CHECK(run_fleetgate("cache --help").status == 0);
}

}  // namespace
}  // namespace fleetgate::cache
