// `fleetgate run -c FILE` with an https:// nginx origin serving a repository made by the
// publisher: the daemon's sync loop fetches the plan's targets and devices get them from
// the gateway; with the origin down devices still get cached blobs and the WAN metric
// says offline; when it is back the next cycle succeeds on its own; a nudge with the
// right token runs a cycle at once; SIGTERM during a large download exits within
// shutdown_grace and the next start resumes from the committed chunks.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "common/clock.h"
#include "common/digest.h"
#include "common/tls_stream.h"
#include "tests/support/poll.h"
#include "tests/support/files.h"
#include "gateway/repo_publisher.h"
#include "tests/support/nginx_origin.h"
#include "tests/unit/gateway/child_process.h"

namespace fleetgate::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kToken = "dev-token-0123456789";
constexpr const char* kNudgeToken = "cloud-nudge-secret";

struct DaemonSite {
  TempDir tmp;
  RealClock clock;  // the binary reads the real clock; the repository must match it
  TestPki pki;
  std::unique_ptr<gateway::Repository> repo;
  std::unique_ptr<NginxOrigin> nginx;
  std::string config = tmp.path() + "/fleetgate.toml";
  std::string sha_hex;

  // `target_file`: a large file to publish as fw/a.bin (else a small generated one).
  // `origin_mtls`: nginx requires a client certificate signed by the test CA.
  explicit DaemonSite(uint64_t target_size = 200 * 1024, bool origin_mtls = false) {
    auto p = make_test_pki(tmp.path() + "/pki", "cloud");
    REQUIRE(p.ok());
    pki = *p;
    auto r = gateway::Repository::init(tmp.path() + "/repo", {}, clock);
    REQUIRE(r.ok());
    repo = std::make_unique<gateway::Repository>(std::move(r).value());
    const std::string file = tmp.path() + "/fw.bin";
    auto sha = write_test_file(file, target_size, 5);
    REQUIRE(sha.ok());
    sha_hex = *sha;
    REQUIRE(repo->add_file(file, "fw/a.bin").ok());
    REQUIRE(repo->add_plan(R"({"site": "plant-7", "version": 1, "deployments": [)"
                           R"({"id": "d1", "target": "fw/a.bin", "select": {"group": "g"}}]})")
                .ok());
    auto n = NginxOrigin::start(
        tmp.path() + "/nginx", repo->metadata_dir(),
        NginxTls{pki.server_cert, pki.server_key, origin_mtls ? pki.ca_cert : std::string()});
    REQUIRE(n.ok());
    nginx = std::move(n).value();
    std::ofstream(tmp.path() + "/devices.toml")
        << "[[device]]\nid = \"dev-1\"\ngroup = \"g\"\nhardware = \"hw\"\ntoken = \"" << kToken
        << "\"\n";
    ::chmod((tmp.path() + "/devices.toml").c_str(), 0600);
    std::ofstream(tmp.path() + "/nudge.token") << kNudgeToken << "\n";
    ::chmod((tmp.path() + "/nudge.token").c_str(), 0600);
  }

  void write_config(const std::string& extra_northbound = "", const std::string& grace = "5s",
                    const std::string& extra_http = "") {
    std::ofstream(config) << "site = \"plant-7\"\nstate_dir = \"" << tmp.path()
                          << "/state\"\nshutdown_grace = \"" << grace << "\"\n"
                          << "[northbound]\norigin = \"" << nginx->url() << "\"\n"
                          << "trust_root = \"" << repo->root_path() << "\"\n"
                          << "ca_file = \"" << pki.ca_cert << "\"\n"
                          << "poll_interval = \"1h\"\n"
                          << "nudge_token_file = \"" << tmp.path() << "/nudge.token\"\n"
                          << extra_northbound << "[http]\nlisten = [\"127.0.0.1:0\"]\n"
                          << extra_http << "[coap]\nlisten = []\ndtls_listen = []\n"
                          << "[devices]\nfile = \"" << tmp.path() << "/devices.toml\"\n";
  }
};

using PkiPaths = TestPki;

std::string http_base(const ChildProcess& p) {
  std::smatch m;
  std::string err = p.err();
  if (std::regex_search(err, m, std::regex("http=(127\\.0\\.0\\.1:[0-9]+)"))) {
    return "http://" + std::string(m[1]);
  }
  return "";
}

