// TLS to the origin: verification against a configured CA, host name check, SPKI pins,
// client certificates; each refusal names what was wrong.
#include <fstream>
#include <sstream>

#include "common/tls_stream.h"
#include "tests/unit/northbound/https_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;

namespace {

struct Pki {
  TempDir dir;
  TestPki pki;
  Pki() {
    auto made = make_test_pki(dir.path());
    REQUIRE(made.ok());
    pki = *made;
  }
};

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status try_fetch(OriginSite& site, const northbound::OriginOptions& o,
                 std::string* body = nullptr) {
  site.put("timestamp.json", "{\"signed\":1}");
  auto origin = northbound::open_https_origin(site.nginx->url(), o);
  if (!origin.ok()) return origin.take_error();
  Status s;
  std::string got = fetch_string(**origin, "timestamp.json", 0, 1000, &s);
  if (body) *body = got;
  return s;
}

northbound::OriginOptions trusting(const TestPki& pki) {
  auto o = quick_options();
  o.max_attempts = 1;
  o.tls.ca_file = pki.ca_cert;
  return o;
}

}  // namespace

TEST_CASE("https origin verifies the server against the configured CA", "[https_origin][tls]") {
  Pki p;
  OriginSite site(NginxTls{p.pki.server_cert, p.pki.server_key, ""});
  REQUIRE(site.nginx->url().rfind("https://", 0) == 0);
  std::string body;
  Status s = try_fetch(site, trusting(p.pki), &body);
  INFO(std::string(s.ok() ? "" : s.error().to_string()));
  REQUIRE(s.ok());
  CHECK(body == "{\"signed\":1}");
}

TEST_CASE("https origin with the system bundle does not trust the test CA", "[https_origin][tls]") {
  Pki p;
  OriginSite site(NginxTls{p.pki.server_cert, p.pki.server_key, ""});
  auto o = quick_options();
  o.max_attempts = 1;
  Status s = try_fetch(site, o);
  REQUIRE(!s.ok());
  CHECK(s.error().detail == "tls_verify");
}

TEST_CASE("https origin refuses a certificate from an unknown issuer", "[https_origin][tls]") {
  Pki p;
  OriginSite site(NginxTls{p.pki.self_signed_cert, p.pki.self_signed_key, ""});
  Status s = try_fetch(site, trusting(p.pki));
  REQUIRE(!s.ok());
  CHECK(s.error().code == Errc::network);
  CHECK(s.error().detail == "tls_verify");
  CHECK(s.error().message.find("refused") != std::string::npos);
}

TEST_CASE("https origin refuses a certificate for another host name", "[https_origin][tls]") {
  Pki p;
  OriginSite site(NginxTls{p.pki.wrong_host_cert, p.pki.wrong_host_key, ""});
  Status s = try_fetch(site, trusting(p.pki));
  REQUIRE(!s.ok());
  CHECK(s.error().detail == "tls_verify");
  CHECK(s.error().message.find("127.0.0.1") != std::string::npos);
}

TEST_CASE("https origin checks SPKI pins", "[https_origin][tls]") {
  Pki p;
  OriginSite site(NginxTls{p.pki.server_cert, p.pki.server_key, ""});
  auto pin = spki_pin_of_pem(read(p.pki.server_cert));
  REQUIRE(pin.ok());
  auto other = spki_pin_of_pem(read(p.pki.wrong_host_cert));
  REQUIRE(other.ok());

  auto good = trusting(p.pki);
  good.tls.spki_pins = {*other, *pin};  // any one of them may match
  CHECK(try_fetch(site, good).ok());

  auto bad = trusting(p.pki);
  bad.tls.spki_pins = {*other};
  Status s = try_fetch(site, bad);
  REQUIRE(!s.ok());
  CHECK(s.error().detail == "tls_pin");
  CHECK(s.error().message.find("matches no configured pin") != std::string::npos);

  auto malformed = trusting(p.pki);
  malformed.tls.spki_pins = {"sha1//abc"};
  Status m = try_fetch(site, malformed);
  REQUIRE(!m.ok());
  CHECK(m.error().code == Errc::config);
}

TEST_CASE("https origin presents a client certificate when the origin asks for one",
          "[https_origin][tls]") {
  Pki p;
  OriginSite site(NginxTls{p.pki.server_cert, p.pki.server_key, p.pki.ca_cert});
  // Without a client certificate nginx answers 400 (or drops the connection).
  Status without = try_fetch(site, trusting(p.pki));
  CHECK(!without.ok());
  auto o = trusting(p.pki);
  o.tls.client_cert_file = p.pki.client_cert;
  o.tls.client_key_file = p.pki.client_key;
  std::string body;
  Status with = try_fetch(site, o, &body);
  INFO(std::string(with.ok() ? "" : with.error().to_string()));
  CHECK(with.ok());
  CHECK(body == "{\"signed\":1}");
}

TEST_CASE("https origin resumes a cut TLS transfer", "[https_origin][tls][fault]") {
  Pki p;
  OriginSite site(NginxTls{p.pki.server_cert, p.pki.server_key, ""});
  constexpr uint64_t kSize = 4ull << 20;
  auto sha = write_test_file(site.www + "/targets/t.bin", kSize, 11);
  REQUIRE(sha.ok());
  auto upstream = SocketAddress::parse(site.nginx->address());
  REQUIRE(upstream.ok());
  auto proxy = FaultProxy::start(*upstream);
  REQUIRE(proxy.ok());
  FaultPlan plan;
  plan.cut_after = 1 << 20;
  (*proxy)->set_plan(plan);
  auto origin =
      open("https://127.0.0.1:" + std::to_string((*proxy)->port()) + "/", trusting(p.pki));
  CacheSite cache;
  Status s = cache.ingest(*origin, "targets/t.bin", *sha, kSize);
  INFO(std::string(s.ok() ? "" : s.error().to_string()));
  CHECK(s.ok());
  CHECK(origin->counters().resumes >= 3);
}
