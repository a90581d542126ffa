// The HTTP(S) origin against a real nginx over loopback: whole files, caps, Range
// resume, 416 when everything is held, conditional GET, keep-alive reuse.
#include "tests/unit/northbound/https_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;

TEST_CASE("https origin fetches a whole file over plain http", "[https_origin]") {
  OriginSite site;
  site.put("repo/1.root.json", std::string(10000, 'r'));
  auto origin = open(site.nginx->url() + "repo/", quick_options());
  Status s;
  CHECK(fetch_string(*origin, "1.root.json", 0, 1 << 20, &s) == std::string(10000, 'r'));
  CHECK(s.ok());
}

TEST_CASE("https origin reports a missing file as not_found", "[https_origin]") {
  OriginSite site;
  auto origin = open(site.nginx->url(), quick_options());
  Status s;
  fetch_string(*origin, "2.root.json", 0, 1 << 20, &s);
  REQUIRE(!s.ok());
  CHECK(s.error().code == Errc::not_found);
}

TEST_CASE("https origin stops at the byte cap with length_exceeded", "[https_origin]") {
  OriginSite site;
  site.put("timestamp.json", std::string(5000, 't'));
  auto origin = open(site.nginx->url(), quick_options());
  Status s;
  std::string got = fetch_string(*origin, "timestamp.json", 0, 1000, &s);
  REQUIRE(!s.ok());
  CHECK(s.error().detail == "length_exceeded");
  CHECK(got.size() == 1000);
}

TEST_CASE("https origin resumes at an offset with a range request", "[https_origin]") {
  OriginSite site;
  std::string body;
  for (int i = 0; i < 5000; ++i) body += static_cast<char>('a' + i % 26);
  site.put("targets/blob", body);
  auto origin = open(site.nginx->url(), quick_options());
  Status s;
  CHECK(fetch_string(*origin, "targets/blob", 1234, body.size(), &s) == body.substr(1234));
  CHECK(s.ok());
  // With the ETag from that answer, If-Range goes along and nginx still answers 206.
  CHECK(fetch_string(*origin, "targets/blob", 4000, body.size(), &s) == body.substr(4000));
  CHECK(s.ok());
  CHECK(origin->counters().restarts == 0);
}

TEST_CASE("https origin refuses a 206 whose complete length is not the signed one",
          "[https_origin]") {
  OriginSite site;
  site.put("targets/blob", std::string(5000, 'x'));
  auto origin = open(site.nginx->url(), quick_options());
  Status s;
  // The caller says the file is 6000 bytes long (its signed length); nginx says 5000.
  fetch_string(*origin, "targets/blob", 100, 6000, &s);
  REQUIRE(!s.ok());
  CHECK(s.error().detail == "length_mismatch");
}

TEST_CASE("https origin treats 416 */L with L == held as complete", "[https_origin]") {
  OriginSite site;
  site.put("targets/blob", std::string(5000, 'x'));
  auto origin = open(site.nginx->url(), quick_options());
  Status s;
  CHECK(fetch_string(*origin, "targets/blob", 5000, 5000, &s).empty());
  CHECK(s.ok());
  // Beyond the end is not "complete".
  fetch_string(*origin, "targets/blob", 6000, 6000, &s);
  CHECK(!s.ok());
}

TEST_CASE("https origin polls timestamp.json with a conditional GET", "[https_origin]") {
  OriginSite site;
  site.put("timestamp.json", "{\"v\":1}");
  auto origin = open(site.nginx->url(), quick_options());
  Status s;
  CHECK(fetch_string(*origin, "timestamp.json", 0, 16384, &s) == "{\"v\":1}");
  CHECK(fetch_string(*origin, "timestamp.json", 0, 16384, &s) == "{\"v\":1}");
  CHECK(s.ok());
  CHECK(origin->counters().not_modified == 1);
  // A new timestamp (new ETag) is fetched in full.
  site.put("timestamp.json", "{\"v\":22}");
  CHECK(fetch_string(*origin, "timestamp.json", 0, 16384, &s) == "{\"v\":22}");
  CHECK(origin->counters().not_modified == 1);
}

TEST_CASE("https origin reuses one kept-alive connection", "[https_origin]") {
  OriginSite site;
  site.put("a.json", "aaa");
  site.put("b.json", "bbb");
  auto origin = open(site.nginx->url(), quick_options());
  for (int i = 0; i < 5; ++i) {
    CHECK(fetch_string(*origin, i % 2 ? "a.json" : "b.json") == (i % 2 ? "aaa" : "bbb"));
  }
  CHECK(origin->counters().requests == 5);
  CHECK(origin->counters().connections == 1);
}

TEST_CASE("https origin refuses unsafe paths and bad URLs", "[https_origin]") {
  CHECK(!northbound::open_https_origin("ftp://127.0.0.1/", {}).ok());
  CHECK(!northbound::open_https_origin("http://127.0.0.1:99999/", {}).ok());
  auto origin = northbound::open_https_origin("http://127.0.0.1:1/", {});
  REQUIRE(origin.ok());
  Status s = (*origin)->fetch("../etc/passwd", 0, 10, [](auto) { return ok_status(); });
  CHECK(s.error().code == Errc::invalid_argument);
}
