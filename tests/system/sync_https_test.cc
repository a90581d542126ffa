// `fleetgate sync -c FILE --once` as a site runs it against a real origin: a repository
// made with `fleetgate repo`, served by nginx over HTTPS with a test CA named by
// `ca_file`. A byte-counting TCP proxy (no faults) sits between them so the test can see
// what crossed the link: a second run (a new process, so no ETag is remembered)
// re-downloads no target, only the metadata.
#include <stdio.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "common/socket_address.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/nginx_origin.h"
#include "tests/support/cli_run.h"

using namespace fleetgate;
using namespace fleetgate::testing;

namespace {


constexpr uint64_t kTargetBytes = 3 << 20;

struct HttpsSite {
  TempDir tmp;
  std::string repo = tmp.path() + "/repo";
  std::string config = tmp.path() + "/fleetgate.toml";
  TestPki pki;
  std::string target_sha;
  std::unique_ptr<NginxOrigin> nginx;
  std::unique_ptr<FaultProxy> proxy;

  HttpsSite() {
    auto p = make_test_pki(tmp.path() + "/pki");
    REQUIRE(p.ok());
    pki = *p;
    auto sha = write_test_file(tmp.path() + "/fw.bin", kTargetBytes, 7);
    REQUIRE(sha.ok());
    target_sha = *sha;
    std::ofstream(tmp.path() + "/plan.json")
        << R"({"site": "plant-7", "version": 1, "prefetch": ["fw/sensor.bin"]})";
    for (const std::string& cmd :
         {"repo init " + repo,
          "repo add " + repo + " " + tmp.path() + "/fw.bin --name fw/sensor.bin",
          "repo plan " + repo + " " + tmp.path() + "/plan.json"}) {
      CliRun r = run_fleetgate(cmd);
      INFO(cmd << ": " << r.output);
      REQUIRE(r.status == 0);
    }
    auto n = NginxOrigin::start(tmp.path() + "/nginx", repo + "/repository",
                                NginxTls{pki.server_cert, pki.server_key, ""});
    REQUIRE(n.ok());
    nginx = std::move(n).value();
    auto upstream = SocketAddress::parse(nginx->address());
    REQUIRE(upstream.ok());
    auto fp = FaultProxy::start(*upstream);
    REQUIRE(fp.ok());
    proxy = std::move(fp).value();
    write_config(pki.ca_cert);
  }

  void write_config(const std::string& ca_file) const {
    std::ofstream(config) << "site = \"plant-7\"\nstate_dir = \"" << tmp.path()
                          << "/state\"\n\n[northbound]\norigin = \"https://127.0.0.1:"
                          << proxy->port() << "/\"\ntrust_root = \"" << repo
                          << "/repository/1.root.json\"\nca_file = \"" << ca_file << "\"\n";
  }
};

}  // namespace

TEST_CASE("sync --once over HTTPS from nginx caches the plan's targets and a rerun fetches none",
          "[system][https]") {
  HttpsSite s;
  CliRun first = run_fleetgate("sync -c " + s.config + " --once");
  INFO(first.output);
  REQUIRE(first.status == 0);
  CHECK_THAT(first.output, Catch::Contains("plan plant-7 version 1 (new), 1 fetched, 1 pinned"));
  const uint64_t first_bytes = s.proxy->bytes_to_client();
  CHECK(first_bytes >= kTargetBytes);
  CHECK(first_bytes < kTargetBytes + kTargetBytes / 10);

  CliRun ls = run_fleetgate("cache -c " + s.config + " ls");
  INFO(ls.output);
  CHECK(ls.status == 0);
  CHECK_THAT(ls.output, Catch::Contains(s.target_sha));
  CHECK_THAT(ls.output, Catch::Contains("plan:plant-7"));
  CHECK_THAT(ls.output, Catch::Contains("fw/sensor.bin"));
  CliRun verify = run_fleetgate("cache -c " + s.config + " verify " + s.target_sha);
  INFO(verify.output);
  CHECK(verify.status == 0);

  s.proxy->reset_counters();
  CliRun second = run_fleetgate("sync -c " + s.config + " --once");
  INFO(second.output);
  CHECK(second.status == 0);
  CHECK_THAT(second.output, Catch::Contains("0 fetched, 1 pinned"));
  // Metadata only (root probe, timestamp, snapshot, targets, plan): a few KiB.
  INFO("second run bytes: " << s.proxy->bytes_to_client());
  CHECK(s.proxy->bytes_to_client() < 64 * 1024);
}

TEST_CASE("sync --once refuses nginx's certificate without the test CA", "[system][https]") {
  HttpsSite s;
  s.write_config("");  // the system CA bundle, which never signed the test CA's server
  CliRun r = run_fleetgate("sync -c " + s.config + " --once");
  INFO(r.output);
  CHECK(r.status == 75);
  CHECK_THAT(r.output, Catch::Contains("certificate"));
  CliRun ls = run_fleetgate("cache -c " + s.config + " ls");
  CHECK_THAT(ls.output, Catch::Contains("0 artifacts"));
}
