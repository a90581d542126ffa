// The status outbox is bounded: past max_records the oldest drop_records go, a gap record
// in the place of the oldest counts them, and a dropped gap record adds to the new one.
#include <catch2/catch.hpp>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cache/status_outbox.h"
#include "tests/unit/cache/store_fixture.h"

namespace fleetgate::cache {
namespace {

std::string key_of(int i) {
  char k[32];
  std::snprintf(k, sizeof k, "%020d-0", i);
  return k;
}

TEST_CASE("a full status outbox drops its oldest reports behind one gap record") {
  testing::StoreFixture f;
  Store& store = *f.store;
  const OutboxLimits limits{10, 4};
  for (int i = 0; i < 10; ++i) {
    REQUIRE(append_to_outbox(store, key_of(i), R"({"n":)" + std::to_string(i) + "}", limits).ok());
  }
  CHECK(store.kv_count(Table::outbox).value() == 10);

  // The 11th report: reports 0..3 go, a gap record takes report 0's key.
  REQUIRE(append_to_outbox(store, key_of(10), R"({"n":10})", limits).ok());
  auto rows = store.kv_scan(Table::outbox, "").value();
  REQUIRE(rows.size() == 8);  // gap + 4..10
  CHECK(rows[0].first == key_of(0));
  auto gap = nlohmann::json::parse(rows[0].second);
  CHECK(gap["gap"]["dropped"] == 4);
  CHECK(gap["gap"]["first"] == key_of(0));
  CHECK(gap["gap"]["last"] == key_of(3));
  CHECK(rows[1].first == key_of(4));
  CHECK(rows.back().first == key_of(10));

  // Filling up again drops the gap record with reports 4..6: the new gap counts 4 + 3.
  REQUIRE(append_to_outbox(store, key_of(11), R"({"n":11})", limits).ok());
  REQUIRE(append_to_outbox(store, key_of(12), R"({"n":12})", limits).ok());
  CHECK(store.kv_count(Table::outbox).value() == 10);
  REQUIRE(append_to_outbox(store, key_of(13), R"({"n":13})", limits).ok());
  rows = store.kv_scan(Table::outbox, "").value();
  REQUIRE(rows.size() == 8);  // gap + 7..13
  gap = nlohmann::json::parse(rows[0].second);
  CHECK(rows[0].first == key_of(0));
  CHECK(gap["gap"]["dropped"] == 7);
  CHECK(gap["gap"]["first"] == key_of(0));
  CHECK(gap["gap"]["last"] == key_of(6));
  CHECK(rows[1].first == key_of(7));
}

}  // namespace
}  // namespace fleetgate::cache
