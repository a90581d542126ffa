// Blob answers: ETag, Last-Modified, If-None-Match, Range, If-Range, 416, multi-range.
#include <catch2/catch.hpp>

#include "common/http_date.h"
#include "served_gateway.h"

using namespace fleetgate::testing;

namespace {
std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return s;
}

struct BlobFixture {
  ServedGateway gw;
  std::string bytes = pattern(700'000);  // spans three 256 KiB chunks
  fleetgate::Sha256Digest d;
  std::string path;
  BlobFixture() {
    d = gw.store.add(bytes);
    gw.oracle.public_blobs.insert(d);
    path = "/v1/blobs/sha256/" + d.hex();
  }
  fleetgate::http::Message ask(const std::string& headers) {
    Client c(gw.port());
    c.send(get(path, headers));
    return c.response();
  }
};
}  // namespace

TEST_CASE("a blob comes whole with a strong ETag and Last-Modified", "[blob]") {
  BlobFixture f;
  auto r = f.ask("");
  CHECK(r.status == 200);
  CHECK(r.body == f.bytes);
  REQUIRE(r.header("etag") != nullptr);
  CHECK(*r.header("etag") == "\"" + f.d.hex() + "\"");
  REQUIRE(r.header("last-modified") != nullptr);
  CHECK(fleetgate::http::parse_http_date(*r.header("last-modified")) ==
        fleetgate::unix_seconds(f.gw.clock.now()));
  CHECK(*r.header("accept-ranges") == "bytes");
  CHECK(f.gw.stop());
  CHECK(f.gw.store.open_transfers() == 0);
}

TEST_CASE("If-None-Match with the hash gives 304 without a body", "[blob]") {
  BlobFixture f;
  auto r = f.ask("If-None-Match: \"" + f.d.hex() + "\"\r\n");
  CHECK(r.status == 304);
  CHECK(r.body.empty());
  CHECK(f.ask("If-None-Match: \"other\"\r\n").status == 200);
}

TEST_CASE("a single range gives 206 with Content-Range across chunk edges", "[blob]") {
  BlobFixture f;
  auto r = f.ask("Range: bytes=262000-530000\r\n");
  CHECK(r.status == 206);
  CHECK(r.body == f.bytes.substr(262000, 530000 - 262000 + 1));
  CHECK(*r.header("content-range") == "bytes 262000-530000/700000");
  auto tail = f.ask("Range: bytes=-10\r\n");
  CHECK(tail.status == 206);
  CHECK(tail.body == f.bytes.substr(700'000 - 10));
}

TEST_CASE("an unsatisfiable range gives 416 bytes */L", "[blob]") {
  BlobFixture f;
  auto r = f.ask("Range: bytes=700000-\r\n");
  CHECK(r.status == 416);
  CHECK(*r.header("content-range") == "bytes */700000");
}

TEST_CASE("If-Range with the ETag or the exact date allows 206; stale gives 200", "[blob]") {
  BlobFixture f;
  std::string lm = fleetgate::http::format_http_date(fleetgate::unix_seconds(f.gw.clock.now()));
  CHECK(f.ask("Range: bytes=10-19\r\nIf-Range: \"" + f.d.hex() + "\"\r\n").status == 206);
  CHECK(f.ask("Range: bytes=10-19\r\nIf-Range: " + lm + "\r\n").status == 206);
  auto stale = f.ask("Range: bytes=10-19\r\nIf-Range: \"0000\"\r\n");
  CHECK(stale.status == 200);
  CHECK(stale.body == f.bytes);
  std::string old = fleetgate::http::format_http_date(fleetgate::unix_seconds(f.gw.clock.now()) - 3600);
  CHECK(f.ask("Range: bytes=10-19\r\nIf-Range: " + old + "\r\n").status == 200);
}

TEST_CASE("multiple ranges are answered 200 with the whole blob", "[blob]") {
  BlobFixture f;
  auto r = f.ask("Range: bytes=0-9,20-29\r\n");
  CHECK(r.status == 200);
  CHECK(r.body.size() == f.bytes.size());
}
