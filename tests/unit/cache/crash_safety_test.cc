// Kill -9 of a process in the middle of an ingest or an eviction, then reopen: nothing
// half-visible, everything visible verifies, an ingest resumes from its last chunk.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <optional>

#include <catch2/catch.hpp>

#include "cache/store_testing.h"
#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

using testing::digest_of;
using testing::random_bytes;
using testing::StoreFixture;

// A child process that reports progress as 8-byte values on a pipe. The parent reads
// reports until it has seen `kill_after` of them, then SIGKILLs the child wherever it
// is by then (between, or inside, commits).
class DoomedChild {
 public:
  template <typename Work>
  explicit DoomedChild(Work work) {
    REQUIRE(::pipe(fds_) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::close(fds_[0]);
      auto report = [fd = fds_[1]](uint64_t v) {
        if (::write(fd, &v, sizeof v) != sizeof v) ::_exit(3);
      };
      ::_exit(work(report));
    }
    ::close(fds_[1]);
  }
  ~DoomedChild() { ::close(fds_[0]); }

  // Returns the last reported value (or nullopt), after the child is dead.
  std::optional<uint64_t> kill_after(int reports) {
    std::optional<uint64_t> last = wait_for(reports);
    kill();
    return last;
  }
  // Reads up to `reports` reports; returns the last one seen.
  std::optional<uint64_t> wait_for(int reports) {
    std::optional<uint64_t> last;
    for (int i = 0; i < reports; ++i) {
      uint64_t v = 0;
      if (::read(fds_[0], &v, sizeof v) != sizeof v) break;  // the child finished first
      last = v;
    }
    return last;
  }
  void kill() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    killed_ = WIFSIGNALED(status);
    if (!killed_) exit_code_ = WEXITSTATUS(status);
  }
  bool killed() const { return killed_; }
  int exit_code() const { return exit_code_; }

 private:
  int fds_[2] = {-1, -1};
  pid_t pid_ = -1;
  bool killed_ = false;
  int exit_code_ = -1;
};

// Every visible artifact must read back as `expected` and verify.
void check_visible_artifacts(Store& store,
                             const std::map<Sha256Digest, std::vector<uint8_t>>& expected) {
  auto all = store.list();
  REQUIRE(all.ok());
  for (const auto& info : *all) {
    INFO("artifact " << info.sha256.hex() << " state " << state_name(info.state));
    REQUIRE(info.state != ArtifactState::quarantined);
    if (info.state == ArtifactState::ingesting) {
      CHECK(info.committed % kChunkSize == 0);
      CHECK(info.committed <= info.length);
      CHECK(store.open_read(info.sha256).error().code == Errc::not_found);
      continue;
    }
    auto it = expected.find(info.sha256);
    REQUIRE(it != expected.end());
    auto rd = store.open_read(info.sha256);
    REQUIRE(rd.ok());
    std::vector<uint8_t> got;
    REQUIRE((*rd)
                ->read(0, info.length,
                       [&](std::span<const uint8_t> s) {
                         got.insert(got.end(), s.begin(), s.end());
                         return true;
                       })
                .ok());
    CHECK(got == it->second);
  }
  auto failed = store.verify(std::nullopt);
  REQUIRE(failed.ok());
  CHECK(failed->empty());
}

TEST_CASE("crash: SIGKILL during ingest never shows a partial artifact and resumes",
          "[cache][crash]") {
  StoreFixture f;
  std::mt19937 rng(20261129);
  constexpr int kIterations = 40;
  std::map<Sha256Digest, std::vector<uint8_t>> expected;
  int resumed_with_progress = 0;
  for (int it = 0; it < kIterations; ++it) {
    // Sizes from under one chunk to several, with ragged tails.
    size_t size = std::uniform_int_distribution<size_t>(1, 5 * kChunkSize + 999)(rng);
    auto bytes = random_bytes(size, 1000 + it);
    Sha256Digest sha = digest_of(bytes);
    expected[sha] = bytes;
    size_t piece = std::uniform_int_distribution<size_t>(4096, kChunkSize + 5000)(rng);
    int reports = std::uniform_int_distribution<int>(0, static_cast<int>(size / piece) + 1)(rng);

    f.store.reset();  // an LMDB environment must not cross fork()
    StoreOptions options = f.options;
    // Alternate one-chunk and three-chunk commit batches, each committed in the append
    // that fills it or in the background while the next one fills.
    options.commit_bytes = it % 2 == 0 ? kChunkSize : 3 * kChunkSize;
    options.overlap_commits = it % 4 >= 2;
    DoomedChild child([&](const std::function<void(uint64_t)>& report) {
      auto store = open_lmdb_store(options);
      if (!store.ok()) return 10;
      auto ing = (*store)->begin_ingest(sha, bytes.size(), "fw-" + std::to_string(it));
      if (!ing.ok()) return 11;
      for (size_t off = 0; off < bytes.size(); off += piece) {
        size_t n = std::min(piece, bytes.size() - off);
        if (!(*ing)->append(std::span<const uint8_t>(bytes.data() + off, n)).ok()) return 12;
        report((*ing)->durable());
      }
      return (*ing)->finish().ok() ? 0 : 13;
    });
    std::optional<uint64_t> durable = child.kill_after(reports);
    if (!child.killed()) REQUIRE(child.exit_code() == 0);
    f.reopen();

    INFO("iteration " << it << " size " << size << " piece " << piece << " reports " << reports);
    check_visible_artifacts(*f.store, expected);
    auto st = f.store->stat(sha);
    if (!st.ok()) {
      // Killed before begin_ingest committed its record: nothing at all is stored.
      CHECK_FALSE(durable.has_value());
      CHECK(stored_chunks_for_test(*f.store, sha).value() == 0);
      REQUIRE(f.put(bytes).ok());
      continue;
    }
    if (st->state == ArtifactState::ready) continue;
    // What the child saw committed is still there; nothing beyond the record's count.
    CHECK(st->committed >= durable.value_or(0));
    CHECK(stored_chunks_for_test(*f.store, sha).value() == st->committed / kChunkSize);
    auto ing = f.store->begin_ingest(sha, bytes.size(), "");
    REQUIRE(ing.ok());
    REQUIRE((*ing)->offset() == st->committed);
    if (st->committed > 0) ++resumed_with_progress;
    // Only the rest is "downloaded" again.
    REQUIRE((*ing)->append(std::span<const uint8_t>(bytes).subspan((*ing)->offset())).ok());
    REQUIRE((*ing)->finish().ok());
  }
  check_visible_artifacts(*f.store, expected);
  CHECK(f.store->list()->size() == static_cast<size_t>(kIterations));
  // The kill points were spread enough to hit resumes that had real progress.
  CHECK(resumed_with_progress > 3);
}

