// A 200 answer to a range request restarts the transfer from byte 0 through the caller's
// restart hook: nginx answers 200 when If-Range no longer matches (the file changed), so
// the partial ingest of the old bytes is dropped and the new file verifies.
#include <sys/time.h>

#include "tests/unit/northbound/https_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;

namespace {

// Moves the file's mtime so nginx's ETag (mtime-size) surely changes.
void touch_later(const std::string& path) {
  struct timeval tv[2];
  ::gettimeofday(&tv[0], nullptr);
  tv[0].tv_sec += 1000;
  tv[1] = tv[0];
  REQUIRE(::utimes(path.c_str(), tv) == 0);
}

}  // namespace

TEST_CASE("a 200 to a range request restarts the ingest from byte 0 and verifies",
          "[https_origin][restart]") {
  constexpr uint64_t kSize = 3ull << 20;
  constexpr uint64_t kStop = 1ull << 20;
  OriginSite site;
  const std::string file = site.www + "/targets/fw.bin";
  REQUIRE(write_test_file(file, kSize, 1).ok());  // the old representation

  CacheSite cache;
  TempDir scratch;
  auto new_sha = write_test_file(scratch.path() + "/new.bin", kSize, 2);
  REQUIRE(new_sha.ok());
  const Sha256Digest digest = *Sha256Digest::from_hex(*new_sha);
  auto begun = cache.store->begin_ingest(digest, kSize, "fw.bin");
  REQUIRE(begun.ok());
  auto ingest = std::move(begun).value();

  // First attempt: about 1 MiB of the old file, then the caller stops.
  auto origin = open(site.nginx->url(), quick_options());
  Status first = origin->fetch("targets/fw.bin", 0, kSize, [&](std::span<const uint8_t> p) {
    if (ingest->offset() >= kStop) return Status(make_error(Errc::cancelled, "stop", "stop"));
    return ingest->append(p);
  });
  REQUIRE(!first.ok());
  const uint64_t held = ingest->offset();
  REQUIRE(held >= kStop);
  REQUIRE(held < kSize);

  // The file changes on the origin; the resume's If-Range no longer matches.
  std::filesystem::rename(scratch.path() + "/new.bin", file);
  touch_later(file);
  const uint64_t body_before = origin->counters().body_bytes;
  int restarts = 0;
  Status second = origin->fetch(
      "targets/fw.bin", held, kSize, [&](std::span<const uint8_t> p) { return ingest->append(p); },
      [&]() -> Status {
        ++restarts;
        return cache.restart(ingest, digest, kSize, "fw.bin");
      });
  INFO(std::string(second.ok() ? "" : second.error().to_string()));
  REQUIRE(second.ok());
  CHECK(restarts == 1);
  CHECK(origin->counters().restarts == 1);
  // Nothing dropped: the 200 body is delivered from byte 0, so the bytes of this fetch
  // are exactly the file, and in all at most N + L.
  CHECK(origin->counters().body_bytes - body_before == kSize);
  CHECK(origin->counters().body_bytes <= held + kSize + (256u << 10));
  auto done = ingest->finish();
  INFO(std::string(done.ok() ? "" : done.error().to_string()));
  REQUIRE(done.ok());
  CHECK(cache.store->open_read(digest).ok());
}

TEST_CASE("without a restart hook a 200 to a range request drops the held prefix",
          "[https_origin][restart]") {
  OriginSite site;
  site.put("targets/x.bin", "0123456789");
  auto origin = open(site.nginx->url(), quick_options());
  std::string held = fetch_string(*origin, "targets/x.bin", 0, 10);
  REQUIRE(held == "0123456789");
  site.put("targets/x.bin", "abcdefghij");
  touch_later(site.www + "/targets/x.bin");
  // If-Range carries the old ETag: nginx answers 200 with the whole new file.
  Status s;
  CHECK(fetch_string(*origin, "targets/x.bin", 4, 10, &s) == "efghij");
  CHECK(s.ok());
  CHECK(origin->counters().restarts == 1);
}
