// The StatusCommitter on its own loop: one commit at a time, the reports queued meanwhile
// grouped within the record and byte bounds, and close() answering every queued report
// before it says it is done.
#include <catch2/catch.hpp>

#include <uv.h>

#include <string>
#include <vector>

#include "tests/support/gated_store.h"
#include "southbound/status_committer.h"
#include "test_store.h"

using namespace fleetgate;
using namespace fleetgate::testing;

namespace {
cache::OutboxRecord record(int i) {
  char key[32];
  std::snprintf(key, sizeof key, "%020d-7", i);
  return {key, R"({"n":)" + std::to_string(i) + "}"};
}

struct CommitterLoop {
  ManualClock clock;
  TestStore store{clock};
  GatedStore gate{*store.get()};
  uv_loop_t loop{};
  CommitterLoop() { uv_loop_init(&loop); }
  ~CommitterLoop() { uv_loop_close(&loop); }
  // Runs the loop until nothing is left on it (the thread pool's commits included).
  void run() { uv_run(&loop, UV_RUN_DEFAULT); }
  size_t outbox() { return store->kv_scan(cache::Table::outbox, "")->size(); }
};
}  // namespace

TEST_CASE("reports queued during a commit go in groups of at most max_group_records") {
  CommitterLoop f;
  southbound::StatusCommitterOptions o;
  o.max_group_records = 2;
  southbound::StatusCommitter committer(&f.loop, f.gate, cache::OutboxLimits{}, o);
  std::vector<int> answered;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(committer.submit(record(i), [&answered, i](const Status& s) {
      CHECK(s.ok());
      answered.push_back(i);
    }));
  }
  CHECK(committer.pending() == 5);
  f.run();
  CHECK(answered == std::vector<int>{0, 1, 2, 3, 4});  // in arrival order
  CHECK(f.outbox() == 5);
  CHECK(committer.stats().commits == 3);  // {0}, then {1, 2} and {3, 4}
  CHECK(f.gate.commits() == 3);
  CHECK(committer.stats().reports_committed == 5);
}

TEST_CASE("a group stops at max_group_bytes but always takes one report") {
  CommitterLoop f;
  southbound::StatusCommitterOptions o;
  o.max_group_bytes = 1;
  southbound::StatusCommitter committer(&f.loop, f.gate, cache::OutboxLimits{}, o);
  for (int i = 0; i < 4; ++i) REQUIRE(committer.submit(record(i), [](const Status&) {}));
  f.run();
  CHECK(f.outbox() == 4);
  CHECK(committer.stats().commits == 4);
}

TEST_CASE("close answers every queued report, then refuses new ones") {
  CommitterLoop f;
  southbound::StatusCommitter committer(&f.loop, f.gate, cache::OutboxLimits{});
  int ok = 0;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(committer.submit(record(i), [&ok](const Status& s) { ok += s.ok() ? 1 : 0; }));
  }
  bool closed = false;
  committer.close([&] {
    CHECK(ok == 3);  // every answer went out first
    closed = true;
  });
  CHECK_FALSE(closed);
  CHECK_FALSE(committer.submit(record(9), [](const Status&) { FAIL("not queued"); }));
  f.run();
  CHECK(closed);
  CHECK(f.outbox() == 3);
}

TEST_CASE("a failed group fails each of its reports and later groups still run") {
  CommitterLoop f;
  southbound::StatusCommitter committer(&f.loop, f.gate, cache::OutboxLimits{});
  f.gate.fail_writes(true);
  std::vector<bool> results;
  auto note = [&results](const Status& s) { results.push_back(s.ok()); };
  REQUIRE(committer.submit(record(0), note));
  REQUIRE(committer.submit(record(1), [&](const Status& s) {
    note(s);
    f.gate.fail_writes(false);  // the store recovers; a report sent now is stored
    CHECK(committer.submit(record(2), note));
  }));
  f.run();
  CHECK(results == std::vector<bool>{false, false, true});
  CHECK(f.outbox() == 1);
  CHECK(committer.stats().failed_commits == 2);
}