TEST_CASE("crash: SIGKILL during eviction leaves each artifact whole or gone", "[cache][crash]") {
  StoreFixture f;
  std::mt19937 rng(4242);
  constexpr int kIterations = 24;
  for (int it = 0; it < kIterations; ++it) {
    // A few artifacts, some served recently; the child evicts down to nothing.
    std::map<Sha256Digest, std::vector<uint8_t>> expected;
    for (int a = 0; a < 4; ++a) {
      size_t size = std::uniform_int_distribution<size_t>(1, 3 * kChunkSize)(rng);
      auto bytes = random_bytes(size, 5000 + it * 10 + a);
      expected[digest_of(bytes)] = bytes;
      REQUIRE(f.put(bytes).ok());
    }
    int reports = std::uniform_int_distribution<int>(0, 4)(rng);
    bool whole_gc = it % 2 == 0;

    f.store.reset();
    StoreOptions options = f.options;
    DoomedChild child([&](const std::function<void(uint64_t)>& report) {
      auto store = open_lmdb_store(options);
      if (!store.ok()) return 10;
      if (whole_gc) {
        report(0);
        return (*store)->gc(options.quota_bytes).ok() ? 0 : 11;
      }
      for (const auto& [sha, bytes] : expected) {
        if (!(*store)->evict(sha).ok()) return 12;
        report(0);
      }
      return 0;
    });
    child.kill_after(reports);
    if (!child.killed()) REQUIRE(child.exit_code() == 0);
    f.reopen();

    INFO("iteration " << it << " reports " << reports << " gc " << whole_gc);
    check_visible_artifacts(*f.store, expected);
    for (const auto& [sha, bytes] : expected) {
      auto st = f.store->stat(sha);
      uint64_t chunks = stored_chunks_for_test(*f.store, sha).value();
      if (st.ok()) {
        CHECK(st->state == ArtifactState::ready);
        CHECK(chunks == (bytes.size() + kChunkSize - 1) / kChunkSize);
        REQUIRE(f.store->evict(sha).ok());  // clean slate for the next iteration
      } else {
        CHECK(chunks == 0);
      }
    }
  }
}

TEST_CASE("crash: reader slots of a killed process are cleared at open", "[cache][crash]") {
  StoreFixture f;
  auto bytes = random_bytes(1000, 90);
  REQUIRE(f.put(bytes).ok());
  f.store.reset();
  StoreOptions options = f.options;
  // The first process to open an environment resets its reader table anyway, so another
  // process (a running daemon, say) keeps it open while a reader dies.
  DoomedChild daemon([&](const std::function<void(uint64_t)>& report) {
    auto store = open_lmdb_store(options);
    if (!store.ok()) return 10;
    report(1);
    for (;;) ::pause();
  });
  REQUIRE(daemon.wait_for(1) == std::optional<uint64_t>(1));
  DoomedChild reader([&](const std::function<void(uint64_t)>& report) {
    auto store = open_lmdb_store(options);
    if (!store.ok()) return 10;
    auto rd = (*store)->open_transfer(digest_of(bytes));
    if (!rd.ok()) return 11;
    report(1);
    for (;;) ::pause();  // holds its read transaction until killed
  });
  REQUIRE(reader.kill_after(1) == std::optional<uint64_t>(1));
  REQUIRE(reader.killed());
  f.reopen();
  daemon.kill();
  CHECK(f.store->stats()->stale_readers_cleared == 1);
  CHECK(*f.get(digest_of(bytes)) == bytes);
}

}  // namespace
}  // namespace fleetgate::cache
