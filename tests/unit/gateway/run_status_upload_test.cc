// `fleetgate run` with [northbound] status_url: a device's status report goes from the
// outbox to the real nginx (WebDAV over HTTPS) without any other intervention, and the
// metrics count it; with the origin's TLS settings, or with status_ca_file and status_pins
// for a status server that is not the origin.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "common/tls_stream.h"
#include "gateway/origin_setup.h"
#include "tests/support/files.h"
#include "tests/support/nginx_origin.h"
#include "tests/support/test_pki.h"
#include "tests/unit/gateway/child_process.h"

namespace fleetgate::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kToken = "token-of-dev-1-0123456789abcdef";

// The batch files under {www}/status/plant-7/{epoch}/.
std::vector<std::string> batches(const std::string& www) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(www + "/status/plant-7", ec)) {
    if (e.is_regular_file()) out.push_back(e.path().string());
  }
  return out;
}

// Runs the daemon against nginx serving the test PKI's server certificate, with `tls`
// as the [northbound] TLS keys, and checks that one report goes up.
void check_report_uploaded(const TempDir& tmp, const TestPki& pki, const std::string& tls) {
  const std::string www = tmp.path() + "/www";
  fs::create_directories(www);
  auto nginx =
      NginxOrigin::start(tmp.path() + "/nginx", www, NginxTls{pki.server_cert, pki.server_key, ""},
                         NginxWebDav{"/status/", ""});
  REQUIRE(nginx.ok());
  const std::string devices = tmp.path() + "/devices.toml";
  std::ofstream(devices) << "[[device]]\nid = \"dev-1\"\ngroup = \"g\"\nhardware = \"hw\"\n"
                         << "token = \"" << kToken << "\"\n";
  ::chmod(devices.c_str(), 0600);
  const std::string config = tmp.path() + "/fleetgate.toml";
  std::ofstream(config) << "site = \"plant-7\"\nstate_dir = \"" << tmp.path() << "/state\"\n"
                        << "[northbound]\n"
                        << tls << "status_url = \"" << (*nginx)->url() << "status/\"\n"
                        << "status_interval = \"1s\"\n"
                        << "[http]\nlisten = [\"127.0.0.1:0\"]\n"
                        << "[coap]\nlisten = []\ndtls_listen = []\n"
                        << "[devices]\nfile = \"" << devices << "\"\n";

  ChildProcess p({FG_BINARY, "run", "-c", config});
  REQUIRE(p.wait_for("gateway started", 20s));
  CHECK(p.err().find("status upload started") != std::string::npos);
  std::smatch m;
  std::string err = p.err();
  REQUIRE(std::regex_search(err, m, std::regex("http=(127\\.0\\.0\\.1:[0-9]+)")));
  const std::string base = "http://" + std::string(m[1]);

  auto posted = run_to_end({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                            std::string("Authorization: Bearer ") + kToken, "-H",
                            "Content-Type: application/json", "--data",
                            R"({"deployment":"d1","state":"installed","version":"2.1"})",
                            base + "/v1/devices/dev-1/status"});
  CHECK(posted.out == "204");

  REQUIRE(poll_until([&] { return !batches(www).empty(); }, 10s));
  auto files = batches(www);
  REQUIRE(files.size() == 1);
  // The file may be seen while nginx renames it into place: parse once it is complete.
  nlohmann::json doc;
  REQUIRE(poll_until(
      [&] {
        doc = nlohmann::json::parse(slurp(files[0]), nullptr, /*allow_exceptions=*/false);
        return !doc.is_discarded();
      },
      5s));
  CHECK(doc["site"] == "plant-7");
  REQUIRE(doc["records"].size() == 1);
  CHECK(doc["records"][0]["device"] == "dev-1");
  CHECK(doc["records"][0]["deployment"] == "d1");
  CHECK(doc["records"][0]["state"] == "installed");

  // Removed from the outbox once stored: the metric says one record went up.
  REQUIRE(poll_until(
      [&] {
        auto metrics = run_to_end({"/usr/bin/curl", "-s", base + "/metrics"});
        return metrics.out.find("fleetgate_status_records_uploaded_total 1\n") != std::string::npos;
      },
      5s));

  p.signal(SIGTERM);
  CHECK(p.wait_exit(10s) == 0);
}

TEST_CASE("the daemon uploads a device's status report to status_url") {
  TempDir tmp;
  auto pki = make_test_pki(tmp.path() + "/pki");
  REQUIRE(pki.ok());
  check_report_uploaded(tmp, *pki, "ca_file = \"" + pki->ca_cert + "\"\n");
}

TEST_CASE("status_ca_file and status_pins trust a status server that the origin settings refuse") {
  TempDir tmp;
  auto pki = make_test_pki(tmp.path() + "/pki");
  auto other = make_test_pki(tmp.path() + "/other");  // the origin's CA and key: not nginx's
  REQUIRE(pki.ok());
  REQUIRE(other.ok());
  auto nginx_pin = spki_pin_of_pem(slurp(pki->server_cert));
  auto origin_pin = spki_pin_of_pem(slurp(other->server_cert));
  REQUIRE(nginx_pin.ok());
  REQUIRE(origin_pin.ok());
  REQUIRE(*nginx_pin != *origin_pin);
  check_report_uploaded(tmp, *pki,
                        "ca_file = \"" + other->ca_cert + "\"\npins = [\"" + *origin_pin +
                            "\"]\nstatus_ca_file = \"" + pki->ca_cert + "\"\nstatus_pins = [\"" +
                            *nginx_pin + "\"]\n");
}

TEST_CASE(
    "status uploads take the origin's CA and pins unless status_ca_file and status_pins are set") {
  config::NorthboundConfig nb;
  nb.ca_file = "/origin-ca.pem";
  nb.pins = {"sha256//origin"};
  nb.client_cert = "/client.pem";
  nb.client_key = "/client.key";
  tls::ClientConfig inherited = gateway::status_tls_for(nb);
  CHECK(inherited.ca_file == "/origin-ca.pem");
  CHECK(inherited.spki_pins == std::vector<std::string>{"sha256//origin"});
  CHECK(inherited.client_cert_file == "/client.pem");

  nb.status_ca_file = "";
  nb.status_pins = std::vector<std::string>{};
  tls::ClientConfig own = gateway::status_tls_for(nb);
  CHECK(own.ca_file.empty());  // the system bundle
  CHECK(own.spki_pins.empty());
  CHECK(own.client_cert_file == "/client.pem");
  CHECK(own.client_key_file == "/client.key");
}

}  // namespace
}  // namespace fleetgate::testing