// "BODY CODE" of a curl request.
std::string curl(std::vector<std::string> args) {
  std::vector<std::string> full = {"/usr/bin/curl", "-s", "-o", "-", "-w", " %{http_code}"};
  full.insert(full.end(), args.begin(), args.end());
  return run_to_end(full, 10s).out;
}

std::string status_of(const std::string& curl_out) {
  return curl_out.size() >= 3 ? curl_out.substr(curl_out.size() - 3) : curl_out;
}

// The value of a metric line starting with `series` ("name{labels}" or "name"), or -1.
double metric(const std::string& base, const std::string& series) {
  std::string body = curl({base + "/metrics"});
  size_t at = 0;
  while ((at = body.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || body[at - 1] == '\n') return std::stod(body.substr(at + series.size() + 1));
    at += series.size();
  }
  return -1;
}

// Each check runs curl: poll no faster than this.
constexpr auto kPoll = 50ms;

double cycles(const std::string& base, const char* result) {
  return metric(base, std::string("fleetgate_sync_cycles_total{result=\"") + result + "\"}");
}

}  // namespace

TEST_CASE(
    "run syncs from an https origin and serves offline from the cache and recovers and is nudged") {
  DaemonSite site;
  site.write_config();
  ChildProcess p({FG_BINARY, "run", "-c", site.config});
  REQUIRE(p.wait_for("gateway started", 20s));
  const std::string base = http_base(p);
  REQUIRE(!base.empty());
  INFO(p.err());

  // The first cycle runs at once and fetches the plan's target.
  REQUIRE(p.wait_for("sync cycle finished", 20s));
  CHECK(p.err().find("fetched=1") != std::string::npos);
  const std::string auth = std::string("Authorization: Bearer ") + kToken;
  const std::string blob = base + "/v1/blobs/sha256/" + site.sha_hex;
  TempDir out;
  auto get = run_to_end({"/usr/bin/curl", "-s", "-f", "-H", auth, "-o", out.path() + "/a", blob});
  CHECK(get.code == 0);
  CHECK(run_to_end({"/usr/bin/sha256sum", out.path() + "/a"}).out.substr(0, 64) == site.sha_hex);
  CHECK(metric(base, "fleetgate_wan_state") == 0);
  CHECK(cycles(base, "ok") == 1);
  CHECK(metric(base, "fleetgate_origin_requests_total") >= 5);

  // Nudges: no token 401, a wrong one refused, the right one runs a cycle at once
  // (poll_interval is 1h, so nothing else would).
  const std::string nudge = base + "/v1/sync/nudge";
  CHECK(status_of(curl({"-X", "POST", nudge})) == "401");
  CHECK(status_of(curl({"-X", "POST", "-H", "Authorization: Bearer wrong", nudge})) == "401");
  CHECK(cycles(base, "ok") == 1);
  const std::string right = std::string("Authorization: Bearer ") + kNudgeToken;
  CHECK(status_of(curl({"-X", "POST", "-H", right, nudge})) == "202");
  CHECK(poll_until([&] { return cycles(base, "ok") == 2; }, 10s, kPoll));
  // The idle cycle cost a conditional GET of timestamp.json, answered 304.
  CHECK(metric(base, "fleetgate_origin_not_modified_total") >= 1);

  // Origin down: devices still get the cached blob; the WAN state goes offline after a few
  // failed cycles (nudged, so the test need not wait for the backoff).
  site.nginx->stop();
  CHECK(poll_until(
      [&] {
        if (metric(base, "fleetgate_wan_state") == 2) return true;
        if (metric(base, "fleetgate_sync_running") == 0) curl({"-X", "POST", "-H", right, nudge});
        return false;
      },
      20s, kPoll));
  CHECK(cycles(base, "unreachable") >= 1);
  auto offline_get =
      run_to_end({"/usr/bin/curl", "-s", "-f", "-H", auth, "-o", out.path() + "/b", blob});
  CHECK(offline_get.code == 0);
  CHECK(run_to_end({"/usr/bin/sha256sum", out.path() + "/b"}).out.substr(0, 64) == site.sha_hex);
  CHECK(p.err().find("WAN link state changed") != std::string::npos);

  // Origin back: the next (backed-off) cycle succeeds with no nudge.
  REQUIRE(site.nginx->restart().ok());
  const double ok_before = cycles(base, "ok");
  CHECK(poll_until([&] { return cycles(base, "ok") > ok_before; }, 15s, kPoll));
  CHECK(metric(base, "fleetgate_wan_state") == 0);

  p.signal(SIGTERM);
  CHECK(p.wait_exit(10s).value_or(-1) == 0);
}

