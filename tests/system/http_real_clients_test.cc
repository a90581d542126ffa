// Real HTTP clients (curl, wrk) against the device API served in this process on
// 127.0.0.1: resume, ranges, slow readers, apt- and Mender-shaped resumes.
#include <stdio.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "common/http_date.h"
#include "tests/support/files.h"
#include "unit/southbound/served_gateway.h"

using namespace fleetgate::testing;

namespace {
std::string pattern(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

struct Run {
  int exit_code = -1;
  std::string out;
};

Run run(const std::string& cmd) {
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

void spit(const std::string& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct CurlFixture {
  ServedGateway gw;
  std::string bytes = pattern(3'000'000);
  fleetgate::Sha256Digest d;
  std::string url;
  std::string dir;
  CurlFixture() {
    d = gw.store.add(bytes);
    gw.oracle.public_blobs.insert(d);
    url = "http://127.0.0.1:" + std::to_string(gw.port()) + "/v1/blobs/sha256/" + d.hex();
    char tmpl[] = "/tmp/fg-curl-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~CurlFixture() { run("rm -rf " + dir); }
};
}  // namespace

TEST_CASE("curl -C - resumes a cut download and gets identical bytes", "[system][http]") {
  CurlFixture f;
  std::string file = f.dir + "/blob";
  spit(file, std::string_view(f.bytes).substr(0, 1'234'567));  // what the cut left behind
  Run r = run("curl -sS -C - -o " + file + " -w '%{http_code}' '" + f.url + "'");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "206");
  CHECK(slurp(file) == f.bytes);
}

TEST_CASE("curl -r fetches exact byte ranges", "[system][http]") {
  CurlFixture f;
  Run r = run("curl -sS -r 1000-1999 '" + f.url + "' | sha256sum");
  CHECK(r.out.substr(0, 64) == fleetgate::Sha256::of(std::string_view(f.bytes).substr(1000, 1000)).hex());
  Run tail = run("curl -sS -r -100 '" + f.url + "' | wc -c");
  CHECK(std::stoi(tail.out) == 100);
}

TEST_CASE("curl --limit-rate slow reader still gets every byte", "[system][http]") {
  CurlFixture f;
  std::string file = f.dir + "/slow";
  Run r = run("curl -sS --limit-rate 4M -o " + file + " '" + f.url + "'");
  CHECK(r.exit_code == 0);
  CHECK(slurp(file) == f.bytes);
}

TEST_CASE("apt- and Mender-shaped resumes get 206, a stale If-Range gets 200 whole",
          "[system][http]") {
  CurlFixture f;
  std::string lm = fleetgate::http::format_http_date(fleetgate::unix_seconds(f.gw.clock.now()));
  std::string stale = fleetgate::http::format_http_date(fleetgate::unix_seconds(f.gw.clock.now()) - 86400);
  std::string out = f.dir + "/part";
  // apt: Range + If-Range: <Last-Modified date>
  Run apt = run("curl -sS -o " + out + " -w '%{http_code}' -H 'Range: bytes=2000000-' -H 'If-Range: " +
                lm + "' '" + f.url + "'");
  CHECK(apt.out == "206");
  CHECK(slurp(out) == f.bytes.substr(2'000'000));
  // Mender: a bare Range
  Run mender = run("curl -sS -o " + out + " -w '%{http_code}' -H 'Range: bytes=1048576-' '" + f.url + "'");
  CHECK(mender.out == "206");
  CHECK(slurp(out) == f.bytes.substr(1'048'576));
  // The file changed since the client's copy: whole body, 200.
  Run old = run("curl -sS -o " + out + " -w '%{http_code}' -H 'Range: bytes=2000000-' -H 'If-Range: " +
                stale + "' '" + f.url + "'");
  CHECK(old.out == "200");
  CHECK(slurp(out) == f.bytes);
}

TEST_CASE("wrk smoke run: keep-alive load gets only 2xx", "[system][http]") {
  CurlFixture f;
  std::string health = "http://127.0.0.1:" + std::to_string(f.gw.port()) + "/healthz";
  Run r = run("wrk -t1 -c32 -d1s " + health + " 2>&1");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Requests/sec") != std::string::npos);
  CHECK(r.out.find("Non-2xx") == std::string::npos);
  CHECK(r.out.find("Socket errors") == std::string::npos);
  CHECK(f.gw.stop());
}
