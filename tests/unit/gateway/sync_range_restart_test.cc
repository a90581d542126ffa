// The TUF updater over HTTPS when the origin answers a resume with the whole file (200):
// here the target was re-deployed (same bytes, new mtime, so a new nginx ETag and the
// If-Range fails). fetch_target drops its partial ingest, takes the body from byte 0,
// and the artifact verifies; one restart, and the bytes from the origin stay <= N + L.
#include <catch2/catch.hpp>

#include <sys/time.h>

#include <filesystem>

#include "cache/store.h"
#include "common/clock.h"
#include "gateway/repo_publisher.h"
#include "northbound/https_origin.h"
#include "northbound/tuf_updater.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/nginx_origin.h"
#include "tests/unit/gateway/sync_fixture.h"

namespace fleetgate::testing {
namespace {

void touch_tree_later(const std::string& dir) {
  struct timeval tv[2];
  ::gettimeofday(&tv[0], nullptr);
  tv[0].tv_sec += 1000;
  tv[1] = tv[0];
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) REQUIRE(::utimes(e.path().c_str(), tv) == 0);
  }
}

}  // namespace

TEST_CASE("a 200 to a resumed target restarts the TUF ingest from byte 0 and it verifies") {
  constexpr uint64_t kSize = 6ull << 20;
  constexpr uint64_t kCut = 2ull << 20;
  TempDir tmp;
  RealClock clock;
  auto r = gateway::Repository::init(tmp.path() + "/repo", {}, clock);
  REQUIRE(r.ok());
  gateway::Repository repo = std::move(r).value();
  auto sha = write_test_file(tmp.path() + "/fw.bin", kSize, 9);
  REQUIRE(sha.ok());
  REQUIRE(repo.add_file(tmp.path() + "/fw.bin", "fw/a.bin").ok());
  auto nginx = NginxOrigin::start(tmp.path() + "/nginx", repo.metadata_dir());
  REQUIRE(nginx.ok());
  auto upstream = SocketAddress::parse((*nginx)->address());
  REQUIRE(upstream.ok());
  auto proxy = FaultProxy::start(*upstream);
  REQUIRE(proxy.ok());

  cache::StoreOptions so;
  so.dir = tmp.path() + "/state";
  so.quota_bytes = 64ull << 20;
  so.clock = &clock;
  so.commit_bytes = cache::kChunkSize;  // the bytes before the cut become durable
  auto store = cache::open_lmdb_store(so);
  REQUIRE(store.ok());
  northbound::OriginOptions o;
  o.max_resumes = 0;  // the first cut ends the fetch: a partial ingest stays
  o.retry_base = std::chrono::milliseconds(10);
  o.seed = 1;
  auto origin = northbound::open_https_origin(
      "http://127.0.0.1:" + std::to_string((*proxy)->port()) + "/", o);
  REQUIRE(origin.ok());
  // The connection is kept alive from the metadata on: cut it once 2 MiB went through.
  FaultPlan cut;
  cut.cut_after = kCut;
  (*proxy)->set_plan(cut);
  northbound::TufUpdater updater(**store, **origin, clock, slurp(repo.root_path()));
  REQUIRE(updater.refresh().ok());
  const uint64_t before = (*proxy)->bytes_to_client();
  auto first = updater.fetch_target("fw/a.bin");
  REQUIRE(!first.ok());
  CHECK(first.error().code == Errc::network);
  (*proxy)->set_plan(FaultPlan{});

  touch_tree_later(repo.metadata_dir() + "/targets");  // re-deployed: new ETag
  auto second = updater.fetch_target("fw/a.bin");
  INFO((second.ok() ? "" : second.error().to_string()));
  REQUIRE(second.ok());
  CHECK(second->sha256.hex() == *sha);
  CHECK((*origin)->counters().restarts == 1);
  // N (at most the cut) + L, plus response heads.
  CHECK((*proxy)->bytes_to_client() - before <= kCut + kSize + 4096);
  auto reader = (*store)->open_read(second->sha256);
  CHECK(reader.ok());
}

}  // namespace fleetgate::testing
