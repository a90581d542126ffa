// SIGKILL in the middle of a download, then a restart: the download resumes from the
// committed chunks, so the bytes fetched again are at most one chunk plus what was in
// flight when the process died.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <poll.h>

#include "tests/unit/northbound/https_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;

TEST_CASE("SIGKILL mid-download, restart: resume from the committed chunks",
          "[https_origin][fault][sigkill]") {
  constexpr uint64_t kSize = 16ull << 20;
  constexpr uint64_t kKillAfter = 4ull << 20;
  OriginSite site;
  auto sha = write_test_file(site.www + "/targets/fw.bin", kSize, 99);
  REQUIRE(sha.ok());
  auto upstream = SocketAddress::parse(site.nginx->address());
  REQUIRE(upstream.ok());
  auto proxy = FaultProxy::start(*upstream);
  REQUIRE(proxy.ok());
  // The link paces the origin, so little is in flight when the kill lands.
  FaultPlan slow;
  slow.bytes_per_s = 4ull << 20;
  (*proxy)->set_plan(slow);
  const std::string url = "http://127.0.0.1:" + std::to_string((*proxy)->port()) + "/";
  TempDir state;
  const Sha256Digest digest = *Sha256Digest::from_hex(*sha);

  int progress[2];
  REQUIRE(::pipe(progress) == 0);
  (*proxy)->hold();  // its thread must not hold a lock the child would inherit
  pid_t child = ::fork();
  if (child != 0) (*proxy)->release();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The "gateway": downloads slowly into its store and says when 4 MiB are durable.
    ::close(progress[0]);
    ManualClock clock;
    cache::StoreOptions so;
    so.dir = state.path() + "/cache";
    so.quota_bytes = 256ull << 20;
    so.commit_bytes = cache::kChunkSize;  // every chunk durable as it arrives: the bound below
    // Committed inside append(): this child was forked from a process with threads (the
    // proxy's), where starting new ones is unsafe (a lock held at fork time, e.g. by the
    // sanitizer's allocator, stays held here). The daemon never forks.
    so.overlap_commits = false;
    so.clock = &clock;
    auto store = cache::open_lmdb_store(so);
    if (!store.ok()) ::_exit(2);
    auto origin = northbound::open_https_origin(url, quick_options());
    if (!origin.ok()) ::_exit(3);
    auto ingest = (*store)->begin_ingest(digest, kSize, "fw.bin");
    if (!ingest.ok()) ::_exit(4);
    bool told = false;
    (void)(*origin)->fetch("targets/fw.bin", 0, kSize, [&](std::span<const uint8_t> p) {
      Status s = (*ingest)->append(p);
      if (!told && (*ingest)->durable() >= kKillAfter) {
        told = true;
        char c = 'k';
        (void)!::write(progress[1], &c, 1);
      }
      return s;
    });
    ::_exit(0);  // not reached in the test: the parent kills us first
  }
  ::close(progress[1]);
  // Whatever fails below, the child does not outlive the test (its proxy connection
  // would keep the proxy's destructor waiting).
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
  } reaper{child};
  pollfd pfd{progress[0], POLLIN, 0};
  REQUIRE(::poll(&pfd, 1, 20'000) == 1);
  ::kill(child, SIGKILL);
  int wstatus = 0;
  ::waitpid(child, &wstatus, 0);
  reaper.pid = 0;
  ::close(progress[0]);
  REQUIRE(WIFSIGNALED(wstatus));
  const uint64_t before_restart = (*proxy)->bytes_to_client();
  (*proxy)->set_plan({});

  // The restarted gateway.
  ManualClock clock;
  cache::StoreOptions so;
  so.dir = state.path() + "/cache";
  so.quota_bytes = 256ull << 20;
  so.commit_bytes = cache::kChunkSize;
  so.clock = &clock;
  auto store = cache::open_lmdb_store(so);
  REQUIRE(store.ok());
  auto origin = open(url, quick_options());
  auto begun = (*store)->begin_ingest(digest, kSize, "fw.bin");
  REQUIRE(begun.ok());
  auto ingest = std::move(begun).value();
  const uint64_t durable = ingest->durable();
  CHECK(durable >= kKillAfter);
  CHECK(ingest->offset() == durable);
  REQUIRE(origin
              ->fetch("targets/fw.bin", ingest->offset(), kSize,
                      [&](std::span<const uint8_t> p) { return ingest->append(p); })
              .ok());
  auto done = ingest->finish();
  INFO(std::string(done.ok() ? "" : done.error().to_string()));
  REQUIRE(done.ok());
  // The restart fetched exactly what was not durable.
  CHECK(origin->counters().body_bytes == kSize - durable);
  // Everything fetched before the kill beyond the durable point was lost: at most the
  // commit batch being filled (here one chunk; the daemon's default batch is 32 MiB, see
  // StoreOptions::commit_bytes, and with overlapped commits also the batch under way)
  // plus what was in flight (socket buffers, the proxy's).
  const uint64_t refetched = before_restart > durable ? before_restart - durable : 0;
  INFO("re-fetched " << refetched << " bytes");
  CHECK(refetched <= cache::kChunkSize + (1ull << 20));
}
