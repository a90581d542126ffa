// `fleetgate run` with real devices' clients reporting status at once over HTTP (curl) and
// CoAP over DTLS (coap-client-gnutls, which must accept the separate 2.04): every report
// is acknowledged, the commits are counted in /metrics, and after a clean stop every
// acknowledged report is in the outbox.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <regex>
#include <thread>
#include <vector>

#include "cache/store.h"
#include "common/clock.h"
#include "tests/unit/gateway/child_process.h"

namespace fleetgate::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kToken = "token-of-dev-1-0123456789abcdef";
constexpr const char* kPsk = "psk-of-dev-1-0123456789";

std::string listening(const std::string& log, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex(key + "=(127\\.0\\.0\\.1:[0-9]+)"))) return "";
  return m[1];
}

TEST_CASE("reports over curl and coap-client at once are all acknowledged and stored",
          "[system][status]") {
  TempDir dir;
  const std::string devices =
      dir.file("devices.toml", std::string("[[device]]\nid = \"dev-1\"\ngroup = \"g\"\n") +
                                   "hardware = \"hw\"\ntoken = \"" + kToken + "\"\npsk = \"" +
                                   kPsk + "\"\n");
  ::chmod(devices.c_str(), 0600);
  const std::string config = dir.file(
      "fleetgate.toml", "state_dir = \"" + dir.path() + "/state\"\nshutdown_grace = \"2s\"\n" +
                            "[http]\nlisten = [\"127.0.0.1:0\"]\n"
                            "[coap]\nlisten = []\ndtls_listen = [\"127.0.0.1:0\"]\n"
                            "[devices]\nfile = \"" +
                            devices + "\"\n");
  ChildProcess p({FG_BINARY, "run", "-c", config});
  REQUIRE(p.wait_for("gateway started", 20s));
  const std::string http = listening(p.err(), "http");
  const std::string coaps = listening(p.err(), "coaps");
  REQUIRE(!http.empty());
  REQUIRE(!coaps.empty());

  constexpr int kHttp = 6;
  constexpr int kCoap = 2;
  std::vector<Completed> results(kHttp + kCoap);
  std::vector<std::thread> clients;
  for (int i = 0; i < kHttp; ++i) {
    clients.emplace_back([&, i] {
      results[i] = run_to_end({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                               std::string("Authorization: Bearer ") + kToken, "-H",
                               "Content-Type: application/json", "--data",
                               R"({"deployment":"d1","state":"downloading","reason":"http )" +
                                   std::to_string(i) + "\"}",
                               "http://" + http + "/v1/devices/dev-1/status"},
                              15s);
    });
  }
  for (int i = 0; i < kCoap; ++i) {
    clients.emplace_back([&, i] {
      results[kHttp + i] = run_to_end(
          {"/usr/bin/coap-client-gnutls", "-B", "5", "-u", "dev-1", "-k", kPsk, "-v", "6", "-m",
           "post", "-t", "50", "-e",
           R"({"deployment":"d1","state":"installed","reason":"coap )" + std::to_string(i) + "\"}",
           "coaps://" + coaps + "/s/dev-1"},
          15s);
    });
  }
  for (auto& t : clients) t.join();
  for (int i = 0; i < kHttp; ++i) CHECK(results[i].out == "204");
  for (int i = kHttp; i < kHttp + kCoap; ++i) {
    INFO(results[i].out << results[i].err);
    // A separate response: a confirmable message of its own, after libcoap's empty ACK.
    CHECK(results[i].out.find("t:CON c:2.04") != std::string::npos);
  }

  auto metrics = run_to_end({"/usr/bin/curl", "-s", "http://" + http + "/metrics"}, 10s);
  std::smatch m;
  REQUIRE(
      std::regex_search(metrics.out, m, std::regex("\nfleetgate_status_commits_total ([0-9]+)\n")));
  const int commits = std::stoi(m[1]);
  CHECK(commits >= 1);
  CHECK(commits <= kHttp + kCoap);
  CHECK(metrics.out.find("\nfleetgate_status_commit_failures_total 0\n") != std::string::npos);

  p.signal(SIGTERM);
  auto code = p.wait_exit(10s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);

  ManualClock clock;
  cache::StoreOptions o;
  o.dir = dir.path() + "/state/cache";
  o.clock = &clock;
  o.overlap_commits = false;
  auto store = cache::open_lmdb_store(o);
  REQUIRE(store.ok());
  auto rows = (*store)->kv_scan(cache::Table::outbox, "");
  REQUIRE(rows.ok());
  CHECK(rows->size() == static_cast<size_t>(kHttp + kCoap));
}

}  // namespace
}  // namespace fleetgate::testing
