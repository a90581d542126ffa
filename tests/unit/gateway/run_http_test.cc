// `fleetgate run` serves HTTP: the demo serves its synced firmware to curl, an open connection holds
// the stop for at most shutdown_grace, and a taken address makes the start fail.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <csignal>
#include <regex>

#include "tests/unit/gateway/child_process.h"

namespace fleetgate::testing {
namespace {

using namespace std::chrono_literals;

// The address logged in "gateway started ... http=127.0.0.1:PORT".
// CoAP on ports of the kernel's choosing, so gateways under test never collide.
const std::string kCoapAnyPort =
    "[coap]\nlisten = [\"127.0.0.1:0\"]\ndtls_listen = [\"127.0.0.1:0\"]\n";

std::string http_address(const ChildProcess& p) {
  std::smatch m;
  std::string err = p.err();
  if (std::regex_search(err, m, std::regex("http=(127\\.0\\.0\\.1:[0-9]+)"))) return m[1];
  return "";
}

int connect_to(const std::string& addr) {
  auto colon = addr.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(addr.substr(colon + 1))));
  inet_pton(AF_INET, addr.substr(0, colon).c_str(), &sa.sin_addr);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST_CASE("the demo serves its synced firmware to its device and cleans up on SIGTERM") {
  ChildProcess p({FG_BINARY, "run", "--demo", "--listen", "127.0.0.1:0", "--coap-listen",
                  "127.0.0.1:0", "--dtls-listen", "127.0.0.1:0"});
  REQUIRE(p.wait_for("stop with Ctrl-C", 20s, /*in_stderr=*/false));
  std::smatch m;
  std::string out = p.out();
  REQUIRE(std::regex_search(out, m, std::regex("curl (http://127\\.0\\.0\\.1:[0-9]+)/healthz")));
  const std::string base = m[1];
  REQUIRE(std::regex_search(out, m, std::regex("state in (/tmp/fleetgate-demo-[A-Za-z0-9]+)")));
  const std::string state = m[1];
  CHECK(std::filesystem::is_directory(state));
  REQUIRE(std::regex_search(out, m, std::regex("Bearer (demo-[0-9a-f]{32})")));
  const std::string auth = "Authorization: Bearer " + std::string(m[1]);
  REQUIRE(std::regex_search(out, m, std::regex("sha256 ([0-9a-f]{64})")));
  const std::string sha = m[1];

  auto health = run_to_end({"/usr/bin/curl", "-s", "-o", "-", "-w", " %{http_code}", base + "/healthz"});
  CHECK(health.out == "ok\n 200");

  // The device is told to fetch the firmware the demo plan deploys...
  auto next = run_to_end({"/usr/bin/curl", "-s", "-H", auth, base + "/v1/devices/demo-sensor/next"});
  CHECK(next.code == 0);
  CHECK(next.out.find("\"sha256\":\"" + sha + "\"") != std::string::npos);
  // ...and gets exactly the signed bytes; without the token it gets nothing.
  const std::string blob = base + "/v1/blobs/sha256/" + sha;
  TempDir dir;
  const std::string file = dir.path() + "/demo.bin";
  auto get = run_to_end({"/usr/bin/curl", "-s", "-f", "-H", auth, "-o", file, blob});
  CHECK(get.code == 0);
  auto sum = run_to_end({"/usr/bin/sha256sum", file});
  CHECK(sum.out.substr(0, 64) == sha);
  auto anonymous = run_to_end({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", blob});
  CHECK(anonymous.out != "200");

  // The printed CoAP commands, run as printed: next over DTLS-PSK, then the blob in
  // 1024-byte blocks checked with sha256sum.
  REQUIRE(std::regex_search(
      out, m,
      std::regex("coap-client-gnutls -u demo-sensor -k (psk-[0-9a-f]{32}) "
                 "(coaps://127\\.0\\.0\\.1:[0-9]+)/n/demo-sensor\n")));
  auto coap_next = run_to_end({"/bin/sh", "-c", m.str(0).substr(0, m.str(0).size() - 1)});
  INFO(coap_next.out << coap_next.err);
  CHECK(coap_next.out.find("\"sha256\":\"" + sha + "\"") != std::string::npos);
  REQUIRE(std::regex_search(out, m,
                            std::regex("coap-client-gnutls [^\n]* -b 1024 -o demo-coap\\.bin "
                                       "coaps://[^\n]*sha256sum demo-coap\\.bin")));
  auto coap_blob = run_to_end({"/bin/sh", "-c", "cd '" + dir.path() + "' && " + m.str(0)});
  INFO(coap_blob.out << coap_blob.err);
  CHECK(coap_blob.out.substr(0, 64) == sha);
  // CoAP shows on /metrics next to HTTP: 256 KiB in 1024-byte blocks.
  auto metrics = run_to_end({"/usr/bin/curl", "-s", base + "/metrics"});
  CHECK(metrics.out.find("fleetgate_coap_blocks_sent_total 256\n") != std::string::npos);
  CHECK(metrics.out.find("fleetgate_coap_requests_total{class=\"2xx\"} 257\n") !=
        std::string::npos);

  p.signal(SIGTERM);
  REQUIRE(p.wait_exit(5s).value_or(-1) == 0);
  CHECK_FALSE(std::filesystem::exists(state));
}

TEST_CASE("run serves HTTPS on http.tls_listen with the configured certificate") {
  TempDir dir;
  const std::string cert = (dir.path() + "/cert.pem");
  const std::string key = (dir.path() + "/key.pem");
  auto made = run_to_end({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                          "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                          "-days", "2"});
  REQUIRE(made.code == 0);
  std::string path = dir.file("tls.toml", "state_dir = \"" + (dir.path() + "/state") +
                                              "\"\n[http]\nlisten = []\n"
                                              "tls_listen = [\"127.0.0.1:0\"]\n"
                                              "tls_cert = \"" + cert + "\"\ntls_key = \"" +
                                              key + "\"\n" + kCoapAnyPort);
  ChildProcess p({FG_BINARY, "run", "-c", path});
  REQUIRE(p.wait_for("gateway started", 10s));
  std::smatch m;
  std::string err = p.err();
  REQUIRE(std::regex_search(err, m, std::regex("https=(127\\.0\\.0\\.1:[0-9]+)")));
  const std::string url = "https://" + std::string(m[1]) + "/healthz";

  auto trusted = run_to_end({"/usr/bin/curl", "-s", "--cacert", cert, "-o", "-", "-w",
                             " %{http_code}", url});
  CHECK(trusted.code == 0);
  CHECK(trusted.out == "ok\n 200");
  // Without the certificate's CA, curl must refuse the server (exit 60: peer not verified).
  auto untrusted = run_to_end({"/usr/bin/curl", "-s", "-o", "/dev/null", url});
  CHECK(untrusted.code == 60);

  p.signal(SIGTERM);
  REQUIRE(p.wait_exit(5s).value_or(-1) == 0);
}

TEST_CASE("an open connection holds the stop for at most shutdown_grace, then exit 0") {
  TempDir dir;
  std::string path = dir.file("ok.toml", "state_dir = \"" + (dir.path() + "/state") +
                                             "\"\nshutdown_grace = \"300ms\"\n"
                                             "[http]\nlisten = [\"127.0.0.1:0\"]\n" +
                                             kCoapAnyPort);
  ChildProcess p({FG_BINARY, "run", "-c", path});
  REQUIRE(p.wait_for("gateway started", 10s));
  std::string addr = http_address(p);
  REQUIRE_FALSE(addr.empty());
  int fd = connect_to(addr);
  REQUIRE(fd >= 0);
  // One full exchange proves the server holds the connection; then a second request head
  // stays incomplete, so the connection is in flight until the grace ends.
  std::string full = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(fd, full.data(), full.size(), 0) == static_cast<ssize_t>(full.size()));
  std::string reply;
  char buf[512];
  while (reply.find("\r\n\r\nok") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);  // blocks; the gateway answers at once
    REQUIRE(n > 0);
    reply.append(buf, static_cast<size_t>(n));
  }
  std::string partial = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  REQUIRE(::send(fd, partial.data(), partial.size(), 0) == static_cast<ssize_t>(partial.size()));
  p.signal(SIGTERM);
  auto code = p.wait_exit(5s);
  ::close(fd);
  INFO(p.err());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(p.err().find("stopping: no longer accepting") != std::string::npos);
  CHECK(p.err().find("shutdown grace over: aborting in-flight work") != std::string::npos);
}

TEST_CASE("an address already in use makes run exit 1 naming the address") {
  TempDir dir;
  std::string cfg = dir.file("a.toml", "state_dir = \"" + (dir.path() + "/a") +
                                           "\"\n[http]\nlisten = [\"127.0.0.1:0\"]\n" +
                                           kCoapAnyPort);
  ChildProcess first({FG_BINARY, "run", "-c", cfg});
  REQUIRE(first.wait_for("gateway started", 10s));
  std::string taken = http_address(first);
  REQUIRE_FALSE(taken.empty());
  std::string cfg2 =
      dir.file("b.toml", "state_dir = \"" + (dir.path() + "/b") + "\"\n" + kCoapAnyPort);
  auto second = run_to_end({FG_BINARY, "run", "-c", cfg2, "--listen", taken});
  INFO(second.err);
  CHECK(second.code == 1);
  CHECK(second.err.find("cannot serve HTTP on " + taken) != std::string::npos);
  first.signal(SIGTERM);
  CHECK(first.wait_exit(5s).value_or(-1) == 0);
}

}  // namespace
}  // namespace fleetgate::testing
