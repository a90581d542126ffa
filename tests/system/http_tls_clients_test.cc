// HTTPS with real curl: TLS 1.2 and 1.3 blob downloads byte-identical, ranges, and an mTLS
// client certificate standing in for the bearer token.
#include <stdio.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "common/tls_context.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"
#include "unit/southbound/served_gateway.h"

using namespace fleetgate::testing;

namespace {
std::string run_out(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

fleetgate::southbound::HttpServerOptions tls_options(SSL_CTX* ctx) {
  fleetgate::southbound::HttpServerOptions o;
  o.tls = ctx;
  return o;
}

struct TlsFixture {
  TempDir dir;
  TestPki pki = make_test_pki(dir.path(), "sensor-1").value();
  fleetgate::TlsContext ctx =
      fleetgate::TlsContext::server(
          {pki.server_cert, pki.server_key, pki.ca_cert, false, {}})
          .value();
  ServedGateway gw{tls_options(ctx.raw())};
  std::string base = "https://127.0.0.1:" + std::to_string(gw.port());
  std::string curl = "curl -sS --cacert " + pki.ca_cert + " ";
};
}  // namespace

TEST_CASE("curl over TLS 1.2 and 1.3 downloads a blob byte-identical", "[system][https]") {
  TlsFixture f;
  std::string bytes(2'500'000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + i / 1000);
  auto d = f.gw.store.add(bytes);
  f.gw.oracle.public_blobs.insert(d);
  std::string url = f.base + "/v1/blobs/sha256/" + d.hex();
  int rc = -1;
  for (std::string v : {"--tlsv1.2 --tls-max 1.2", "--tlsv1.3"}) {
    std::string sum = run_out(f.curl + v + " '" + url + "' | sha256sum", &rc);
    CHECK(sum.substr(0, 64) == d.hex());
  }
  std::string part = run_out(f.curl + "-r 2000000- '" + url + "' | sha256sum", &rc);
  CHECK(part.substr(0, 64) == fleetgate::Sha256::of(std::string_view(bytes).substr(2'000'000)).hex());
  std::string ver = run_out(f.curl + "-o /dev/null -w '%{http_code}' --tlsv1.3 " + f.base + "/healthz", &rc);
  CHECK(ver == "200");
  CHECK(f.gw.stop());
}

TEST_CASE("an mTLS client certificate identifies the device", "[system][https]") {
  TlsFixture f;
  int rc = -1;
  std::string with_cert = f.curl + "--cert " + f.pki.client_cert + " --key " +
                          f.pki.client_key + " -o /dev/null -w '%{http_code}' ";
  CHECK(run_out(with_cert + f.base + "/v1/devices/sensor-1/next", &rc) == "204");
  CHECK(run_out(with_cert + f.base + "/v1/devices/sensor-2/next", &rc) == "403");
  CHECK(run_out(f.curl + "-o /dev/null -w '%{http_code}' " + f.base + "/v1/devices/sensor-1/next",
                &rc) == "401");
}