TEST_CASE("SIGTERM during a large download exits within shutdown_grace and the restart resumes") {
  constexpr uint64_t kSize = 48ull << 20;
  DaemonSite site(kSize);
  site.write_config("wan_rate = \"8MiB\"\n", "3s");
  std::chrono::steady_clock::duration stop_took{};
  {
    ChildProcess p({FG_BINARY, "run", "-c", site.config});
    REQUIRE(p.wait_for("gateway started", 20s));
    const std::string cache = site.tmp.path() + "/state/cache/data.mdb";
    // Wait until a good part is committed (the LMDB file grows with the chunks).
    REQUIRE(poll_until(
        [&] {
          struct stat st;  // blocks, not the size: the map file may be sparse
          return ::stat(cache.c_str(), &st) == 0 &&
                 static_cast<uint64_t>(st.st_blocks) * 512 >= (12ull << 20);
        },
        20s));
    const auto t0 = std::chrono::steady_clock::now();
    p.signal(SIGTERM);
    auto code = p.wait_exit(10s);
    stop_took = std::chrono::steady_clock::now() - t0;
    INFO(p.err());
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(p.err().find("sync cycle stopped") != std::string::npos);
  }
  CHECK(stop_took < 3s);

  // Restart without the rate cap: the ingest resumes and the origin sends less than the file.
  site.write_config("", "3s");
  ChildProcess p({FG_BINARY, "run", "-c", site.config});
  REQUIRE(p.wait_for("gateway started", 20s));
  const std::string base = http_base(p);
  REQUIRE(p.wait_for("sync cycle finished", 30s));
  INFO(p.err());
  CHECK(p.err().find("fetched=1") != std::string::npos);
  const double body = metric(base, "fleetgate_origin_body_bytes_total");
  CHECK(body > 0);
  CHECK(body < static_cast<double>(kSize) - (8 << 20));
  auto got = run_to_end({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                         std::string("Authorization: Bearer ") + kToken,
                         base + "/v1/blobs/sha256/" + site.sha_hex});
  CHECK(got.out == "200");
  p.signal(SIGTERM);
  CHECK(p.wait_exit(10s).value_or(-1) == 0);
}

}  // namespace fleetgate::testing

namespace fleetgate::testing {

TEST_CASE("run syncs over mTLS with a pinned origin and takes nudges from the cloud certificate") {
  DaemonSite site(64 * 1024, /*origin_mtls=*/true);
  auto pin = spki_pin_of_pem(slurp(site.pki.server_cert));
  REQUIRE(pin.ok());
  const PkiPaths& k = site.pki;
  site.write_config("client_cert = \"" + k.client_cert + "\"\nclient_key = \"" + k.client_key +
                        "\"\npins = [\"" + *pin + "\"]\nnudge_client_cn = \"cloud\"\n",
                    "5s",
                    "tls_listen = [\"127.0.0.1:0\"]\ntls_cert = \"" + k.server_cert +
                        "\"\ntls_key = \"" + k.server_key + "\"\ntls_client_ca = \"" + k.ca_cert +
                        "\"\n");
  ChildProcess p({FG_BINARY, "run", "-c", site.config});
  REQUIRE(p.wait_for("gateway started", 20s));
  INFO(p.err());
  REQUIRE(p.wait_for("sync cycle finished", 20s));
  CHECK(p.err().find("fetched=1") != std::string::npos);
  const std::string base = http_base(p);
  std::smatch m;
  std::string err = p.err();
  REQUIRE(std::regex_search(err, m, std::regex("https=(127\\.0\\.0\\.1:[0-9]+)")));
  const std::string nudge = "https://" + std::string(m[1]) + "/v1/sync/nudge";

  // Over TLS without a client certificate: refused (a token is configured too).
  CHECK(status_of(curl({"--cacert", k.ca_cert, "-X", "POST", nudge})) == "401");
  CHECK(cycles(base, "ok") == 1);
  // With the cloud's certificate: accepted, and a cycle runs at once.
  CHECK(status_of(curl({"--cacert", k.ca_cert, "--cert", k.client_cert, "--key", k.client_key, "-X",
                        "POST", nudge})) == "202");
  CHECK(poll_until([&] { return cycles(base, "ok") == 2; }, 10s, kPoll));
  p.signal(SIGTERM);
  CHECK(p.wait_exit(10s).value_or(-1) == 0);
}

}  // namespace fleetgate::testing
