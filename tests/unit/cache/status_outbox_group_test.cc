// A group of status reports goes into the outbox in one transaction (the status
// committer's group commit): all or none, and the outbox bound holds for the group as a
// whole, with one gap record counting what had to go.
#include <catch2/catch.hpp>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "cache/status_outbox.h"
#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

std::string group_key(int i) {
  char k[32];
  std::snprintf(k, sizeof k, "%020d-1", i);
  return k;
}

std::vector<OutboxRecord> group(int from, int to) {
  std::vector<OutboxRecord> g;
  for (int i = from; i < to; ++i) g.push_back({group_key(i), R"({"n":)" + std::to_string(i) + "}"});
  return g;
}

TEST_CASE("a group of reports is appended in one transaction, in key order") {
  testing::StoreFixture f;
  Store& store = *f.store;
  REQUIRE(append_to_outbox(store, group(0, 5), OutboxLimits{}).ok());
  auto rows = store.kv_scan(Table::outbox, "").value();
  REQUIRE(rows.size() == 5);
  for (int i = 0; i < 5; ++i) CHECK(rows[i].first == group_key(i));
  CHECK(append_to_outbox(store, std::vector<OutboxRecord>{}, OutboxLimits{}).ok());
}

TEST_CASE("a group that overflows the outbox drops enough of the oldest for all of it") {
  testing::StoreFixture f;
  Store& store = *f.store;
  const OutboxLimits limits{10, 2};
  REQUIRE(append_to_outbox(store, group(0, 9), limits).ok());
  // 9 held + 4 new + the gap record > 10: 4 must go (more than drop_records = 2).
  REQUIRE(append_to_outbox(store, group(9, 13), limits).ok());
  auto rows = store.kv_scan(Table::outbox, "").value();
  REQUIRE(rows.size() == 10);  // gap + 4..12
  auto gap = nlohmann::json::parse(rows[0].second);
  CHECK(rows[0].first == group_key(0));
  CHECK(gap["gap"]["dropped"] == 4);
  CHECK(gap["gap"]["last"] == group_key(3));
  CHECK(rows[1].first == group_key(4));
  CHECK(rows.back().first == group_key(12));
}

}  // namespace
}  // namespace fleetgate::cache
