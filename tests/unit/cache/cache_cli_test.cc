// `fleetgate cache ...` run as the real binary against a store in a temporary directory.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include <catch2/catch.hpp>

#include "cache/store_testing.h"
#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

using testing::digest_of;
using testing::random_bytes;
using fleetgate::testing::TempDir;

struct Run {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

Run fleetgate(const std::string& args) {
  std::string cmd = std::string(FG_BINARY) + " cache " + args + " 2>&1";
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

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

  Run imp = fleetgate(sd + " import " + dir.path() + "/a.bin --sha256 " + hex + " --name fw/a.bin");
  INFO(imp.output);
  REQUIRE(imp.exit_code == 0);

  Run ls = fleetgate(sd + " ls");
  INFO(ls.output);
  REQUIRE(ls.exit_code == 0);
  CHECK_THAT(ls.output, Catch::Contains(hex) && Catch::Contains("ready") &&
                            Catch::Contains("fw/a.bin") &&
                            Catch::Contains(std::to_string(bytes.size())));

  Run exp = fleetgate(sd + " export " + hex + " " + dir.path() + "/out.bin");
  INFO(exp.output);
  REQUIRE(exp.exit_code == 0);
  CHECK(read_file(dir.path() + "/out.bin") == bytes);

  // Importing it again is fine and adds the name.
  Run again = fleetgate(sd + " import " + dir.path() + "/a.bin --sha256 " + hex + " --name b.bin");
  CHECK(again.exit_code == 0);
  CHECK_THAT(fleetgate(sd + " ls").output, Catch::Contains("fw/a.bin,b.bin"));
}

TEST_CASE("cli: import refuses a file whose SHA-256 differs", "[cache][cli]") {
  TempDir dir;
  const std::string sd = "--state-dir " + dir.path() + "/state";
  auto bytes = random_bytes(1000, 101);
  write_file(dir.path() + "/a.bin", bytes);
  const std::string other = digest_of(random_bytes(5, 102)).hex();
  Run imp = fleetgate(sd + " import " + dir.path() + "/a.bin --sha256 " + other);
  CHECK(imp.exit_code == 1);
  CHECK_THAT(imp.output, Catch::Contains("expected " + other));
  Run ls = fleetgate(sd + " ls");
  CHECK_THAT(ls.output, !Catch::Contains(other) && Catch::Contains("0 artifacts"));
}

TEST_CASE("cli: verify exits 1 naming the corrupt artifact", "[cache][cli][integrity]") {
  TempDir dir;
  const std::string sd = "--state-dir " + dir.path() + "/state";
  auto good = random_bytes(kChunkSize + 1, 103);
  auto bad = random_bytes(2 * kChunkSize + 1, 104);
  write_file(dir.path() + "/good.bin", good);
  write_file(dir.path() + "/bad.bin", bad);
  REQUIRE(fleetgate(sd + " import " + dir.path() + "/good.bin --sha256 " + digest_of(good).hex())
              .exit_code == 0);
  REQUIRE(fleetgate(sd + " import " + dir.path() + "/bad.bin --name fw/bad.bin --sha256 " +
                    digest_of(bad).hex())
              .exit_code == 0);
  Run clean = fleetgate(sd + " verify");
  CHECK(clean.exit_code == 0);
  {
    ManualClock clock;
    StoreOptions o;
    o.dir = dir.path() + "/state/cache";
    o.clock = &clock;
    auto store = open_lmdb_store(o);
    REQUIRE(store.ok());
    REQUIRE(corrupt_chunk_for_test(**store, digest_of(bad), 1, 99).ok());
  }
  CHECK(fleetgate(sd + " verify " + digest_of(good).hex()).exit_code == 0);
  Run v = fleetgate(sd + " verify");
  INFO(v.output);
  CHECK(v.exit_code == 1);
  CHECK_THAT(v.output, Catch::Contains("corrupt: " + digest_of(bad).hex()) &&
                           Catch::Contains("fw/bad.bin") &&
                           !Catch::Contains("corrupt: " + digest_of(good).hex()));
  CHECK_THAT(fleetgate(sd + " ls").output, Catch::Contains("quarantined"));
  CHECK(fleetgate(sd + " export " + digest_of(bad).hex() + " " + dir.path() + "/x").exit_code == 1);
  Run gc = fleetgate(sd + " gc");
  CHECK(gc.exit_code == 0);
  CHECK(fleetgate(sd + " verify").exit_code == 0);
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
  CHECK(fleetgate(cfg + " import " + dir.path() + "/small.bin --sha256 " + digest_of(small).hex())
            .exit_code == 0);
  CHECK_THAT(fleetgate(cfg + " ls").output,
             Catch::Contains(digest_of(small).hex()) && Catch::Contains("of 1MiB quota"));
  // The same store seen through --state-dir: it lives in <state_dir>/cache.
  CHECK_THAT(fleetgate("--state-dir " + dir.path() + "/state ls").output,
             Catch::Contains(digest_of(small).hex()));
  // 512 KiB more still fits under the 1 MiB quota; 1.25 MiB never can.
  CHECK(fleetgate(cfg + " import " + dir.path() + "/big.bin --sha256 " + digest_of(big).hex())
            .exit_code == 0);
  auto huge = random_bytes(5 * kChunkSize, 107);
  write_file(dir.path() + "/huge.bin", huge);
  Run full =
      fleetgate(cfg + " import " + dir.path() + "/huge.bin --sha256 " + digest_of(huge).hex());
  CHECK(full.exit_code == 1);
  CHECK_THAT(full.output, Catch::Contains("cache full"));
  Run bad = fleetgate("-c " + dir.path() + "/missing.toml ls");
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.output, Catch::Contains("missing.toml"));
}

TEST_CASE("cli: usage errors exit 2", "[cache][cli]") {
  TempDir dir;
  CHECK(fleetgate("").exit_code == 2);
  CHECK(fleetgate("ls").exit_code == 2);  // no store given
  CHECK(fleetgate("--state-dir " + dir.path() + " frobnicate").exit_code == 2);
  CHECK(fleetgate("--state-dir " + dir.path() + " export nothex " + dir.path() + "/x").exit_code ==
        2);
  CHECK(fleetgate("--state-dir " + dir.path() + " import " + dir.path() + "/x").exit_code == 2);
  CHECK(fleetgate("--help").exit_code == 0);
}

}  // namespace
}  // namespace fleetgate::cache
